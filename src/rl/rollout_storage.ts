/**
 * The rollout buffer: preallocated [T, N, …] backend tensors for one iteration (row t·N + e is
 * step t of env e), filled one step at a time by `act` → `processEnvStep`, with a hard guard
 * against overflow and out-of-order calls (rsl_rl's storage, with phases checked).
 */
import type { Backend, Tensor } from '../backend/backend.ts';

/** Per-step views of the storage tensors (row block t). */
export interface StepViews {
  obs: Tensor;
  actions: Tensor;
  logProb: Tensor;
  values: Tensor;
  rewards: Tensor;
  dones: Tensor;
  /** Normalized critic observations (an asymmetric critic only). */
  criticObs?: Tensor;
}

/** Fields with one row per sample, flattened to [T·N, width]. */
export interface RolloutTensors {
  /** [T·N, obsDim] normalized observations acted on. */
  obs: Tensor;
  /** [T·N, actDim] sampled actions (unclipped). */
  actions: Tensor;
  /** [T·N] log-probabilities of the actions at rollout time. */
  logProb: Tensor;
  /** [T·N] critic values at rollout time. */
  values: Tensor;
  /** [T·N] rewards (scaled, with time-out bootstrap added). */
  rewards: Tensor;
  /** [T·N] 1 where the transition ended an episode. */
  dones: Tensor;
  /** [T·N] GAE advantages (after `computeReturns`). */
  advantages: Tensor;
  /** [T·N] value targets (after `computeReturns`). */
  returns: Tensor;
  /** [T·N, criticObsDim] normalized critic observations (an asymmetric critic only). */
  criticObs?: Tensor;
}

/** Where the buffer is in its cycle: each step is an act then an env step; then returns, then update. */
type Phase = 'act' | 'env' | 'full' | 'returns';

/** One iteration's transitions on the backend, with the act → env step → returns → update cycle enforced. */
export class RolloutStorage {
  readonly data: RolloutTensors;
  private readonly steps: StepViews[];
  private step = 0;
  private phase: Phase = 'act';

  /** `criticObsDim`: also store the critic's own observations, that wide. */
  constructor(backend: Backend, readonly numSteps: number, readonly numEnvs: number, readonly obsDim: number, readonly actDim: number, criticObsDim?: number) {
    const rows = numSteps * numEnvs;
    const t = (width: number) => backend.tensor(width === 1 ? [rows] : [rows, width]);
    this.data = { obs: t(obsDim), actions: t(actDim), logProb: t(1), values: t(1), rewards: t(1), dones: t(1), advantages: t(1), returns: t(1) };
    if (criticObsDim !== undefined) this.data.criticObs = t(criticObsDim);
    const d = this.data, n = numEnvs;
    this.steps = Array.from({ length: numSteps }, (_, s) => ({
      obs: backend.view(d.obs, s * n * obsDim, [n, obsDim]),
      actions: backend.view(d.actions, s * n * actDim, [n, actDim]),
      logProb: backend.view(d.logProb, s * n, [n]),
      values: backend.view(d.values, s * n, [n]),
      rewards: backend.view(d.rewards, s * n, [n]),
      dones: backend.view(d.dones, s * n, [n]),
      ...(d.criticObs && criticObsDim !== undefined ? { criticObs: backend.view(d.criticObs, s * n * criticObsDim, [n, criticObsDim]) } : {}),
    }));
  }

  /** Samples per iteration (T·N). */
  get size(): number {
    return this.numSteps * this.numEnvs;
  }

  /** Steps recorded so far in this iteration. */
  get stepsRecorded(): number {
    return this.step;
  }

  /** The views for the next `act`; throws when the buffer is full or an env step is pending. */
  beginAct(): StepViews {
    if (this.phase === 'env') throw new Error('PPO.act called twice without processEnvStep in between');
    if (this.phase !== 'act') throw new Error(`rollout storage full (${this.numSteps} steps): call computeReturns and update before acting again`);
    this.phase = 'env';
    return this.steps[this.step]!;
  }

  /** The views for the pending env step; advances the step counter. */
  beginEnvStep(): StepViews {
    if (this.phase !== 'env') throw new Error('PPO.processEnvStep called without a preceding act');
    const v = this.steps[this.step]!;
    this.step++;
    this.phase = this.step === this.numSteps ? 'full' : 'act';
    return v;
  }

  /** Checks the buffer is full and marks returns as computed. */
  beginReturns(): void {
    if (this.phase !== 'full') throw new Error(`computeReturns needs a full rollout: ${this.step} of ${this.numSteps} steps recorded`);
    this.phase = 'returns';
  }

  /** Checks returns are computed (the buffer is ready for the update). */
  assertReady(): void {
    if (this.phase !== 'returns') throw new Error('update called before computeReturns on a full rollout');
  }

  /** Empties the buffer for the next iteration. */
  clear(): void {
    this.step = 0;
    this.phase = 'act';
  }
}
