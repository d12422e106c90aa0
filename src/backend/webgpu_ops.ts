/**
 * The WebGPU backend's multi-kernel ops: the linear layers on the tiled GEMM, the two-stage
 * column and global reductions, and the fused PPO loss. Each op is a short sequence of launches
 * recorded into the pending command stream, with intermediate results in scratch buffers that
 * grow on demand and are never read back.
 */
import { type LinearGrads, type PpoLossInputs, type PpoLossOutputs, type PpoLossParams } from './backend.ts';
import { checkPpoLoss, checkShapes } from './checks.ts';
import { grid1d, type GpuContext, type GpuRoot, type Operand } from './webgpu_device.ts';
import type { GpuTensor } from './webgpu_tensor.ts';

/** Operands and sizes of one GEMM launch (see kernels/gemm.wgsl). */
interface GemmArgs {
  M: number;
  N: number;
  K: number;
  lda: number;
  ldb: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  bias: Operand | null;
  /** Row of op(a) that reads as ones (fused column sums), or none. */
  onesRow?: number;
}

/** What `reduce` sums: x, x², (x − mean)² with the sum of x in `stat`, or non-finite flags. */
export const ReduceMode = { sum: 0, sumSquares: 1, centered: 2, nonFinite: 3 } as const;

const NO_ROW = 0xffffffff;
/** Elements per workgroup in the first stage of a global reduction. */
const REDUCE_CHUNK = 4096;
/** Rows per workgroup in the first stage of a column sum. */
const COL_CHUNK = 512;
/** Scalar scratch slots: 0 sum, 1 centered sum of squares (standardize), 2 sum of squares (grad norm), PPO sums from 8. */
const SLOT = { sum: 0, centered: 1, gradSq: 2, ppo: 8 } as const;

/**
 * Register tiles per thread (TM, TN): 4×4 (64×64 per workgroup), or 1 along a dimension of at
 * most 16 (acting on a few envs, the value head). Only 1 and 4: lavapipe's LLVM takes seconds
 * to compile the 2-wide variants, and the NT kernel at 4×1, so that one runs at 4×4.
 */
function tilesFor(M: number, N: number): [number, number] {
  return [M <= 16 ? 1 : 4, N <= 16 ? 1 : 4];
}

/** The scratch buffers and the multi-launch ops over them. */
export class GpuOps {
  private readonly scratch = new Map<'partials' | 'scalars' | 'terms', GpuRoot>();

  constructor(private readonly ctx: GpuContext) {}

  /** y = x·w + b. */
  linearForward(x: GpuTensor, w: GpuTensor, b: GpuTensor, y: GpuTensor): void {
    const rows = x.rows, nIn = w.rows, nOut = w.cols;
    checkShapes('linearForward', x.cols === nIn && b.size === nOut && y.rows === rows && y.cols === nOut);
    this.gemm('linearForward', x, w, y, { M: rows, N: nOut, K: nIn, lda: nIn, ldb: nOut, transA: false, transB: false, accumulate: false, bias: b });
  }

  /** dw (+)= xᵀ·dy and db (+)= Σ dy (one launch when db directly follows dw), dx = dy·wᵀ. */
  linearBackward(g: LinearGrads & { x: GpuTensor; w: GpuTensor; dy: GpuTensor; dw: GpuTensor; db: GpuTensor; dx: GpuTensor | null }, accumulate: boolean): void {
    const { x, w, dy, dw, db } = g;
    const rows = x.rows, nIn = w.rows, nOut = w.cols;
    checkShapes('linearBackward', x.cols === nIn && dy.rows === rows && dy.cols === nOut && dw.size === w.size && db.size === nOut);
    const fused = db.root === dw.root && db.offset === dw.offset + nIn * nOut;
    const dwOut: Operand = fused ? { root: dw.root, offset: dw.offset, size: dw.size + nOut } : dw;
    this.gemm('linearBackward dw', x, dy, dwOut, {
      M: fused ? nIn + 1 : nIn, N: nOut, K: rows, lda: nIn, ldb: nOut, transA: true, transB: false, accumulate, bias: null, onesRow: fused ? nIn : NO_ROW,
    });
    if (!fused) this.colSum('linearBackward db', dy, rows, nOut, db, accumulate);
    if (g.dx) {
      checkShapes('linearBackward dx', g.dx.size === x.size);
      this.gemm('linearBackward dx', dy, w, g.dx, { M: rows, N: nIn, K: nOut, lda: nOut, ldb: nOut, transA: false, transB: true, accumulate: false, bias: null });
    }
  }

  /** c = op(a)·op(b) (+ c) (+ bias) on the register-tiled kernel. */
  gemm(op: string, a: Operand, b: Operand, c: Operand, s: GemmArgs): void {
    const [TM, TN] = tilesFor(s.M, s.N);
    this.ctx.dispatch(op, 'gemm', {
      consts: { TRANS_A: s.transA ? 1 : 0, TRANS_B: s.transB ? 1 : 0, TM, TN },
      bind: { a, b, c, bias: s.bias ?? this.ctx.dummy },
      params: { M: s.M, N: s.N, K: s.K, lda: s.lda, ldb: s.ldb, ones_row: s.onesRow ?? NO_ROW, accumulate: s.accumulate ? 1 : 0, has_bias: s.bias ? 1 : 0 },
      groups: [Math.ceil(s.N / (16 * TN)), Math.ceil(s.M / (16 * TM))],
    });
  }

