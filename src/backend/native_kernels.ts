/**
 * The CPU backend's heavy ops on native kernels: linear layers (forward, and backward with its
 * weight, bias and input gradients), the activations and wide-row gathers, each a `run` of a
 * cached onnxruntime session (`ort_runtime.ts`) over the backend's own Float32Arrays — inputs
 * read in place, outputs written in place. One session per kind of op (graphs in
 * `ort_graphs.ts`, every dimension symbolic) serves every layer shape and batch size; each kind
 * has a session on onnxruntime's intra-op pool of `threads` threads for large runs and one on a
 * single thread for small runs, where waking the pool costs more than it saves.
 *
 * **A layer and its activation in one run.** The actor-critic runs a hidden layer as a linear
 * forward followed by the activation in place on its output, and backpropagates as the input
 * gradient followed by the activation gradient in place on it. So the last linear op is held
 * back (its operands recorded), and an activation that continues it in place runs fused with it
 * in one graph: one pass less over the data, one output less to hand back, the same bits. Any
 * other op first calls `settle()`, which runs a held-back op alone; the CPU backend calls it at
 * the top of every op, so nothing can observe the difference.
 *
 * **Outputs in row ranges.** onnxruntime-node hands every output back as a fresh JS array, a copy
 * we drop: cheap while it stays in cache (~0.1 ns an element up to 128 k elements on the
 * development machine), several times dearer per element from ~1 M. So ops with large outputs
 * run in row ranges of at most `RUN_OUTPUT_ELEMENTS` output elements; rows are independent in
 * those ops, and the ranges depend on the shape only.
 *
 * A run costs ~5–10 µs, so ops too small to pay for it (acting on a handful of envs, a cartpole
 * layer) return false and the caller runs the TypeScript reference: which path an op takes
 * depends on its shape only, never on timing or the thread count.
 */
import type { Activation } from './backend.ts';
import {
  activationBackwardModel, activationForwardModel, gatherRowsModel, linearForwardModel, linearInputGradModel, linearWeightGradsModel, type DxMode,
} from './ort_graphs.ts';
import { f32, i32, loadOrtRuntime, type OrtRuntime, type OrtSession, type OrtTensor } from './ort_runtime.ts';

/**
 * Multiply-adds from which a linear op runs natively: one run's overhead (~7 µs measured on the
 * 2-core development machine) buys ~2·10⁴ multiply-adds of the TypeScript GEMM.
 */
export const NATIVE_MIN_MACS = 16_384;
/**
 * Elements from which a lone activation runs natively: the TypeScript ELU and tanh cost ~20 ns
 * an element (a Math.expm1 or Math.tanh each), their gradients ~6 ns.
 */
export const NATIVE_MIN_ELEMENTS = { forward: 512, backward: 2048 } as const;
/**
 * Row width from which `gatherRows` runs natively: rows of a few floats copy fast enough in
 * TypeScript; wide ones (observations) took 4× longer there than onnxruntime's `Gather` inside a
 * PPO update on the development machine.
 */
export const NATIVE_MIN_GATHER_WIDTH = 8;
/**
 * Work under which a run uses a one-thread session even on a multi-threaded backend: waking
 * onnxruntime's pool costs ~10–20 µs, as much as ~2·10⁶ multiply-adds (or ~10⁵ elements of an
 * activation) on one core. Results do not depend on the thread count, so this changes only time.
 */
export const PARALLEL_MIN_MACS = 2_000_000;
/** The same for elementwise runs (activations, gathers), in output elements. */
export const PARALLEL_MIN_ELEMENTS = 100_000;
/** Most output elements one run writes (512 kB: its copy stays in cache), see the file comment. */
export const RUN_OUTPUT_ELEMENTS = 131_072;

/** Operands of a linear layer's backward pass (flat row-major arrays) and its sizes. */
export interface NativeLinearGrads {
  x: Float32Array;
  w: Float32Array;
  dy: Float32Array;
  dx: Float32Array | null;
  dw: Float32Array;
  db: Float32Array;
  rows: number;
  nIn: number;
  nOut: number;
}

/** A held-back linear op: a forward (y = x·w + b) or an input gradient (out = dy·wᵀ). */
interface Pending {
  kind: 'forward' | 'input grad';
  /** x for a forward, dy for an input gradient. */
  a: Float32Array;
  w: Float32Array;
  /** The bias of a forward. */
  b: Float32Array | null;
  /** y for a forward, dx for an input gradient: the array an activation must continue in place. */
  out: Float32Array;
  rows: number;
  nIn: number;
  nOut: number;
}

