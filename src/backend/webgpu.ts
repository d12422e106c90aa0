/**
 * The WebGPU backend: every `Backend` op as WGSL kernels from `kernels/` (see
 * `kernel_registry.ts`), run through Dawn on any Vulkan, Metal or D3D12 GPU — or on lavapipe,
 * Mesa's CPU Vulkan driver, which is how CI checks each kernel against `cpu.ts`. Tensors stay in
 * GPU buffers; ops are recorded and submitted in batches, and only `download` waits.
 * Create it with `WebGpuBackend.create()` and release the device with `destroy()`.
 */
import {
  shapeSize,
  type Activation, type AdamParams, type Backend, type GaeInputs, type IndexTensor, type LinearGrads,
  type MomentTensors, type PpoLossInputs, type PpoLossOutputs, type PpoLossParams, type Tensor,
} from './backend.ts';
import { checkIndexView, checkRowIndices, checkSameSize, checkShapes, checkUpload, checkUploadIndices, checkView } from './checks.ts';
import { describeAdapter } from './adapter_search.ts';
import { GpuContext, grid1d, openGpu, type AdapterInfo, type NotOpened } from './webgpu_device.ts';
import { GpuOps, ReduceMode } from './webgpu_ops.ts';
import { GpuIndexTensor, GpuTensor, overlaps } from './webgpu_tensor.ts';

export type { AdapterInfo, NotOpened } from './webgpu_device.ts';

const ACT = { tanh: 0, elu: 1 } as const;

