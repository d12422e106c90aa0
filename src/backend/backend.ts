/**
 * The tensor-op interface the trainer is written against (see DESIGN.md, "The backend
 * interface — at what grain"). Operations work on whole layers of opaque, backend-owned f32
 * tensors; the host touches tensor memory only through `upload` and the asynchronous
 * `download`. Every op writes into an output tensor the caller allocated, so a backend can keep
 * an iteration's work on its device and batch many ops per submit. `cpu.ts` is the reference
 * definition of every op; other backends are checked against it. Whoever creates a backend
 * releases it with `destroy()`.
 */

/** An opaque f32 tensor owned by a backend; rows are the first dimension, row-major. */
export interface Tensor {
  readonly dtype: 'f32';
  /** Dimensions, outermost first (a scalar is `[1]`). */
  readonly shape: readonly number[];
  /** Number of elements (product of `shape`). */
  readonly size: number;
}

/** An opaque u32 tensor of row indices (minibatch permutations). */
export interface IndexTensor {
  readonly dtype: 'u32';
  readonly size: number;
}

/** Elementwise activation functions of the hidden layers. */
export type Activation = 'tanh' | 'elu';

/** Operands of `linearBackward`; shapes as in `linearForward`. */
export interface LinearGrads {
  /** [B, in] the layer's input from the forward pass. */
  x: Tensor;
  /** [in, out] the layer's weight. */
  w: Tensor;
  /** [B, out] gradient of the loss w.r.t. the layer's output. */
  dy: Tensor;
  /** [B, in] receives the gradient w.r.t. the input (always overwritten); null to skip. */
  dx: Tensor | null;
  /** [in, out] receives the weight gradient. */
  dw: Tensor;
  /** [out] receives the bias gradient. */
  db: Tensor;
}

/** Operands of the fused PPO loss over one minibatch of M samples and A action dimensions. */
export interface PpoLossInputs {
  /** [M, A] current policy mean. */
  mean: Tensor;
  /** [A] current state-independent log standard deviation. */
  logStd: Tensor;
  /** [M] current value estimate. */
  value: Tensor;
  /** [M, A] actions taken in the rollout. */
  actions: Tensor;
  /** [M] log-probabilities of those actions under the rollout policy. */
  oldLogProb: Tensor;
  /** [M] value estimates at rollout time (for the clipped value loss). */
  oldValue: Tensor;
  /** [M] advantages (already normalized if the caller wants them normalized). */
  advantages: Tensor;
  /** [M] value targets. */
  returns: Tensor;
}

/** Scalar hyperparameters of the fused PPO loss. */
export interface PpoLossParams {
  /** Surrogate clip range ε: the ratio is clipped to [1−ε, 1+ε]. */
  clip: number;
  /** Clip the value loss around the rollout value with the same ε (rsl_rl, CleanRL). */
  clipValue: boolean;
  /** Weight of the value loss in the total loss. */
  valueCoef: number;
  /** Weight of the entropy bonus (subtracted from the total loss). */
  entropyCoef: number;
}

/** Outputs of the fused PPO loss. */
export interface PpoLossOutputs {
  /** [M, A] receives ∂loss/∂mean. */
  gradMean: Tensor;
  /** [A] receives ∂loss/∂logStd (entropy bonus included). */
  gradLogStd: Tensor;
  /** [M] receives ∂loss/∂value. */
  gradValue: Tensor;
  /** [PPO_LOSS_STATS] receives the minibatch means, in `PpoLossStat` order. */
  stats: Tensor;
}

/** Slots of the `stats` output of `ppoLoss`. */
export const PpoLossStat = {
  /** Clipped surrogate loss, mean over the minibatch. */
  policyLoss: 0,
  /** (Clipped) squared value error, mean over the minibatch (without `valueCoef`). */
  valueLoss: 1,
  /** Entropy of the Gaussian policy per sample (sum over action dims). */
  entropy: 2,
  /** mean((r − 1) − log r), r the probability ratio (Schulman's low-variance KL estimator). */
  approxKl: 3,
  /** Fraction of samples with |r − 1| > ε. */
  clipFrac: 4,
} as const;

/** Number of slots `ppoLoss` writes into its `stats` tensor. */
export const PPO_LOSS_STATS = 5;

/** Hyperparameters of one Adam step (PyTorch's formulation, bias-corrected). */
export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based step number after this step (for the bias correction). */
  step: number;
}

/** Operands of GAE over a rollout of T steps × N envs (row t holds step t of every env). */
export interface GaeInputs {
  /** [T, N] rewards (time-outs already carry + γ·V(terminal obs)). */
  rewards: Tensor;
  /** [T, N] value estimates of the observations acted on. */
  values: Tensor;
  /** [T, N] 1 where the transition ended the episode (terminated or truncated), else 0. */
  dones: Tensor;
  /** [N] value estimate of the observation after the last step. */
  lastValues: Tensor;
  /** [T, N] receives the advantages. */
  advantages: Tensor;
  /** [T, N] receives advantages + values (the value targets). */
  returns: Tensor;
}

/** Running observation statistics (Welford/Chan merge), as three backend tensors. */
export interface MomentTensors {
  /** [1] number of samples seen. */
  count: Tensor;
  /** [D] running mean. */
  mean: Tensor;
  /** [D] running population variance. */
  var: Tensor;
}

