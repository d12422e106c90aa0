/**
 * The rollout-source seam (rsl_rl's abstract `VecEnv`): everything the trainer needs from the
 * environments it learns from, and nothing about how they are simulated. The local vec env
 * (`src/sim/vec/vec_env.ts`) implements it today; rollout hosts on other machines and recorded
 * logs plug in here (docs/rollout-source.md gives the contract and the order of calls).
 */

/** Row widths of a source's arrays: observation, action and reward-term values per env. */
export interface RolloutDims {
  readonly obsDim: number;
  readonly actDim: number;
  readonly numTerms: number;
  /** Width of the critic's own (privileged) observation rows, for a task with a critic group; absent otherwise. */
  readonly criticObsDim?: number;
}

/** Names of the signals in row order (lengths equal the dims): how logs and metrics label them. */
export interface SignalNames {
  readonly observations: readonly string[];
  readonly actions: readonly string[];
  readonly rewardTerms: readonly string[];
}

/**
 * What one step hands back, env `i` in row `i`. The arrays may be the source's own buffers:
 * they are valid until its next `step`, `reset` or `loadState`, and the caller only reads them.
 */
export interface RolloutStep {
  /** [numEnvs, obsDim] observations after the step; an env that ended shows its next episode's first. */
  readonly obs: Float32Array;
  /** [numEnvs] reward of the step. */
  readonly rewards: Float32Array;
  /** [numEnvs] 1 where the step ended the episode in a terminal state (no bootstrap). */
  readonly terminated: Uint8Array;
  /** [numEnvs] 1 where the step hit the time limit (bootstrap from `terminalObs`); never with `terminated`. */
  readonly truncated: Uint8Array;
  /** [numEnvs, obsDim] the last observation of an episode that just ended (rows valid where it ended). */
  readonly terminalObs: Float32Array;
  /** [numEnvs, numTerms] each reward term's value at this step, unscaled by anything the learner does. */
  readonly rewardTerms: Float32Array;
  /** [numEnvs] return and length of an episode that just ended (valid where it ended). */
  readonly episodeReturn: Float32Array;
  readonly episodeLength: Int32Array;
  /** [numEnvs, criticObsDim] the critic's observations after the step (sources with `dims.criticObsDim`). */
  readonly criticObs?: Float32Array;
  /** [numEnvs, criticObsDim] the critic's last observation of an episode that just ended (rows valid where it ended). */
  readonly terminalCriticObs?: Float32Array;
}

/** Numbers a source adds to each metrics row, under keys of its own (`cluster_hosts`), never the runner's. */
export type SourceMetrics = Readonly<Record<string, number>>;

/**
 * N environments stepped in lockstep by the learner's actions, with auto-reset. A source is
 * ready to step when handed to the runner (its observations are those of a reset, or of a loaded
 * state); the runner calls `step` with one action row per env, reads the results, and at a
 * checkpoint `saveState`, which must not change what later steps produce.
 */
export interface RolloutSource {
  readonly numEnvs: number;
  readonly dims: RolloutDims;
  readonly signals: SignalNames;
  /** [numEnvs, obsDim] the current observations: the next `step`'s actions answer these. */
  readonly obs: Float32Array;
  /** [numEnvs, criticObsDim] the critic's current observations (sources with `dims.criticObsDim` only). */
  readonly criticObs?: Float32Array;
  /** Starts a new episode in every env; resolves to the first observations (same array as `obs`). */
  reset(): Promise<Float32Array>;
  /** One control step of every env with `actions` [numEnvs, actDim] (copied, not kept). */
  step(actions: Float32Array): Promise<RolloutStep>;
  /**
   * Everything needed to continue exactly: plain objects of JSON values and typed arrays, which a
   * checkpoint stores as they are. Loading it into a source built the same way and stepping it
   * with the same actions gives bit-identical results.
   */
  saveState(): Promise<unknown>;
  /** Continues from a `saveState` result; a state of another configuration is an error that names the mismatch. */
  loadState(state: unknown): Promise<void>;
  /** Releases what the source holds (threads, connections, files); it cannot step afterwards. */
  close(): Promise<void>;
  /**
   * Optional. Called before each rollout with the number of iterations done so far: a source
   * spread over machines tags its messages with it, and moves envs between machines here, between
   * rollouts, where nothing is in flight.
   */
  beginIteration?(iteration: number): Promise<void>;
  /**
   * Optional. Numbers about the rollout just collected, for its metrics row (hosts taking part,
   * transfer time, envs lost to faults); read once per iteration, after the rollout.
   */
  iterationMetrics?(): SourceMetrics;
}
