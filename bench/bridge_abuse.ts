/**
 * The abusive clients of `npm run bench:bridge`'s abuse scenarios, in a worker thread so that
 * they neither share the measuring robot's event loop nor the server's: flooders (frames as
 * fast as the socket takes them — valid observations, garbage bytes, broken JSON, unknown ops),
 * clients that never read (paused sockets asking for `welcome` replies), and idle connections.
 * Flooders and non-readers reconnect when the server closes them, so the pressure lasts.
 * Also reads a process's memory from /proc.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { encodeObsFrame } from '../src/bridge/binary.ts';

/** What the abusers of one scenario do. */
export type AbuseKind = 'flood' | 'nonreader' | 'idle';

/** Totals over one scenario's abusive connections. */
export interface AbuseReport {
  opened: number;
  /** Upgrades refused (HTTP status, e.g. 503 at the connection cap). */
  refused: number;
  sent: number;
  replies: number;
  /** Server closes seen, by close code. */
  closes: Record<string, number>;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const { url, kind, count, frames, hello, paceHz } = workerData;
const report = { opened: 0, refused: 0, sent: 0, replies: 0, closes: {} };
const peers = [];
let running = true, waiting = count;
const settled = () => { if (--waiting === 0) parentPort.postMessage('started'); };
function open(i, first) {
  const ws = new WebSocket(url);
  peers[i] = ws;
  ws.on('error', () => {});
  ws.on('unexpected-response', (_req, res) => { report.refused++; res.resume(); if (first) settled(); });
  ws.on('open', () => {
    report.opened++;
    if (kind === 'nonreader') ws.pause();
    if (kind !== 'idle') { ws.send(hello); report.sent++; }
    if (first) settled();
  });
  ws.on('message', () => { report.replies++; });
  ws.on('close', (code) => {
    if (!running) return;
    report.closes[code] = (report.closes[code] || 0) + 1;
    if (kind !== 'idle') setTimeout(() => { if (running) open(i, false); }, 10);
  });
}
for (let i = 0; i < count; i++) open(i, true);
let n = 0;
function flood() {
  if (!running) return;
  for (const ws of peers) {
    for (let k = 0; k < 100 && ws.readyState === 1 && ws.bufferedAmount < 65536; k++) { ws.send(frames[n++ % frames.length]); report.sent++; }
  }
  setImmediate(flood);
}
let due = 0, t0 = performance.now();
function ask() {
  if (!running) return;
  const target = Math.floor(((performance.now() - t0) / 1000) * paceHz);
  for (; due < target; due++) for (const ws of peers) if (ws.readyState === 1) { ws.send(hello); report.sent++; }
  setTimeout(ask, 5);
}
if (kind === 'flood') flood();
if (kind === 'nonreader') ask();
parentPort.on('message', () => {
  running = false;
  for (const ws of peers) ws.terminate();
  parentPort.postMessage(report);
});
`;

/** The frames a flooder cycles through. */
function floodFrames(): (string | Uint8Array)[] {
  const frames: (string | Uint8Array)[] = [];
  for (let i = 0; i < 64; i++) frames.push(encodeObsFrame(i + 1, i, [0.01, 0, -0.01, 0]), Uint8Array.of(1, 2, 3, 4, 5), '{"op":"obs","seq":', '{"op":"teleport"}');
  return frames;
}

/** One scenario's abusive connections, running in a worker. */
export class Abusers {
  private constructor(private readonly worker: Worker) {}

  /**
   * Starts `count` connections of `kind` to `url` and resolves once each has opened or been
   * refused. Non-readers ask for a welcome `paceHz` times a second each.
   */
  static async start(url: string, kind: AbuseKind, count: number, paceHz = 0): Promise<Abusers> {
    const wsPath = createRequire(import.meta.url).resolve('ws');
    const hello = JSON.stringify({ op: 'hello', v: 1, client: `bench-${kind}`, observations: ['cart_pos', 'cart_vel', 'pole_angle', 'pole_angvel'], encoding: 'binary' });
    const worker = new Worker(WORKER, { eval: true, workerData: { url, kind, count, frames: floodFrames(), hello, paceHz, wsPath } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new Abusers(worker);
  }

  /** Stops them, closes their sockets and returns what they did. */
  async stop(): Promise<AbuseReport> {
    const report = new Promise<AbuseReport>((resolve) => this.worker.once('message', resolve));
    this.worker.postMessage('stop');
    const r = await report;
    await this.worker.terminate();
    return r;
  }
}

/** A process's resident memory now and at its peak (MB), from /proc/PID/status; NaN where unavailable. */
export function processMemoryMb(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}
