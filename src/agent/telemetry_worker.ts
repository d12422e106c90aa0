/**
 * The telemetry writer thread (started by `telemetry.ts` through `src/ts_worker.mjs`), so no
 * disk write or fsync ever waits inside the control loop. It writes the episodes it is sent to
 * rotating recording files `telemetry-<time>.rec` in its directory — a file is renamed into place
 * when it is rotated (size or age) or the agent stops — and deletes the oldest files to keep the
 * directory under its byte bound. A file a killed agent left unfinished is recovered when it
 * reads back whole, else deleted.
 */
import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { readRecording, RecordingWriter, stepLayout, type RecordingHeader } from '../robot/recording.ts';

/** What the writer is started with. */
export interface TelemetryWorkerData {
  entry: string;
  dir: string;
  header: Omit<RecordingHeader, 'format' | 'version'>;
  /** The directory's bound (bytes, files of this writer's naming only). */
  maxBytes: number;
  /** A file is rotated past this size (bytes) … */
  fileBytes: number;
  /** … or this age (ms). */
  fileMs: number;
}

/** Main thread → writer. */
export type TelemetryCommand =
  | { type: 'episode'; rows: Float32Array; steps: number; terminated: boolean }
  | { type: 'close' };

/** Writer → main thread: after every command, what is on disk. */
export interface TelemetryReport {
  type: 'report';
  files: number;
  bytes: number;
  episodesWritten: number;
  episodesDropped: number;
  deletedFiles: number;
  closed: boolean;
  error: string | null;
}

const NAME = /^telemetry-[\w.-]+\.rec$/;
const LEFTOVER = /^\.(telemetry-[\w.-]+\.rec)\.tmp-(\d+)-[0-9a-f]+$/;

/** One open file and the finished ones, oldest first. */
class TelemetryFiles {
  private writer: RecordingWriter | null = null;
  private openedMs = 0;
  private currentBytes = 0;
  private readonly done: { file: string; bytes: number }[] = [];
  private serial = 0;
  episodesWritten = 0;
  episodesDropped = 0;
  deletedFiles = 0;
  private readonly strideBytes: number;

  constructor(private readonly cfg: TelemetryWorkerData) {
    this.strideBytes = 4 * stepLayout(cfg.header).stride;
    this.recoverLeftovers();
    for (const f of readdirSync(cfg.dir).filter((n) => NAME.test(n)).sort()) this.done.push({ file: path.join(cfg.dir, f), bytes: statSync(path.join(cfg.dir, f)).size });
  }

  /** Appends one episode, rotating and deleting old files as the bounds require. */
  episode(rows: Float32Array, steps: number, terminated: boolean): void {
    const size = steps * this.strideBytes + 512;
    if (size > this.cfg.maxBytes / 2) {
      this.episodesDropped++;
      return;
    }
    if (this.writer && (this.currentBytes + size > this.cfg.fileBytes || Date.now() - this.openedMs > this.cfg.fileMs)) this.rotate();
    this.makeRoom(size);
    const w = this.writer ?? this.open();
    const L = stepLayout(w.header);
    w.beginEpisode({ env: 0, dr: {} });
    for (let s = 0; s < steps; s++) {
      const row = rows.subarray(s * L.stride, (s + 1) * L.stride);
      w.addStep({ poses: row.subarray(L.poses, L.obs), obs: row.subarray(L.obs, L.actions), actions: row.subarray(L.actions, L.reward), reward: row[L.reward]!, terms: row.subarray(L.terms, L.stride) });
    }
    w.endEpisode({ terminated });
    this.currentBytes += size;
    this.episodesWritten++;
  }

  /** Closes the open file into place. */
  close(): void {
    this.rotate();
  }

  report(closed: boolean, error: string | null): TelemetryReport {
    const bytes = this.done.reduce((a, f) => a + f.bytes, 0) + this.currentBytes;
    return { type: 'report', files: this.done.length + (this.writer ? 1 : 0), bytes, episodesWritten: this.episodesWritten, episodesDropped: this.episodesDropped, deletedFiles: this.deletedFiles, closed, error };
  }

  private open(): RecordingWriter {
    const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
    const file = path.join(this.cfg.dir, `telemetry-${stamp}-${String(this.serial++).padStart(4, '0')}.rec`);
    this.writer = RecordingWriter.open(file, this.cfg.header);
    this.openedMs = Date.now();
    this.currentBytes = 0;
    return this.writer;
  }

  private rotate(): void {
    const w = this.writer;
    if (!w) return;
    this.writer = null;
    const file = w.file;
    w.close();
    this.done.push({ file, bytes: statSync(file).size });
    this.currentBytes = 0;
  }

  /** Deletes the oldest finished files until `size` more bytes fit under the bound. */
  private makeRoom(size: number): void {
    const total = () => this.done.reduce((a, f) => a + f.bytes, 0) + this.currentBytes;
    while (total() + size > this.cfg.maxBytes && this.done.length > 0) {
      const f = this.done.shift()!;
      rmSync(f.file, { force: true });
      this.deletedFiles++;
    }
  }

  /** Finishes what an agent killed outright left: a whole file is renamed into place, a torn one deleted. */
  private recoverLeftovers(): void {
    for (const name of readdirSync(this.cfg.dir)) {
      const m = LEFTOVER.exec(name);
      if (!m || Number(m[2]) === process.pid) continue;
      const from = path.join(this.cfg.dir, name);
      try {
        readRecording(from);
        renameSync(from, path.join(this.cfg.dir, m[1]!));
      } catch {
        rmSync(from, { force: true });
      }
    }
  }
}

const cfg = workerData as TelemetryWorkerData;
const port = parentPort!;
let files: TelemetryFiles | null = null;
let error: string | null = null;
try {
  files = new TelemetryFiles(cfg);
} catch (e) {
  error = `telemetry ${cfg.dir}: ${(e as Error).message}`;
}
port.on('message', (m: TelemetryCommand) => {
  try {
    if (m.type === 'episode') files?.episode(m.rows, m.steps, m.terminated);
    else files?.close();
  } catch (e) {
    error = `telemetry ${cfg.dir}: ${(e as Error).message}`;
  }
  const r = files?.report(m.type === 'close', error) ?? { type: 'report', files: 0, bytes: 0, episodesWritten: 0, episodesDropped: 0, deletedFiles: 0, closed: m.type === 'close', error };
  port.postMessage(r);
  error = null;
});