  /** dst[j] (+)= Σ_r src[r, j] over src[rows, cols]; long columns in two stages. */
  colSum(op: string, src: Operand, rows: number, cols: number, dst: Operand, accumulate: boolean): void {
    if (cols === 0) return;
    const chunks = Math.min(1024, Math.ceil(rows / COL_CHUNK));
    const colGroups = Math.ceil(cols / 16);
    if (chunks <= 1) {
      this.ctx.dispatch(op, 'col_sum', { bind: { src, dst }, params: { rows, cols, rows_per_chunk: Math.max(rows, 1), accumulate: accumulate ? 1 : 0 }, groups: [colGroups, 1] });
      return;
    }
    const perChunk = Math.ceil(rows / chunks);
    const used = Math.ceil(rows / perChunk);
    const partials = this.buffer('partials', used * cols);
    this.ctx.dispatch(op, 'col_sum', { bind: { src, dst: partials }, params: { rows, cols, rows_per_chunk: perChunk, accumulate: 0 }, groups: [colGroups, used] });
    this.ctx.dispatch(op, 'col_sum', { bind: { src: partials, dst }, params: { rows: used, cols, rows_per_chunk: used, accumulate: accumulate ? 1 : 0 }, groups: [colGroups, 1] });
  }

  /** dst[0] = Σ f(src[i]) over n elements, f by `mode`; `stat` holds Σx for the centered mode. */
  reduce(op: string, mode: number, src: Operand, n: number, dst: Operand, stat?: Operand): void {
    const groups = Math.min(1024, Math.max(1, Math.ceil(n / REDUCE_CHUNK)));
    const perGroup = Math.max(1, Math.ceil(n / groups));
    const statOp = stat ?? this.ctx.dummy;
    if (groups === 1 && mode !== ReduceMode.centered) {
      this.ctx.dispatch(op, 'reduce', { consts: { MODE: mode }, bind: { src, stat: statOp, dst }, params: { n, per_group: perGroup }, groups: [1] });
      return;
    }
    const partials = this.buffer('partials', groups);
    this.ctx.dispatch(op, 'reduce', { consts: { MODE: mode }, bind: { src, stat: statOp, dst: partials }, params: { n, per_group: perGroup }, groups: [groups] });
    this.ctx.dispatch(op, 'reduce', { consts: { MODE: ReduceMode.sum }, bind: { src: partials, stat: this.ctx.dummy, dst }, params: { n: groups, per_group: groups }, groups: [1] });
  }

  /** x = (x − mean)/(std + eps) in place over all elements. */
  standardize(x: GpuTensor, eps: number): void {
    const n = x.size;
    if (n === 0) return;
    const s = this.buffer('scalars', SLOT.ppo);
    this.reduce('standardize', ReduceMode.sum, x, n, at(s, SLOT.sum));
    this.reduce('standardize', ReduceMode.centered, x, n, at(s, SLOT.centered), at(s, SLOT.sum));
    this.ctx.dispatch('standardize', 'standardize_apply', { bind: { stat: at(s, SLOT.sum), x }, params: { n, eps }, groups: grid1d(n) });
  }

  /** normOut = ‖g‖₂, then g scaled down to maxNorm when it is longer (or non-finite). */
  clipGradNorm(g: GpuTensor, maxNorm: number, normOut: GpuTensor): void {
    const s = this.buffer('scalars', SLOT.ppo);
    this.reduce('clipGradNorm', ReduceMode.sumSquares, g, g.size, at(s, SLOT.gradSq));
    this.ctx.dispatch('clipGradNorm', 'clip_grad_apply', { bind: { stat: at(s, SLOT.gradSq), g, norm_out: normOut }, params: { n: g.size, max_norm: maxNorm }, groups: grid1d(g.size) });
  }

  /** The fused PPO loss: per-sample terms and gradients, their column sums, then means and the log-std gradient. */
  ppoLoss(inp: Record<keyof PpoLossInputs, GpuTensor>, p: PpoLossParams, out: Record<keyof PpoLossOutputs, GpuTensor>): void {
    const M = inp.value.size, A = inp.logStd.size, W = 4 + A;
    checkPpoLoss(inp, out);
    const terms = this.buffer('terms', M * W);
    const sums = at(this.buffer('scalars', SLOT.ppo + W), SLOT.ppo, W);
    this.ctx.dispatch('ppoLoss', 'ppo_loss', {
      bind: {
        mean: inp.mean, log_std: inp.logStd, value: inp.value, actions: inp.actions, old_log_prob: inp.oldLogProb, old_value: inp.oldValue,
        advantages: inp.advantages, returns: inp.returns, grad_mean: out.gradMean, grad_value: out.gradValue, terms,
      },
      params: { M, A, clip: p.clip, clip_value: p.clipValue ? 1 : 0, value_coef: p.valueCoef, m_f: M },
      groups: grid1d(M),
    });
    this.colSum('ppoLoss', terms, M, W, sums, false);
    this.ctx.dispatch('ppoLoss', 'ppo_loss_finalize', {
      bind: { sums, log_std: inp.logStd, stats: out.stats, grad_log_std: out.gradLogStd },
      params: { A, m_f: M, entropy_coef: p.entropyCoef },
      groups: [Math.ceil((A + 1) / 64)],
    });
  }

  /** A scratch buffer of at least `elems` f32 (grown by doubling; the old one retires after the next submit). */
  private buffer(kind: 'partials' | 'scalars' | 'terms', elems: number): Operand {
    let r = this.scratch.get(kind);
    if (!r || r.bytes < elems * 4) {
      if (r) this.ctx.destroyRoot(r);
      r = this.ctx.createRoot(Math.max(elems * 4, (r?.bytes ?? 0) * 2, 256), `scratch ${kind}`);
      this.scratch.set(kind, r);
    }
    return { root: r, offset: 0, size: r.bytes / 4 };
  }
}

/** `size` elements of `o` starting `offset` elements in. */
function at(o: Operand, offset: number, size = 1): Operand {
  return { root: o.root, offset: o.offset + offset, size };
}