/** Native kernels on a private set of onnxruntime sessions; `dispose()` frees them. */
export class NativeKernels {
  /** Says what runs the kernels, for logs (`onnxruntime-node 1.30.0 (MLAS)`). */
  readonly description: string;
  private readonly sessions = new Map<string, OrtSession>();
  private pending: Pending | null = null;
  /** Copies of the old gradients for an accumulating backward pass (never fed as the output memory). */
  private scratch = new Float32Array(0);
  private disposed = false;

  private constructor(private readonly runtime: OrtRuntime, readonly threads: number) {
    this.description = `onnxruntime-node ${runtime.version} (MLAS)`;
  }

  /** Opens the native kernels on `threads` threads; throws an Error with a one-line reason when onnxruntime cannot load. */
  static open(threads: number): NativeKernels {
    const k = new NativeKernels(loadOrtRuntime(), threads);
    k.session('linear forward', () => linearForwardModel(null), false); // fail here, not in the first op, if sessions cannot be made
    return k;
  }

  /** y = x·w + b natively (held back: see the file comment); false (nothing done) when too small to pay. */
  linearForward(x: Float32Array, w: Float32Array, b: Float32Array, y: Float32Array, rows: number, nIn: number, nOut: number): boolean {
    this.settle();
    if (rows * nIn * nOut < NATIVE_MIN_MACS) return false;
    this.pending = { kind: 'forward', a: x, w, b, out: y, rows, nIn, nOut };
    return true;
  }

  /**
   * dw (+)= xᵀ·dy and db (+)= Σ_rows dy now, dx = dy·wᵀ (unless null) held back, natively;
   * false (nothing done) when too small to pay.
   */
  linearBackward(g: NativeLinearGrads, accumulate: boolean): boolean {
    this.settle();
    const { rows, nIn, nOut } = g;
    if (rows * nIn * nOut < NATIVE_MIN_MACS) return false;
    const feeds: Record<string, OrtTensor> = { x: f32(g.x, [rows, nIn]), dy: f32(g.dy, [rows, nOut]) };
    if (accumulate) {
      const n = g.dw.length + g.db.length;
      if (this.scratch.length < n) this.scratch = new Float32Array(n);
      const dw0 = this.scratch.subarray(0, g.dw.length), db0 = this.scratch.subarray(g.dw.length, n);
      dw0.set(g.dw);
      db0.set(g.db);
      feeds.dw0 = f32(dw0, [nIn, nOut]);
      feeds.db0 = f32(db0, [nOut]);
    }
    const grads = this.session(`linear weight grads${accumulate ? ' accumulate' : ''}`, () => linearWeightGradsModel(accumulate), rows * nIn * nOut >= PARALLEL_MIN_MACS);
    grads.run(feeds, { dw: f32(g.dw, [nIn, nOut]), db: f32(g.db, [nOut]) });
    if (g.dx) this.pending = { kind: 'input grad', a: g.dy, w: g.w, b: null, out: g.dx, rows, nIn, nOut };
    return true;
  }

  /** y = act(x) natively (y may be x; fused with the held-back layer when it continues it); false when too small to pay. */
  activationForward(kind: Activation, x: Float32Array, y: Float32Array): boolean {
    const p = this.pending;
    if (p?.kind === 'forward' && p.out === x && x === y) {
      this.pending = null;
      this.runForward(p, kind);
      return true;
    }
    this.settle();
    if (x.length < NATIVE_MIN_ELEMENTS.forward) return false;
    const s = this.session(`${kind} forward`, () => activationForwardModel(kind), Math.min(x.length, RUN_OUTPUT_ELEMENTS) >= PARALLEL_MIN_ELEMENTS);
    forRanges(x.length, 1, (i0, i1) => s.run({ x: f32(x.subarray(i0, i1), [i1 - i0]) }, { y: f32(y.subarray(i0, i1), [i1 - i0]) }));
    return true;
  }

  /**
   * dx = dy·act'(x) from the forward output y natively (dx may be dy; fused with the held-back
   * input gradient when it continues it); false when too small to pay.
   */
  activationBackward(kind: Activation, y: Float32Array, dy: Float32Array, dx: Float32Array): boolean {
    const p = this.pending;
    if (p?.kind === 'input grad' && p.out === dy && dy === dx && y.length === dx.length) {
      this.pending = null;
      this.runInputGrad(p, kind, y);
      return true;
    }
    this.settle();
    if (y.length < NATIVE_MIN_ELEMENTS.backward) return false;
    const s = this.session(`${kind} backward`, () => activationBackwardModel(kind), Math.min(y.length, RUN_OUTPUT_ELEMENTS) >= PARALLEL_MIN_ELEMENTS);
    forRanges(y.length, 1, (i0, i1) => s.run({ y: f32(y.subarray(i0, i1), [i1 - i0]), dy: f32(dy.subarray(i0, i1), [i1 - i0]) }, { dx: f32(dx.subarray(i0, i1), [i1 - i0]) }));
    return true;
  }