/**
 * A tensor backend. All ops but `download` are synchronous from the caller's point of view:
 * a device backend may only enqueue them, and `download` observes every op issued before it.
 * Shapes are checked by sizes; mismatches throw naming the op.
 */
export interface Backend {
  /** Short name for logs and errors (`cpu`, `webgpu`). */
  readonly name: string;

  // -- memory
  /** A new zero-filled tensor. */
  tensor(shape: readonly number[]): Tensor;
  /** A view of `size(shape)` elements of `base` starting at element `offset` (shares memory). */
  view(base: Tensor, offset: number, shape: readonly number[]): Tensor;
  /** Copies host data into `t` (`data.length` must equal `t.size`). */
  upload(t: Tensor, data: Float32Array): void;
  /** Resolves to a host copy of `t` once every earlier op has finished. */
  download(t: Tensor): Promise<Float32Array>;
  /** A new index tensor of `size` zeros. */
  indexTensor(size: number): IndexTensor;
  /** A view of `size` indices of `base` starting at `offset`. */
  indexView(base: IndexTensor, offset: number, size: number): IndexTensor;
  /** Copies host indices into `t`. */
  uploadIndices(t: IndexTensor, data: Uint32Array): void;
  /** Releases a root tensor's memory (views must not be used afterwards). */
  dispose(t: Tensor | IndexTensor): void;

  // -- elementwise
  /** out[i] = value. */
  fill(out: Tensor, value: number): void;
  /** dst[i] = src[i] (same size). */
  copy(src: Tensor, dst: Tensor): void;
  /** x[i] = min(max(x[i], lo), hi) in place; NaN stays NaN (so guards can see it). */
  clamp(x: Tensor, lo: number, hi: number): void;

  // -- layers
  /** y[B, out] = x[B, in] · w[in, out] + b[out]. */
  linearForward(x: Tensor, w: Tensor, b: Tensor, y: Tensor): void;
  /** dx = dy·wᵀ; dw (+)= xᵀ·dy; db (+)= Σ_rows dy — added to dw/db when `accumulate`, else overwritten. */
  linearBackward(g: LinearGrads, accumulate: boolean): void;
  /** y = act(x) elementwise (may be in place). */
  activationForward(kind: Activation, x: Tensor, y: Tensor): void;
  /** dx = dy · act'(x), computed from the forward output `y` (may be in place on dy). */
  activationBackward(kind: Activation, y: Tensor, dy: Tensor, dx: Tensor): void;

  // -- Gaussian policy with state-independent log-std
  /** out[B, A] = mean + exp(logStd) · noise (noise: standard normal draws, uploaded by the host). */
  gaussianSample(mean: Tensor, logStd: Tensor, noise: Tensor, out: Tensor): void;
  /** out[B] = log N(actions | mean, exp(logStd)²), summed over the A dimensions. */
  gaussianLogProb(mean: Tensor, logStd: Tensor, actions: Tensor, out: Tensor): void;
  /** Clipped-surrogate PPO loss with value loss and entropy bonus: statistics and gradients. */
  ppoLoss(inp: PpoLossInputs, p: PpoLossParams, out: PpoLossOutputs): void;

  // -- rollout processing
  /** dst[i, :] = src[idx[i], :] (rows of width src.size / src.shape[0]). */
  gatherRows(src: Tensor, idx: IndexTensor, dst: Tensor): void;
  /** Generalized advantage estimation, parallel over envs, a backward scan over time. */
  gae(g: GaeInputs, gamma: number, lambda: number): void;
  /** x = (x − mean(x)) / (std(x) + eps) in place, over all elements (population std). */
  standardize(x: Tensor, eps: number): void;

  // -- reductions and optimizer
  /** out[0] = Σ x². */
  sumSquares(x: Tensor, out: Tensor): void;
  /** normOut[0] = ‖g‖₂; then g ·= maxNorm / (‖g‖₂ + 1e-6) if that is < 1 (PyTorch's clip_grad_norm_). */
  clipGradNorm(g: Tensor, maxNorm: number, normOut: Tensor): void;
  /** out[0] = number of NaN or ±Inf elements of x. */
  countNonFinite(x: Tensor, out: Tensor): void;
  /** One Adam step over flat buffers: updates m, v and params from grads. */
  adam(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, p: AdamParams): void;

  // -- observation normalization
  /** Merges the column statistics of x[B, D] into the running moments (Chan et al.). */
  momentsUpdate(x: Tensor, s: MomentTensors): void;
  /** out = clamp((x − mean) / sqrt(var + eps), ±clip), row-wise over x[B, D]. */
  normalize(x: Tensor, mean: Tensor, variance: Tensor, eps: number, clip: number, out: Tensor): void;

  // -- lifetime
  /**
   * Releases everything the backend holds — the CPU backend's pool threads; the WebGPU device,
   * its buffers and the process's hold on Dawn — so that nothing keeps the process alive or
   * busy. Like rapier.js's `free()` and three.js's `dispose()`: the owner calls it once it is
   * done; calling it again does nothing. The backend and its tensors must not be used afterwards
   * (ops that need what was released throw, naming `destroy()`).
   */
  destroy(): void;
}

/** Number of elements of a shape. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`bad tensor dimension ${d} in [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}
