/**
 * Abusive peers for the fairness and back-pressure tests, all real `ws` clients on loopback:
 * flooders that send frames (valid observations and malformed ones) as fast as their sockets
 * take them, run in a worker thread so that, like a separate machine, they do not share the
 * server's event loop; and a paused reader that asks for replies and never reads them.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { encodeObsFrame } from '../../src/bridge/binary.ts';
import { hello } from './helpers.ts';

/** Opens a raw `ws` client; rejects on refusal. */
export function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Resolves on the next turn of the event loop (after I/O). */
export const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** What a flood did, per flooding connection. */
export interface FloodReport {
  sent: number;
  replies: number;
  rateLimited: number;
  closeCode: number | null;
}

/**
 * The worker's code (CommonJS, run with `eval`): opens `count` connections, says hello on each,
 * posts 'started' once every one has had a reply, then sends the frames in turn as fast as each
 * socket takes them (below 64 KiB unsent), and on 'stop' posts one report per connection.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const { url, count, frames, hello } = workerData;
const peers = [];
let running = true, waiting = count;
for (let i = 0; i < count; i++) {
  const p = { sent: 0, replies: 0, rateLimited: 0, closeCode: null, ws: new WebSocket(url) };
  peers.push(p);
  p.ws.on('error', () => {});
  p.ws.on('open', () => p.ws.send(hello));
  p.ws.on('message', (data, binary) => {
    if (p.replies++ === 0 && --waiting === 0) parentPort.postMessage('started');
    if (!binary && data.includes('"code":"rate_limited"')) p.rateLimited++;
  });
  p.ws.on('close', (code) => { p.closeCode = code; });
}
function pump() {
  if (!running) return;
  for (const p of peers) {
    for (let k = 0; k < 100 && p.ws.readyState === 1 && p.ws.bufferedAmount < 65536; k++) p.ws.send(frames[p.sent++ % frames.length]);
  }
  setImmediate(pump);
}
pump();
parentPort.on('message', () => {
  running = false;
  parentPort.postMessage(peers.map(({ sent, replies, rateLimited, closeCode }) => ({ sent, replies, rateLimited, closeCode })));
  for (const p of peers) p.ws.terminate();
});
`;

/** The frames a flooder cycles through: valid binary observations, garbage bytes, broken JSON, an unknown op. */
function floodFrames(): (string | Uint8Array)[] {
  const frames: (string | Uint8Array)[] = [];
  for (let i = 0; i < 64; i++) {
    frames.push(encodeObsFrame(i + 1, i, [0.01, 0, -0.01, 0]), Uint8Array.of(1, 2, 3, 4, 5), '{"op":"obs","seq":', '{"op":"teleport"}');
  }
  return frames;
}

/** `count` flooding connections in a worker thread. */
export class Flood {
  private constructor(private readonly worker: Worker) {}

  /** Starts the flood and resolves once every connection has had a reply (the flood is under way). */
  static async start(url: string, count: number): Promise<Flood> {
    const wsPath = createRequire(import.meta.url).resolve('ws');
    const worker = new Worker(WORKER, { eval: true, workerData: { url, count, frames: floodFrames(), hello: JSON.stringify(hello('binary')), wsPath } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new Flood(worker);
  }

  /** Stops the flood, closes its connections and reports what each did. */
  async stop(): Promise<FloodReport[]> {
    const report = new Promise<FloodReport[]>((resolve) => this.worker.once('message', resolve));
    this.worker.postMessage('stop');
    const r = await report;
    await this.worker.terminate();
    return r;
  }
}