  /**
   * dst[i, :] = src[idx[i], :] natively (indices already checked against the rows); false when
   * the rows are too narrow to pay.
   */
  gatherRows(src: Float32Array, idx: Uint32Array, dst: Float32Array, rows: number, width: number): boolean {
    this.settle();
    if (width < NATIVE_MIN_GATHER_WIDTH || idx.length === 0) return false;
    const s = this.session('gather rows', gatherRowsModel, Math.min(idx.length * width, RUN_OUTPUT_ELEMENTS) >= PARALLEL_MIN_ELEMENTS), from = f32(src, [rows, width]);
    const signed = new Int32Array(idx.buffer, idx.byteOffset, idx.length); // the same bits: every index is < rows < 2³¹
    forRanges(idx.length, width, (r0, r1) => s.run({ src: from, idx: i32(signed.subarray(r0, r1), [r1 - r0]) }, { dst: f32(dst.subarray(r0 * width, r1 * width), [r1 - r0, width]) }));
    return true;
  }

  /** Runs the held-back op, if any; every op that is not its continuation must call this first. */
  settle(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.kind === 'forward') this.runForward(p, null);
    else this.runInputGrad(p, null, null);
  }

  /** Frees every session and its threads (a held-back op is dropped); later calls throw. Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.pending = null;
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
  }

  /** y = act(x·w + b) (act null: none), by row ranges. */
  private runForward(p: Pending, act: Activation | null): void {
    const { a: x, out: y, rows, nIn, nOut } = p;
    const s = this.session(`linear ${act ?? ''} forward`, () => linearForwardModel(act), rangeRows(rows, nOut) * nIn * nOut >= PARALLEL_MIN_MACS);
    const w = f32(p.w, [nIn, nOut]), b = f32(p.b as Float32Array, [nOut]);
    forRanges(rows, nOut, (r0, r1) => s.run({ x: f32(x.subarray(r0 * nIn, r1 * nIn), [r1 - r0, nIn]), w, b }, { y: f32(y.subarray(r0 * nOut, r1 * nOut), [r1 - r0, nOut]) }));
  }

  /** dx = dy·wᵀ, times act'(y) when `act` is given, by row ranges. */
  private runInputGrad(p: Pending, act: Activation | null, y: Float32Array | null): void {
    const { a: dy, out: dx, rows, nIn, nOut } = p;
    const mode: DxMode = nOut === 1 ? 'row' : 'transpose';
    const s = this.session(`linear input grad ${mode} ${act ?? ''}`, () => linearInputGradModel(mode, act), rangeRows(rows, nIn) * nIn * nOut >= PARALLEL_MIN_MACS);
    const feeds: Record<string, OrtTensor> = mode === 'row' ? { wRow: f32(p.w, [1, nIn]) } : { w: f32(p.w, [nIn, nOut]) };
    forRanges(rows, nIn, (r0, r1) => {
      feeds.dy = f32(dy.subarray(r0 * nOut, r1 * nOut), [r1 - r0, nOut]);
      if (y) feeds.y = f32(y.subarray(r0 * nIn, r1 * nIn), [r1 - r0, nIn]);
      s.run(feeds, { dx: f32(dx.subarray(r0 * nIn, r1 * nIn), [r1 - r0, nIn]) });
    });
  }

  /** The session of op `key` (on every thread when `parallel`, else on one), built from `model()` on first use. */
  private session(key: string, model: () => Uint8Array, parallel: boolean): OrtSession {
    if (this.disposed) throw new Error('cpu backend: used after destroy() (its native kernels are freed)');
    const threads = parallel ? this.threads : 1, full = `${key} ×${threads}`;
    let s = this.sessions.get(full);
    if (!s) {
      s = this.runtime.createSession(model(), threads);
      this.sessions.set(full, s);
    }
    return s;
  }
}

/** Rows of the largest range `forRanges` cuts `rows` rows of `width` output elements into. */
function rangeRows(rows: number, width: number): number {
  return Math.min(rows, Math.max(1, Math.floor(RUN_OUTPUT_ELEMENTS / width)));
}

/** Calls f on consecutive row ranges [r0, r1) of `rows` rows, each at most `RUN_OUTPUT_ELEMENTS / width` rows. */
function forRanges(rows: number, width: number, f: (r0: number, r1: number) => void): void {
  const step = rangeRows(rows, width);
  for (let r0 = 0; r0 < rows; r0 += step) f(r0, Math.min(rows, r0 + step));
}
