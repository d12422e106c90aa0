/**
 * Running statistics: the observation normalizer (per-feature mean and variance on the
 * backend, merged batch by batch with Chan et al.'s parallel rule, so statistics gathered by
 * several workers merge exactly), the host-side `Moments` arithmetic behind it, and reward
 * scaling by the running standard deviation of the discounted return.
 */
import type { Backend, MomentTensors, Tensor } from '../backend/backend.ts';

/** Sample count, mean and population variance of a set of vectors. */
export interface Moments {
  count: number;
  mean: Float64Array;
  var: Float64Array;
}

/** Added to the variance before the square root when normalizing. */
export const NORM_EPS = 1e-8;

/** The one-pass moments of x [rows, dim]. */
export function momentsOf(x: ArrayLike<number>, dim: number): Moments {
  const rows = x.length / dim;
  const mean = new Float64Array(dim), variance = new Float64Array(dim);
  for (let i = 0; i < x.length; i++) mean[i % dim]! += x[i]! / rows;
  for (let i = 0; i < x.length; i++) variance[i % dim]! += (x[i]! - mean[i % dim]!) ** 2 / rows;
  return { count: rows, mean, var: variance };
}

/** Moments of the union of two sample sets (Chan, Golub, LeVeque); `a` or `b` may be empty. */
export function mergeMoments(a: Moments, b: Moments): Moments {
  const n = a.count + b.count, dim = a.mean.length;
  if (b.mean.length !== dim) throw new Error(`mergeMoments: dimensions ${dim} and ${b.mean.length} differ`);
  const mean = new Float64Array(dim), variance = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    if (n === 0) {
      variance[j] = 1;
      continue;
    }
    const delta = b.mean[j]! - a.mean[j]!;
    mean[j] = a.mean[j]! + (delta * b.count) / n;
    variance[j] = (a.var[j]! * a.count + b.var[j]! * b.count + (delta * delta * a.count * b.count) / n) / n;
  }
  return { count: n, mean, var: variance };
}

/** Serializable normalizer statistics (f32, as the backend holds them). */
export interface NormalizerState {
  count: number;
  mean: Float32Array;
  var: Float32Array;
}

/**
 * Per-feature running mean/variance of observations on the backend, applied as
 * clamp((x − mean)/√(var + ε), ±clip). Starts at mean 0, variance 1, count 0 (the identity).
 */
export class ObsNormalizer {
  readonly moments: MomentTensors;

  constructor(private readonly backend: Backend, readonly dim: number, readonly clip: number, readonly enabled: boolean) {
    this.moments = { count: backend.tensor([1]), mean: backend.tensor([dim]), var: backend.tensor([dim]) };
    backend.fill(this.moments.var, 1);
  }

  /** Merges the rows of x [B, dim] into the statistics (no-op when disabled). */
  update(x: Tensor): void {
    if (this.enabled) this.backend.momentsUpdate(x, this.moments);
  }

  /** out = normalized x (a copy when disabled). */
  apply(x: Tensor, out: Tensor): void {
    if (this.enabled) this.backend.normalize(x, this.moments.mean, this.moments.var, NORM_EPS, this.clip, out);
    else this.backend.copy(x, out);
  }

  /** Replaces the statistics by `m` merged with samples gathered elsewhere (e.g. other learners). */
  async mergeFrom(m: Moments): Promise<void> {
    const own = await this.getState();
    const merged = mergeMoments({ count: own.count, mean: Float64Array.from(own.mean), var: Float64Array.from(own.var) }, m);
    this.setState({ count: merged.count, mean: Float32Array.from(merged.mean), var: Float32Array.from(merged.var) });
  }

  async getState(): Promise<NormalizerState> {
    const [count, mean, variance] = await Promise.all([this.moments.count, this.moments.mean, this.moments.var].map((t) => this.backend.download(t)));
    return { count: count![0]!, mean: mean!, var: variance! };
  }

  setState(s: NormalizerState): void {
    if (s.mean.length !== this.dim || s.var.length !== this.dim) throw new Error(`normalizer state has ${s.mean.length} features, expected ${this.dim}`);
    this.backend.upload(this.moments.count, Float32Array.of(s.count));
    this.backend.upload(this.moments.mean, s.mean);
    this.backend.upload(this.moments.var, s.var);
  }
}

/** Serializable reward-scaler state (plain numbers: exact through JSON). */
export interface RewardScalerState {
  count: number;
  mean: number;
  var: number;
  /** Per-env running discounted return. */
  returns: number[];
}

/** Scaled rewards are clipped to ±this (SB3's default): the first steps' variance estimate is tiny. */
const REWARD_CLIP = 10;

/**
 * Divides rewards by the running standard deviation of each env's discounted return (SB3's
 * VecNormalize `norm_reward`, without centering, clipped to ±`REWARD_CLIP`), so value targets
 * stay near unit scale.
 * Host-side: rewards arrive on the host, and it is N numbers per step.
 */
export class RewardScaler {
  private count = 0;
  private mean = 0;
  private var = 1;
  private readonly returns: Float64Array;

  constructor(readonly numEnvs: number, readonly gamma: number) {
    this.returns = new Float64Array(numEnvs);
  }

  /** Scales `rewards` in place and resets the running return of envs whose episode ended. */
  scale(rewards: Float32Array, dones: Uint8Array): void {
    const n = this.numEnvs;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (this.returns[i] = this.returns[i]! * this.gamma + rewards[i]!);
    const bMean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (this.returns[i]! - bMean) ** 2;
    const merged = mergeMoments(
      { count: this.count, mean: Float64Array.of(this.mean), var: Float64Array.of(this.var) },
      { count: n, mean: Float64Array.of(bMean), var: Float64Array.of(sq / n) },
    );
    this.count = merged.count;
    this.mean = merged.mean[0]!;
    this.var = merged.var[0]!;
    const inv = 1 / Math.sqrt(this.var + NORM_EPS);
    for (let i = 0; i < n; i++) {
      const r = rewards[i]! * inv;
      rewards[i] = r > REWARD_CLIP ? REWARD_CLIP : r < -REWARD_CLIP ? -REWARD_CLIP : r;
      if (dones[i]) this.returns[i] = 0;
    }
  }

  getState(): RewardScalerState {
    return { count: this.count, mean: this.mean, var: this.var, returns: Array.from(this.returns) };
  }

  setState(s: RewardScalerState): void {
    if (s.returns.length !== this.numEnvs) throw new Error(`reward scaler state has ${s.returns.length} envs, expected ${this.numEnvs}`);
    this.count = s.count;
    this.mean = s.mean;
    this.var = s.var;
    this.returns.set(s.returns);
  }
}
