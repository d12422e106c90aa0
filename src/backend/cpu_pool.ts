/**
 * The CPU backend's thread pool: `threads − 1` worker threads that share the large matrix
 * products (and the transposes in front of them, and the activations) with the calling thread. A job goes through a
 * control block on a SharedArrayBuffer (`cpu_pool_protocol.ts`): the caller writes it, wakes
 * the threads with Atomics.notify, claims parts itself like any thread, and sleeps in
 * Atomics.wait until the last part is done, so a product costs no message and ~10 µs of
 * hand-off. Parts are whole rows (in blocks of four) or whole columns of the output, and every
 * element is summed in the same order as on one thread: results are bitwise the same for any
 * thread count and whoever claims which part. Products under `MIN_PARALLEL_MACS` stay on the
 * calling thread. Pool threads are unref'd (they never keep the process alive); `destroy()`
 * ends them.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { Activation } from './backend.ts';
import { activationBackwardRange, activationForwardRange } from './cpu_activation.ts';
import { gemm, transpose } from './cpu_gemm.ts';
import {
  CONTROL_SLOTS, GEN_MASK, JobKind, MAX_PARTS, MESSAGE_UNITS, PART_BITS, Slot, readMessage, runPart, type PartJob,
} from './cpu_pool_protocol.ts';
import type { BufferMessage, PoolWorkerData } from './cpu_pool_worker.ts';

const BOOT = fileURLToPath(new URL('../ts_worker.mjs', import.meta.url));
const ENTRY = new URL('./cpu_pool_worker.ts', import.meta.url).href;

/** Most threads a pool takes (the networks this trains stop scaling long before). */
export const MAX_THREADS = 64;
/**
 * Multiply-adds under which a product stays on the calling thread: waking the pool and waiting
 * for the last part cost ~7 µs (2-core machine), so a split pays from ~4·10⁴ multiply-adds
 * (~15 µs on one core); 10⁵ leaves a margin for busier machines.
 */
export const MIN_PARALLEL_MACS = 100_000;
/** Elements under which a transpose stays on the calling thread. */
const MIN_PARALLEL_TRANSPOSE = 65_536;
/** Elements under which an activation stays on the calling thread (forward: a tanh or expm1 each). */
const MIN_PARALLEL_ACTIVATION = { forward: 8192, backward: 65_536 } as const;
/** A caller with no finished part for this long reports the pool as stuck instead of hanging. */
const STUCK_MS = 60_000;

/** How a job is cut: rows (0) or columns (1) of the output, `step` of them per part. */
interface Plan {
  split: number;
  step: number;
  parts: number;
}

/** The parts of c[m, n] = a·b for `threads` threads, or null when it is not worth splitting. */
export function planGemm(m: number, k: number, n: number, threads: number): Plan | null {
  if (threads < 2 || m * k * n < MIN_PARALLEL_MACS) return null;
  // rows in blocks of four keep the register blocking; columns only when rows run short
  const rowParts = Math.min(threads, Math.floor(m / 4)), colParts = Math.min(threads, Math.floor(n / 8));
  if (rowParts >= colParts) {
    if (rowParts < 2) return null;
    const step = 4 * Math.ceil(m / rowParts / 4);
    return { split: 0, step, parts: Math.ceil(m / step) };
  }
  const step = Math.ceil(n / colParts);
  return { split: 1, step, parts: Math.ceil(n / step) };
}

/** A pool of `threads − 1` worker threads plus the calling thread; see the file comment. */
export class CpuPool {
  readonly threads: number;
  private readonly control: Int32Array;
  private readonly area: Uint16Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  /** Ids of the SharedArrayBuffers posted to the threads. */
  private readonly ids = new WeakMap<SharedArrayBuffer, number>();
  /** Tells the threads to drop a buffer once the caller's last reference to it is gone. */
  private readonly releases = new FinalizationRegistry<number>((id) => this.post({ id, release: true }));
  private nextId = 1;
  private generation = 0;
  private broken: string | null = null;
  private destroyed = false;