/** The GPU backend; `download` is the only op that waits for the device. */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  private readonly ops: GpuOps;

  private constructor(private readonly ctx: GpuContext) {
    this.ops = new GpuOps(ctx);
  }

  /** Opens the default adapter; null when the machine has none (no GPU driver, no lavapipe). */
  static async create(): Promise<WebGpuBackend | null> {
    const opened = await WebGpuBackend.open();
    return opened instanceof WebGpuBackend ? opened : null;
  }

  /**
   * Opens the default adapter, or says why not, for the one line a command prints: why there is no
   * adapter, or (with `hardwareOnly`) the software adapter that is all there is.
   */
  static async open(o: { hardwareOnly?: boolean } = {}): Promise<WebGpuBackend | NotOpened> {
    const ctx = await openGpu(o);
    return ctx instanceof GpuContext ? new WebGpuBackend(ctx) : ctx;
  }

  /** What the adapter reports (vendor, architecture, device, description, software or not). */
  get adapter(): AdapterInfo {
    return this.ctx.info;
  }

  /** One line naming the adapter for logs, e.g. `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6), mesa software`. */
  get adapterDescription(): string {
    return describeAdapter(this.ctx.info);
  }

  /**
   * Destroys the device and the buffers it holds, and drops this process's Dawn instance once no
   * other WebGPU backend is open, so the process can exit; every op throws afterwards. A second
   * call does nothing.
   */
  destroy(): void {
    this.ctx.destroy();
  }

  // -- memory
  tensor(shape: readonly number[]): Tensor {
    const n = shapeSize(shape);
    return new GpuTensor([...shape], n, this.ctx.createRoot(n * 4), 0, true);
  }

  view(base: Tensor, offset: number, shape: readonly number[]): Tensor {
    const b = t32(base), n = shapeSize(shape);
    checkView(b.size, offset, n);
    return new GpuTensor([...shape], n, b.root, b.offset + offset, false);
  }

  upload(t: Tensor, data: Float32Array): void {
    const d = t32(t);
    checkUpload(data.length, d.size);
    this.ctx.write(d.root, d.offset * 4, data);
  }

  async download(t: Tensor): Promise<Float32Array> {
    const d = t32(t);
    return new Float32Array(await this.ctx.read(d.root, d.offset * 4, d.size * 4));
  }

  indexTensor(size: number): IndexTensor {
    return new GpuIndexTensor(size, this.ctx.createRoot(size * 4), 0, new Uint32Array(size), true);
  }

  indexView(base: IndexTensor, offset: number, size: number): IndexTensor {
    const b = idx(base);
    checkIndexView(b.size, offset, size);
    return new GpuIndexTensor(size, b.root, b.offset + offset, b.host.subarray(offset, offset + size), false);
  }

  uploadIndices(t: IndexTensor, data: Uint32Array): void {
    const d = idx(t);
    checkUploadIndices(data.length, d.size);
    d.host.set(data);
    this.ctx.write(d.root, d.offset * 4, data);
  }

  dispose(t: Tensor | IndexTensor): void {
    const d = t instanceof GpuIndexTensor ? t : t32(t as Tensor);
    if (d.isRoot) this.ctx.destroyRoot(d.root);
  }

  // -- elementwise
  fill(out: Tensor, value: number): void {
    const o = t32(out);
    if (o.size) this.ctx.dispatch('fill', 'fill', { bind: { out: o }, params: { n: o.size, value }, groups: grid1d(o.size) });
  }

  copy(src: Tensor, dst: Tensor): void {
    const s = t32(src), d = t32(dst);
    checkSameSize('copy', s.size, d.size);
    if (s.size === 0 || (s.root === d.root && s.offset === d.offset)) return;
    if (overlaps(s, d)) throw new Error('copy: source and destination overlap');
    const inplace = s.root === d.root;
    this.ctx.dispatch('copy', 'copy', {
      consts: { INPLACE: inplace ? 1 : 0 }, bind: { src: inplace ? this.ctx.dummy : s, dst: d },
      params: { n: s.size, src_off: s.offset }, groups: grid1d(s.size),
    });
  }

  clamp(x: Tensor, lo: number, hi: number): void {
    const t = t32(x);
    if (t.size) this.ctx.dispatch('clamp', 'clamp', { bind: { x: t }, params: { n: t.size, lo, hi }, groups: grid1d(t.size) });
  }

  // -- layers
  linearForward(x: Tensor, w: Tensor, b: Tensor, y: Tensor): void {
    this.ops.linearForward(t32(x), t32(w), t32(b), t32(y));
  }

  linearBackward(g: LinearGrads, accumulate: boolean): void {
    this.ops.linearBackward({ x: t32(g.x), w: t32(g.w), dy: t32(g.dy), dx: g.dx ? t32(g.dx) : null, dw: t32(g.dw), db: t32(g.db) }, accumulate);
  }

  activationForward(kind: Activation, x: Tensor, y: Tensor): void {
    const s = t32(x), d = t32(y);
    checkSameSize('activationForward', s.size, d.size);
    if (s.size === 0) return;
    const inplace = this.inPlace('activationForward', s, d);
    this.ctx.dispatch('activationForward', 'activation_forward', {
      consts: { ACT: ACT[kind], INPLACE: inplace ? 1 : 0 }, bind: { x: inplace ? this.ctx.dummy : s, y: d },
      params: { n: s.size, x_off: s.offset }, groups: grid1d(s.size),
    });
  }

  activationBackward(kind: Activation, y: Tensor, dy: Tensor, dx: Tensor): void {
    const Y = t32(y), dY = t32(dy), dX = t32(dx);
    checkSameSize('activationBackward', Y.size, dY.size, dX.size);
    if (Y.size === 0) return;
    const inplace = this.inPlace('activationBackward', dY, dX);
    this.ctx.dispatch('activationBackward', 'activation_backward', {
      consts: { ACT: ACT[kind], INPLACE: inplace ? 1 : 0 }, bind: { y: Y, dy: inplace ? this.ctx.dummy : dY, dx: dX },
      params: { n: Y.size, dy_off: dY.offset }, groups: grid1d(Y.size),
    });
  }

  // -- Gaussian policy
  gaussianSample(mean: Tensor, logStd: Tensor, noise: Tensor, out: Tensor): void {
    const mu = t32(mean), ls = t32(logStd), eps = t32(noise), a = t32(out);
    checkSameSize('gaussianSample', mu.size, eps.size, a.size);
    if (mu.size === 0) return;
    this.ctx.dispatch('gaussianSample', 'gaussian_sample', { bind: { mean: mu, log_std: ls, noise: eps, out: a }, params: { n: mu.size, A: ls.size }, groups: grid1d(mu.size) });
  }

  gaussianLogProb(mean: Tensor, logStd: Tensor, actions: Tensor, out: Tensor): void {
    const mu = t32(mean), ls = t32(logStd), a = t32(actions), lp = t32(out);
    checkShapes('gaussianLogProb', mu.size === a.size && mu.size === lp.size * ls.size);
    if (lp.size === 0) return;
    this.ctx.dispatch('gaussianLogProb', 'gaussian_log_prob', { bind: { mean: mu, log_std: ls, actions: a, out: lp }, params: { rows: lp.size, A: ls.size }, groups: grid1d(lp.size) });
  }

  ppoLoss(inp: PpoLossInputs, p: PpoLossParams, out: PpoLossOutputs): void {
    this.ops.ppoLoss(
      { mean: t32(inp.mean), logStd: t32(inp.logStd), value: t32(inp.value), actions: t32(inp.actions), oldLogProb: t32(inp.oldLogProb),
        oldValue: t32(inp.oldValue), advantages: t32(inp.advantages), returns: t32(inp.returns) },
      p,
      { gradMean: t32(out.gradMean), gradLogStd: t32(out.gradLogStd), gradValue: t32(out.gradValue), stats: t32(out.stats) },
    );
  }

  // -- rollout processing
  gatherRows(src: Tensor, index: IndexTensor, dst: Tensor): void {
    const S = t32(src), D = t32(dst), ix = idx(index), w = S.cols;
    checkShapes('gatherRows', D.size === ix.size * w);
    checkRowIndices(ix.host, S.rows);
    if (D.size === 0) return;
    this.ctx.dispatch('gatherRows', 'gather_rows', { bind: { src: S, idx: ix, dst: D }, params: { n: D.size, width: w }, groups: grid1d(D.size) });
  }

  gae(g: GaeInputs, gamma: number, lambda: number): void {
    const r = t32(g.rewards), v = t32(g.values), done = t32(g.dones), last = t32(g.lastValues), adv = t32(g.advantages), ret = t32(g.returns);
    const n = last.size, T = r.size / n;
    checkShapes('gae', Number.isInteger(T) && v.size === r.size && done.size === r.size && adv.size === r.size && ret.size === r.size);
    if (n === 0) return;
    this.ctx.dispatch('gae', 'gae', {
      bind: { rewards: r, values: v, dones: done, last_values: last, advantages: adv, returns: ret },
      params: { T, N: n, gamma, lambda }, groups: grid1d(n),
    });
  }

  standardize(x: Tensor, eps: number): void {
    this.ops.standardize(t32(x), eps);
  }

  // -- reductions and optimizer
  sumSquares(x: Tensor, out: Tensor): void {
    const t = t32(x);
    this.ops.reduce('sumSquares', ReduceMode.sumSquares, t, t.size, t32(out));
  }

  clipGradNorm(g: Tensor, maxNorm: number, normOut: Tensor): void {
    this.ops.clipGradNorm(t32(g), maxNorm, t32(normOut));
  }

  countNonFinite(x: Tensor, out: Tensor): void {
    const t = t32(x);
    this.ops.reduce('countNonFinite', ReduceMode.nonFinite, t, t.size, t32(out));
  }

  adam(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, p: AdamParams): void {
    const w = t32(params), g = t32(grads), M = t32(m), V = t32(v);
    checkSameSize('adam', w.size, g.size, M.size, V.size);
    if (w.size === 0) return;
    const bc1 = 1 - p.beta1 ** p.step, bc2 = 1 - p.beta2 ** p.step;
    this.ctx.dispatch('adam', 'adam', {
      bind: { params: w, grads: g, m: M, v: V },
      params: { n: w.size, beta1: p.beta1, one_minus_beta1: 1 - p.beta1, beta2: p.beta2, one_minus_beta2: 1 - p.beta2, eps: p.eps, step_size: p.lr / bc1, sqrt_bc2: Math.sqrt(bc2) },
      groups: grid1d(w.size),
    });
  }

  // -- observation normalization
  momentsUpdate(x: Tensor, s: MomentTensors): void {
    const X = t32(x), count = t32(s.count), mean = t32(s.mean), variance = t32(s.var);
    const rows = X.rows, D = mean.size;
    checkShapes('momentsUpdate', X.cols === D && variance.size === D && count.size === 1);
    if (rows === 0 || D === 0) return;
    this.ctx.dispatch('momentsUpdate', 'moments_update', { bind: { x: X, count, mean, variance }, params: { rows, D }, groups: [D] });
    this.ctx.dispatch('momentsUpdate', 'add_scalar', { bind: { x: count }, params: { value: rows }, groups: [1] });
  }

  normalize(x: Tensor, mean: Tensor, variance: Tensor, eps: number, clip: number, out: Tensor): void {
    const X = t32(x), mu = t32(mean), v = t32(variance), Y = t32(out);
    checkSameSize('normalize', X.size, Y.size);
    if (X.size === 0) return;
    this.ctx.dispatch('normalize', 'normalize', { bind: { x: X, mean: mu, variance: v, out: Y }, params: { n: X.size, D: mu.size, eps, clip }, groups: grid1d(X.size) });
  }

  /** Whether an elementwise op runs in place (its input window is in its output's buffer). */
  private inPlace(op: string, input: GpuTensor, output: GpuTensor): boolean {
    if (input.root !== output.root) return false;
    if (input.offset !== output.offset && overlaps(input, output)) throw new Error(`${op}: input and output partly overlap`);
    return true;
  }
}

function t32(t: Tensor): GpuTensor {
  if (!(t instanceof GpuTensor)) throw new Error('webgpu backend: tensor belongs to another backend');
  return t;
}

function idx(t: IndexTensor): GpuIndexTensor {
  if (!(t instanceof GpuIndexTensor)) throw new Error('webgpu backend: index tensor belongs to another backend');
  return t;
}
