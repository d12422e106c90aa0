/**
 * The agent's telemetry on the control-loop side: every control step of every controller
 * connection becomes a row in that connection's current episode (a preallocated buffer, so a
 * step costs one row's copy); an episode ends after `episodeSteps` steps or when its connection
 * has been quiet for a second, and goes whole to the writer thread (`telemetry_worker.ts`),
 * which owns the files. Memory is bounded: at most `MAX_QUEUED` episodes wait for the writer; more
 * are dropped and counted, never waited for.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ControlStep } from '../bridge/control.ts';
import type { EpisodeClock, TelemetryLayout } from './telemetry_layout.ts';
import type { TelemetryCommand, TelemetryReport, TelemetryWorkerData } from './telemetry_worker.ts';

const BOOT = fileURLToPath(new URL('../ts_worker.mjs', import.meta.url));
const ENTRY = new URL('./telemetry_worker.ts', import.meta.url).href;
/** Episodes handed to the writer and not yet written, at most. */
const MAX_QUEUED = 8;
/** A connection without a step for this long ends its episode (ms). */
const IDLE_MS = 1000;

/** Where and how much telemetry is kept. */
export interface TelemetryOptions {
  dir: string;
  /** The directory's bound (bytes). */
  maxBytes: number;
  /** Rotation: a file is closed past this size (default maxBytes / 8, at most 64 MiB) or age (default 10 min). */
  fileBytes?: number;
  fileMs?: number;
  /** Steps per episode at most (default 3000: a minute at 50 Hz). */
  episodeSteps?: number;
  log: (line: string) => void;
}

/** What the telemetry holds and has lost. */
export interface TelemetryStats {
  dir: string;
  max_bytes: number;
  files: number;
  bytes: number;
  steps_recorded: number;
  episodes_written: number;
  episodes_dropped: number;
  files_deleted: number;
}

/** One connection's open episode. */
interface Episode {
  rows: Float32Array;
  steps: number;
  clock: EpisodeClock;
  lastMs: number;
}

/** Records control steps to rotating recording files. */
export class Telemetry {
  private readonly worker: Worker;
  private readonly episodes = new Map<string, Episode>();
  private readonly episodeSteps: number;
  private queued = 0;
  private dropped = 0;
  private steps = 0;
  private report: TelemetryReport = { type: 'report', files: 0, bytes: 0, episodesWritten: 0, episodesDropped: 0, deletedFiles: 0, closed: false, error: null };
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | null = null;
  private readonly waiters: ((r: TelemetryReport) => void)[] = [];

  constructor(private readonly layout: TelemetryLayout, private readonly o: TelemetryOptions) {
    this.episodeSteps = o.episodeSteps ?? 3000;
    const data: TelemetryWorkerData = {
      entry: ENTRY, dir: o.dir, header: layout.header, maxBytes: o.maxBytes,
      fileBytes: o.fileBytes ?? Math.min(64 * 1024 * 1024, Math.floor(o.maxBytes / 8)), fileMs: o.fileMs ?? 600_000,
    };
    this.worker = new Worker(BOOT, { workerData: data, name: 'sim2real agent telemetry' });
    this.worker.on('message', (r: TelemetryReport) => {
      this.queued = Math.max(0, this.queued - 1);
      this.report = r;
      if (r.error) o.log(`telemetry: ${r.error}`);
      this.waiters.shift()?.(r);
    });
    this.worker.on('error', (e) => o.log(`telemetry: the writer thread failed: ${e.message}`));
    this.worker.unref();
    this.timer = setInterval(() => this.endIdle(), IDLE_MS / 2).unref();
  }

  /** Records one control step of connection `connection`, answered by `version` (null: none). */
  record(connection: string, step: ControlStep, version: number | null): void {
    if (this.closing) return;
    let ep = this.episodes.get(connection);
    if (!ep) {
      ep = { rows: new Float32Array(this.episodeSteps * this.layout.stride), steps: 0, clock: { t0Ms: 0, lastSeq: -1 }, lastMs: Date.now() };
      this.episodes.set(connection, ep);
    }
    if (!this.layout.writeRow(ep.rows, ep.steps * this.layout.stride, step, version ?? 0, ep.clock)) return;
    ep.steps++;
    ep.lastMs = Date.now();
    this.steps++;
    if (ep.steps === this.episodeSteps) this.end(connection, ep);
  }

  /** Totals for `status`. */
  stats(): TelemetryStats {
    const r = this.report;
    return {
      dir: this.o.dir, max_bytes: this.o.maxBytes, files: r.files, bytes: r.bytes, steps_recorded: this.steps,
      episodes_written: r.episodesWritten, episodes_dropped: r.episodesDropped + this.dropped, files_deleted: r.deletedFiles,
    };
  }

  /** Ends every open episode, lets the writer finish and close its file, and stops it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      this.worker.ref(); // nothing else may keep the process alive while the writer finishes
      for (const [c, ep] of this.episodes) this.end(c, ep);
      const closed = new Promise<TelemetryReport>((resolve) => {
        const mine = (r: TelemetryReport) => (r.closed ? resolve(r) : this.waiters.push(mine));
        this.waiters.push(mine);
      });
      this.post({ type: 'close' });
      await Promise.race([closed, new Promise((r) => this.worker.once('exit', r))]);
      await this.worker.terminate();
    })();
    return this.closing;
  }

  private endIdle(): void {
    const now = Date.now();
    for (const [c, ep] of this.episodes) if (now - ep.lastMs > IDLE_MS) this.end(c, ep);
  }

  /** Hands a connection's episode to the writer (or drops it when the writer is behind). */
  private end(connection: string, ep: Episode): void {
    this.episodes.delete(connection);
    if (ep.steps === 0) return;
    if (this.queued >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    const rows = ep.rows.slice(0, ep.steps * this.layout.stride);
    this.post({ type: 'episode', rows, steps: ep.steps, terminated: false }, [rows.buffer]);
  }

  private post(m: TelemetryCommand, transfer: ArrayBuffer[] = []): void {
    this.queued++;
    this.worker.postMessage(m, transfer);
  }
}