  constructor(threads: number) {
    if (!Number.isInteger(threads) || threads < 2 || threads > MAX_THREADS) throw new Error(`CpuPool: threads must be an integer in 2..${MAX_THREADS}, got ${threads}`);
    this.threads = threads;
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
    this.area = new Uint16Array(new SharedArrayBuffer(MESSAGE_UNITS * 2));
    for (let i = 0; i < threads - 1; i++) {
      const { port1, port2 } = new MessageChannel();
      const data: PoolWorkerData = { entry: ENTRY, index: i, control: this.control.buffer as SharedArrayBuffer, message: this.area.buffer as SharedArrayBuffer, port: port2 };
      const w = new Worker(BOOT, { workerData: data, transferList: [port2], name: `sim2real cpu pool ${i}` });
      w.on('error', (e) => (this.broken ??= `pool thread ${i} failed: ${e.message}`));
      w.on('exit', (code) => {
        if (!this.destroyed) this.broken ??= `pool thread ${i} exited (code ${code})`;
      });
      w.unref();
      port1.unref();
      this.workers.push(w);
      this.ports.push(port1);
    }
  }

  /** c = a·b, or c += a·b when `accumulate` (as `gemm` in cpu_gemm.ts), split over the pool when large. */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean): void {
    this.check();
    const plan = planGemm(m, k, n, this.threads);
    if (!plan || !isShared(a) || !isShared(b) || !isShared(c)) {
      gemm(a, b, c, m, k, n, accumulate);
      return;
    }
    this.run({ kind: JobKind.gemm, ...plan, m, k, n, accumulate }, a, b, c);
  }

  /** out[n, m] = srcᵀ for src[m, n] (as `transpose` in cpu_gemm.ts), split by rows of out when large. */
  transpose(src: Float32Array, out: Float32Array, m: number, n: number): void {
    this.check();
    const parts = Math.min(this.threads, n);
    if (m * n < MIN_PARALLEL_TRANSPOSE || parts < 2 || !isShared(src) || !isShared(out)) {
      transpose(src, out, m, n);
      return;
    }
    const step = Math.ceil(n / parts);
    this.run({ kind: JobKind.transpose, split: 1, step, parts: Math.ceil(n / step), m, k: 0, n, accumulate: false }, src, src, out);
  }

  /** y = act(x) elementwise (x may be y), split into element ranges when large. */
  activationForward(kind: Activation, x: Float32Array, y: Float32Array): void {
    this.check();
    const plan = this.planElements(x.length, MIN_PARALLEL_ACTIVATION.forward);
    if (!plan || !isShared(x) || !isShared(y)) activationForwardRange(kind, x, y, 0, x.length);
    else this.run({ kind: JobKind.activationForward, split: kind === 'tanh' ? 0 : 1, ...plan, m: x.length, k: 0, n: 0, accumulate: false }, x, x, y);
  }

  /** dx = dy·act'(x) from the forward output y (dx may be dy), split into element ranges when large. */
  activationBackward(kind: Activation, y: Float32Array, dy: Float32Array, dx: Float32Array): void {
    this.check();
    const plan = this.planElements(y.length, MIN_PARALLEL_ACTIVATION.backward);
    if (!plan || !isShared(y) || !isShared(dy) || !isShared(dx)) activationBackwardRange(kind, y, dy, dx, 0, y.length);
    else this.run({ kind: JobKind.activationBackward, split: kind === 'tanh' ? 0 : 1, ...plan, m: y.length, k: 0, n: 0, accumulate: false }, y, dy, dx);
  }

  /** Ends the pool threads; later calls throw. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    Atomics.store(this.control, Slot.stop, 1);
    Atomics.add(this.control, Slot.claim, 1 << PART_BITS); // a new generation: every sleeper wakes
    Atomics.notify(this.control, Slot.claim);
    for (const w of this.workers) void w.terminate().catch(() => {});
    for (const p of this.ports) p.close();
  }

  /** Parts of products and transposes the pool threads (not the caller) have computed so far. */
  get poolParts(): number {
    return Atomics.load(this.control, Slot.poolParts);
  }

  /** Test hook: pool threads throw in the parts they claim until `injectFailure(false)`. */
  injectFailure(on = true): void {
    Atomics.store(this.control, Slot.inject, on ? 1 : 0);
  }

  /** Element ranges of whole cache lines (16 floats), one per thread, or null under `min` elements. */
  private planElements(size: number, min: number): { step: number; parts: number } | null {
    if (size < min) return null;
    const step = 16 * Math.ceil(size / this.threads / 16);
    return { step, parts: Math.ceil(size / step) };
  }

  private check(): void {
    if (this.destroyed) throw new Error('cpu backend: used after destroy() (its thread pool is gone)');
    const dead = Atomics.load(this.control, Slot.dead);
    if (dead) this.broken ??= `pool thread ${dead - 1} stopped: ${readMessage(this.control, this.area)}`;
    if (this.broken) throw new Error(`cpu backend: ${this.broken}`);
  }

  /** Posts a job, computes parts of it here, and returns once every part is done. */
  private run(job: PartJob & { parts: number }, a: Float32Array, b: Float32Array, c: Float32Array): void {
    if (job.parts > MAX_PARTS) throw new Error(`CpuPool: ${job.parts} parts (most ${MAX_PARTS})`);
    const ctl = this.control;
    const [aId, bId, cId] = [this.idOf(a), this.idOf(b), this.idOf(c)];
    ctl[Slot.kind] = job.kind;
    ctl[Slot.split] = job.split;
    ctl[Slot.step] = job.step;
    ctl[Slot.m] = job.m;
    ctl[Slot.k] = job.k;
    ctl[Slot.n] = job.n;
    ctl[Slot.accumulate] = job.accumulate ? 1 : 0;
    ctl[Slot.aId] = aId;
    ctl[Slot.aOff] = a.byteOffset >> 2;
    ctl[Slot.bId] = bId;
    ctl[Slot.bOff] = b.byteOffset >> 2;
    ctl[Slot.cId] = cId;
    ctl[Slot.cOff] = c.byteOffset >> 2;
    ctl[Slot.parts] = job.parts;
    Atomics.store(ctl, Slot.done, 0);
    Atomics.store(ctl, Slot.failed, 0);
    this.generation = (this.generation + 1) & GEN_MASK;
    Atomics.store(ctl, Slot.claim, this.generation << PART_BITS);
    Atomics.notify(ctl, Slot.claim, this.threads - 1);
    // -- our share: claim like any thread (the pool may still be starting, or busy elsewhere)
    let error: unknown = null;
    for (;;) {
      const part = Atomics.add(ctl, Slot.claim, 1) & ((1 << PART_BITS) - 1);
      if (part >= job.parts) break;
      try {
        runPart(a, b, c, job, part);
      } catch (e) {
        error ??= e;
      }
      Atomics.add(ctl, Slot.done, 1);
    }
    this.waitDone(job.parts);
    if (error) throw error;
    const failed = Atomics.load(ctl, Slot.failed);
    if (failed) throw new Error(`cpu backend: pool thread ${failed - 1} failed in ${JOB_NAMES[job.kind]}: ${readMessage(ctl, this.area)}`);
  }

  /** Sleeps until `parts` parts are done; throws if a pool thread died or nothing moves for a minute. */
  private waitDone(parts: number): void {
    const ctl = this.control;
    let last = -1, since = performance.now();
    for (;;) {
      const done = Atomics.load(ctl, Slot.done);
      if (done >= parts) return;
      const dead = Atomics.load(ctl, Slot.dead);
      if (dead) {
        this.broken = `pool thread ${dead - 1} stopped: ${readMessage(ctl, this.area)}`;
        throw new Error(`cpu backend: ${this.broken}`);
      }
      if (done !== last) {
        last = done;
        since = performance.now();
      } else if (performance.now() - since > STUCK_MS) {
        this.broken = `pool threads finished no part for ${STUCK_MS / 1000} s (${done} of ${parts} done)`;
        throw new Error(`cpu backend: ${this.broken}`);
      }
      Atomics.wait(ctl, Slot.done, done, 100);
    }
  }

  /** The id of a's buffer, posting the buffer to every thread the first time. */
  private idOf(a: Float32Array): number {
    const buf = a.buffer as SharedArrayBuffer;
    let id = this.ids.get(buf);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(buf, id);
      this.releases.register(buf, id);
      this.post({ id, buffer: buf });
    }
    return id;
  }

  private post(m: BufferMessage): void {
    if (this.destroyed) return;
    for (const p of this.ports) p.postMessage(m);
    Atomics.add(this.control, Slot.posted, 1);
  }
}

const JOB_NAMES = ['a matrix product', 'a transpose', 'an activation', 'an activation gradient'];

function isShared(a: Float32Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}
