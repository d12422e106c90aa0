/**
 * The CPU reference backend: every op of `Backend` as a short loop over Float32Arrays. This file
 * is the definition the WebGPU kernels are checked against, so each op reads as its math; the
 * one place written for speed is the matrix product (`cpu_gemm.ts`), which the linear layers
 * use. Reductions accumulate in f64. Nothing allocates per call except `download` and
 * the transposes' scratch, which only grows.
 *
 * By default the linear layers, activations and wide-row gathers run on native kernels
 * (onnxruntime's MLAS, `native_kernels.ts`) on `threads` threads; where onnxruntime cannot load,
 * or with `kernels: 'ts'`, they run as the TypeScript loops here, and with `threads > 1` the tensors
 * live on SharedArrayBuffers and the large products, the transposes in front of them and the
 * activations are shared with a pool of threads (`cpu_pool.ts`), bitwise equal to one thread.
 * Every other op stays on the calling thread as written here.
 */
import {
  shapeSize,
  type Activation, type AdamParams, type Backend, type GaeInputs, type IndexTensor, type LinearGrads,
  type MomentTensors, type PpoLossInputs, type PpoLossOutputs, type PpoLossParams, type Tensor,
} from './backend.ts';
import { checkIndexView, checkPpoLoss, checkRowIndices, checkSameSize, checkShapes, checkUpload, checkUploadIndices, checkView } from './checks.ts';
import { activationBackwardRange, activationForwardRange } from './cpu_activation.ts';
import { gemm, transpose } from './cpu_gemm.ts';
import { CpuPool, MAX_THREADS } from './cpu_pool.ts';
import { logProbRow, ppoLossCpu } from './cpu_ppo_loss.ts';
import { openKernels, type CpuKernelsChoice } from './cpu_kernels_choice.ts';
import type { NativeKernels } from './native_kernels.ts';
import { CpuIndexTensor, CpuTensor, d32, idx, t32 } from './cpu_tensor.ts';

/** Options of `new CpuBackend(...)`. */
export interface CpuBackendConfig {
  /**
   * Threads the linear layers and activations run on, the calling thread included (default 1).
   * Results are bitwise the same for every count, on either kind of kernels.
   */
  threads?: number;
  /**
   * What runs the linear layers and activations: `native` (onnxruntime's kernels; an error if
   * they cannot load), `ts` (the TypeScript reference loops) or `auto` (native where it loads,
   * else ts). Default: the environment variable `SIM2REAL_CPU_KERNELS`, else `auto`.
   */
  kernels?: CpuKernelsChoice;
}

/** Ends the pool of a backend that was dropped without `destroy()`. */
const orphanedPools = new FinalizationRegistry<CpuPool>((pool) => pool.destroy());

