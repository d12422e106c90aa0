/**
 * What the PPO algorithm hands out: per-update statistics for the log, the complete state for
 * exact resume, and the actor's weights for the ONNX exporter.
 */
import type { Activation } from '../backend/backend.ts';
import type { RngState } from '../task/rng.ts';
import type { AdamState } from './adam.ts';
import type { NormalizerState, RewardScalerState } from './normalizer.ts';

/** Sizes the trainer is built for. */
export interface PpoDims {
  obsDim: number;
  actDim: number;
  /** Envs stepped together (rows of every `act` / `processEnvStep` call). */
  numEnvs: number;
  /**
   * Width of the critic's own observations (an asymmetric critic on privileged signals); absent,
   * the critic sees the actor's observations.
   */
  criticObsDim?: number;
}

/**
 * Diagnostics of one `update` (CleanRL's set). Losses, entropy, approx_kl, clipfrac and
 * grad_norm are means over every minibatch of every epoch.
 */
export interface UpdateStats {
  /** Clipped surrogate loss. */
  policy_loss: number;
  /** (Clipped) squared value error, before `value_coef`. */
  value_loss: number;
  /** Gaussian policy entropy per sample (nats, summed over action dims). */
  entropy: number;
  /** mean((r − 1) − log r): how far each minibatch step moved the policy. */
  approx_kl: number;
  /** Fraction of samples whose probability ratio left [1 − ε, 1 + ε]. */
  clipfrac: number;
  /** 1 − Var(returns − values)/Var(returns) of the rollout's values; NaN when the returns are constant. */
  explained_variance: number;
  /** Learning rate at the end of the update. */
  learning_rate: number;
  /** Mean policy standard deviation exp(log-std) after the update. */
  action_std: number;
  /** Global gradient norm before clipping. */
  grad_norm: number;
  /** True when the update produced a NaN/Inf loss or parameter and was rolled back. */
  nonfinite: boolean;
}

/** Everything needed to continue training bit for bit (plain JSON plus Float32Arrays). */
export interface PpoState {
  format: 'sim2real-ppo';
  version: 1;
  dims: PpoDims;
  /** The flat parameter buffer (actor layers, log-std, critic layers). */
  params: Float32Array;
  adam: AdamState;
  obsNormalizer: NormalizerState;
  /** The critic's observation statistics (an asymmetric critic only). */
  criticObsNormalizer?: NormalizerState;
  /** Present when `reward_scaling` is on. */
  rewardScaler: RewardScalerState | null;
  /** Learning rate in effect (the adaptive schedule's memory). */
  learningRate: number;
  /** Updates completed. */
  iteration: number;
  /** The trainer's random stream (action noise, minibatch shuffles). */
  rng: RngState;
}

/** One linear layer of the actor: y = x·weight + bias, weight row-major [inDim, outDim]. */
export interface ActorLayer {
  inDim: number;
  outDim: number;
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * The deterministic policy as plain arrays, for export: obs → normalize → hidden layers with
 * `activation` → linear head = action mean.
 */
export interface ActorWeights {
  activation: Activation;
  layers: ActorLayer[];
  logStd: Float32Array;
  /** Observation normalization: clamp((obs − mean)/√(var + eps), ±clip); null when off. */
  obsNormalizer: { mean: Float32Array; var: Float32Array; eps: number; clip: number } | null;
}