/** The reference backend; synchronous underneath, `download` resolves at once. */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  /** Threads the linear layers and activations use (1: the calling thread only). */
  readonly threads: number;
  /** What runs the linear layers and activations: onnxruntime's native kernels or the TypeScript loops. */
  readonly kernels: 'native' | 'ts';
  /** One line for logs: which kernels run and, for the TypeScript ones, why (the option, or why onnxruntime did not load). */
  readonly kernelsDescription: string;
  /** The native kernels; null on the TypeScript path. */
  private readonly native: NativeKernels | null;
  /** The pool of `threads − 1` worker threads of the TypeScript path; null on one thread or native. */
  private readonly pool: CpuPool | null;
  private destroyed = false;
  /** Scratch for transposes in the linear ops; grows to the largest need, never shrinks. */
  private scratch: Float32Array;

  constructor(config: CpuBackendConfig = {}) {
    for (const key of Object.keys(config)) if (key !== 'threads' && key !== 'kernels') throw new Error(`CpuBackend: unknown option "${key}"`);
    const threads = config.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw new Error(`CpuBackend: threads must be an integer in 1..${MAX_THREADS}, got ${threads}`);
    this.threads = threads;
    const chosen = openKernels(config.kernels, threads);
    this.native = chosen.native;
    this.kernels = chosen.native ? 'native' : 'ts';
    this.kernelsDescription = chosen.description;
    this.pool = threads > 1 && !this.native ? new CpuPool(threads) : null;
    if (this.pool) orphanedPools.register(this, this.pool, this);
    this.scratch = this.alloc(0);
  }

  /** Parts of the jobs (products, transposes, activations) the pool threads computed so far (0 on one thread). */
  get pooledParts(): number {
    return this.pool?.poolParts ?? 0;
  }

  /**
   * Ends the pool threads (if any) and lets them exit; the linear and activation ops throw
   * afterwards. A backend dropped without it has its pool ended when it is garbage-collected,
   * and the threads never keep the process alive either way. A second call does nothing.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.native?.dispose();
    if (this.pool) {
      orphanedPools.unregister(this);
      this.pool.destroy();
    }
  }

  // -- memory
  tensor(shape: readonly number[]): Tensor {
    return new CpuTensor([...shape], this.alloc(shapeSize(shape)));
  }

  view(base: Tensor, offset: number, shape: readonly number[]): Tensor {
    const b = t32(base), n = shapeSize(shape);
    checkView(b.size, offset, n);
    return new CpuTensor([...shape], b.data.subarray(offset, offset + n));
  }

  upload(t: Tensor, data: Float32Array): void {
    this.settle();
    const d = t32(t).data;
    checkUpload(data.length, d.length);
    d.set(data);
  }

  download(t: Tensor): Promise<Float32Array> {
    this.settle();
    return Promise.resolve(t32(t).data.slice());
  }

  indexTensor(size: number): IndexTensor {
    return new CpuIndexTensor(new Uint32Array(size));
  }

  indexView(base: IndexTensor, offset: number, size: number): IndexTensor {
    const b = idx(base);
    checkIndexView(b.size, offset, size);
    return new CpuIndexTensor(b.data.subarray(offset, offset + size));
  }

  uploadIndices(t: IndexTensor, data: Uint32Array): void {
    this.settle();
    const d = idx(t).data;
    checkUploadIndices(data.length, d.length);
    d.set(data);
  }

  dispose(): void {
    // garbage-collected
  }

  // -- elementwise
  fill(out: Tensor, value: number): void {
    this.settle();
    t32(out).data.fill(value);
  }

  copy(src: Tensor, dst: Tensor): void {
    this.settle();
    const s = t32(src).data, d = t32(dst).data;
    checkSameSize('copy', s.length, d.length);
    d.set(s);
  }

  clamp(x: Tensor, lo: number, hi: number): void {
    this.settle();
    const d = t32(x).data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v < lo) d[i] = lo;
      else if (v > hi) d[i] = hi; // NaN fails both tests and stays NaN
    }
  }

  // -- layers
  linearForward(x: Tensor, w: Tensor, b: Tensor, y: Tensor): void {
    const X = t32(x), W = t32(w), bias = t32(b).data, Y = t32(y);
    const rows = X.rows, nIn = W.rows, nOut = W.cols;
    checkShapes('linearForward', X.cols === nIn && bias.length === nOut && Y.rows === rows && Y.cols === nOut);
    if (this.live() && this.native?.linearForward(X.data, W.data, bias, Y.data, rows, nIn, nOut)) return;
    for (let i = 0; i < rows; i++) Y.data.set(bias, i * nOut);
    this.gemm(X.data, W.data, Y.data, rows, nIn, nOut, true);
  }

  linearBackward(g: LinearGrads, accumulate: boolean): void {
    const X = t32(g.x), W = t32(g.w), dY = t32(g.dy), dW = t32(g.dw), db = t32(g.db).data;
    const rows = X.rows, nIn = W.rows, nOut = W.cols;
    checkShapes('linearBackward', X.cols === nIn && dY.rows === rows && dY.cols === nOut && dW.size === W.size && db.length === nOut);
    const dX = g.dx ? t32(g.dx) : null;
    if (dX) checkShapes('linearBackward dx', dX.size === X.size);
    if (this.live() && this.native?.linearBackward({ x: X.data, w: W.data, dy: dY.data, dx: dX?.data ?? null, dw: dW.data, db, rows, nIn, nOut }, accumulate)) return;
    // dW (+)= xᵀ · dy
    const xT = this.scratchOf(rows * nIn);
    this.transpose(X.data, xT, rows, nIn);
    this.gemm(xT, dY.data, dW.data, nIn, rows, nOut, accumulate);
    // db (+)= column sums of dy
    if (!accumulate) db.fill(0);
    for (let i = 0; i < rows; i++) {
      const o = i * nOut;
      for (let j = 0; j < nOut; j++) db[j] = db[j]! + dY.data[o + j]!;
    }
    // dx = dy · wᵀ
    if (dX) {
      const wT = this.scratchOf(W.size);
      this.transpose(W.data, wT, nIn, nOut);
      this.gemm(dY.data, wT, dX.data, rows, nOut, nIn, false);
    }
  }

  activationForward(kind: Activation, x: Tensor, y: Tensor): void {
    const s = t32(x).data, d = t32(y).data;
    checkSameSize('activationForward', s.length, d.length);
    if (this.live() && this.native?.activationForward(kind, s, d)) return;
    if (this.pool) this.pool.activationForward(kind, s, d);
    else activationForwardRange(kind, s, d, 0, s.length);
  }

  activationBackward(kind: Activation, y: Tensor, dy: Tensor, dx: Tensor): void {
    const Y = t32(y).data, dY = t32(dy).data, dX = t32(dx).data;
    checkSameSize('activationBackward', Y.length, dY.length, dX.length);
    if (this.live() && this.native?.activationBackward(kind, Y, dY, dX)) return;
    if (this.pool) this.pool.activationBackward(kind, Y, dY, dX);
    else activationBackwardRange(kind, Y, dY, dX, 0, Y.length);
  }

  // -- Gaussian policy
  gaussianSample(mean: Tensor, logStd: Tensor, noise: Tensor, out: Tensor): void {
    this.settle();
    const mu = t32(mean).data, ls = t32(logStd).data, eps = t32(noise).data, a = t32(out).data;
    const A = ls.length;
    checkSameSize('gaussianSample', mu.length, eps.length, a.length);
    for (let i = 0; i < mu.length; i++) a[i] = mu[i]! + Math.exp(ls[i % A]!) * eps[i]!;
  }

  gaussianLogProb(mean: Tensor, logStd: Tensor, actions: Tensor, out: Tensor): void {
    this.settle();
    const mu = t32(mean).data, ls = t32(logStd).data, a = t32(actions).data, lp = t32(out).data;
    const A = ls.length;
    checkShapes('gaussianLogProb', mu.length === a.length && mu.length === lp.length * A);
    for (let i = 0; i < lp.length; i++) lp[i] = logProbRow(mu, ls, a, i * A);
  }

  ppoLoss(inp: PpoLossInputs, p: PpoLossParams, out: PpoLossOutputs): void {
    this.settle();
    checkPpoLoss(inp, out);
    ppoLossCpu(
      { mean: d32(inp.mean), logStd: d32(inp.logStd), value: d32(inp.value), actions: d32(inp.actions), oldLogProb: d32(inp.oldLogProb),
        oldValue: d32(inp.oldValue), advantages: d32(inp.advantages), returns: d32(inp.returns) },
      p,
      { gradMean: d32(out.gradMean), gradLogStd: d32(out.gradLogStd), gradValue: d32(out.gradValue), stats: d32(out.stats) },
    );
  }

  // -- rollout processing
  gatherRows(src: Tensor, index: IndexTensor, dst: Tensor): void {
    this.settle();
    const S = t32(src), D = t32(dst), ix = idx(index).data, w = S.cols;
    checkShapes('gatherRows', D.size === ix.length * w);
    checkRowIndices(ix, S.rows);
    if (this.native?.gatherRows(S.data, ix, D.data, S.rows, w)) return;
    const s = S.data, d = D.data, width = w | 0; // an integer, so the index arithmetic stays in small ints
    for (let i = 0; i < ix.length; i++) {
      const from = ix[i]! * width, to = i * width;
      for (let j = 0; j < width; j++) d[to + j] = s[from + j]!;
    }
  }

  gae(g: GaeInputs, gamma: number, lambda: number): void {
    this.settle();
    const r = d32(g.rewards), v = d32(g.values), done = d32(g.dones), last = d32(g.lastValues);
    const adv = d32(g.advantages), ret = d32(g.returns), n = last.length, T = r.length / n;
    checkShapes('gae', Number.isInteger(T) && v.length === r.length && done.length === r.length && adv.length === r.length && ret.length === r.length);
    for (let e = 0; e < n; e++) {
      let running = 0;
      for (let t = T - 1; t >= 0; t--) {
        const i = t * n + e;
        const next = t === T - 1 ? last[e]! : v[i + n]!;
        const notDone = 1 - done[i]!;
        const delta = r[i]! + gamma * next * notDone - v[i]!;
        running = delta + gamma * lambda * notDone * running;
        adv[i] = running;
        ret[i] = running + v[i]!;
      }
    }
  }

  standardize(x: Tensor, eps: number): void {
    this.settle();
    const d = t32(x).data, n = d.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[i]!;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (d[i]! - mean) ** 2;
    const inv = 1 / (Math.sqrt(sq / n) + eps);
    for (let i = 0; i < n; i++) d[i] = (d[i]! - mean) * inv;
  }

  // -- reductions and optimizer
  sumSquares(x: Tensor, out: Tensor): void {
    this.settle();
    d32(out)[0] = sumSq(d32(x));
  }

  clipGradNorm(g: Tensor, maxNorm: number, normOut: Tensor): void {
    this.settle();
    const d = d32(g), norm = Math.sqrt(sumSq(d));
    d32(normOut)[0] = norm;
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1 || Number.isNaN(coef)) for (let i = 0; i < d.length; i++) d[i] = d[i]! * coef;
  }

  countNonFinite(x: Tensor, out: Tensor): void {
    this.settle();
    const d = d32(x);
    let bad = 0;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) bad++;
    d32(out)[0] = bad;
  }

  adam(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, p: AdamParams): void {
    this.settle();
    const w = d32(params), g = d32(grads), M = d32(m), V = d32(v);
    checkSameSize('adam', w.length, g.length, M.length, V.length);
    const bc1 = 1 - p.beta1 ** p.step, bc2 = 1 - p.beta2 ** p.step;
    const stepSize = p.lr / bc1, sqrtBc2 = Math.sqrt(bc2);
    for (let i = 0; i < w.length; i++) {
      const gi = g[i]!;
      const mi = (M[i] = p.beta1 * M[i]! + (1 - p.beta1) * gi);
      const vi = (V[i] = p.beta2 * V[i]! + (1 - p.beta2) * gi * gi);
      w[i] = w[i]! - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + p.eps);
    }
  }

  // -- observation normalization
  momentsUpdate(x: Tensor, s: MomentTensors): void {
    this.settle();
    const X = t32(x), count = d32(s.count), mean = d32(s.mean), variance = d32(s.var);
    const rows = X.rows, D = mean.length;
    checkShapes('momentsUpdate', X.cols === D && variance.length === D && count.length === 1);
    if (rows === 0) return;
    const na = count[0]!, n = na + rows;
    for (let j = 0; j < D; j++) {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += X.data[i * D + j]!;
      const mb = sum / rows;
      let sq = 0;
      for (let i = 0; i < rows; i++) sq += (X.data[i * D + j]! - mb) ** 2;
      const delta = mb - mean[j]!;
      // Chan et al.: merge (na, mean, var) with the batch's (rows, mb, sq / rows)
      mean[j] = mean[j]! + (delta * rows) / n;
      variance[j] = (variance[j]! * na + sq + (delta * delta * na * rows) / n) / n;
    }
    count[0] = n;
  }

  normalize(x: Tensor, mean: Tensor, variance: Tensor, eps: number, clip: number, out: Tensor): void {
    this.settle();
    const X = d32(x), mu = d32(mean), v = d32(variance), Y = d32(out), D = mu.length;
    checkSameSize('normalize', X.length, Y.length);
    for (let i = 0; i < X.length; i++) {
      const j = i % D;
      const z = (X[i]! - mu[j]!) / Math.sqrt(v[j]! + eps);
      Y[i] = z > clip ? clip : z < -clip ? -clip : z;
    }
  }

  private scratchOf(n: number): Float32Array {
    if (this.scratch.length < n) this.scratch = this.alloc(n);
    return this.scratch;
  }

  /** n zeros: on a SharedArrayBuffer when the pool threads must reach them. */
  private alloc(n: number): Float32Array {
    return this.pool ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
  }

  /** Runs a linear op the native kernels held back to fuse it with an activation (`native_kernels.ts`). */
  private settle(): void {
    this.native?.settle();
  }

  /** Throws once destroyed; true otherwise (so it can lead a condition). */
  private live(): true {
    if (this.destroyed) throw new Error('cpu backend: used after destroy()');
    return true;
  }

  private gemm(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean): void {
    this.live();
    if (this.pool) this.pool.gemm(a, b, c, m, k, n, accumulate);
    else gemm(a, b, c, m, k, n, accumulate);
  }

  private transpose(src: Float32Array, out: Float32Array, m: number, n: number): void {
    if (this.pool) this.pool.transpose(src, out, m, n);
    else transpose(src, out, m, n);
  }
}

function sumSq(d: Float32Array): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
  return s;
}
