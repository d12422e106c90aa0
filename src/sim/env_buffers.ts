/**
 * The flat per-env arrays an env group reads and writes (observations, actions, rewards,
 * flags, terminal observations, episode stats, reward terms, randomization samples): their
 * sizes, allocation (on SharedArrayBuffers for the vec env), row views for one worker, and
 * copies for checkpoints.
 */
import { DR_KEYS } from '../task/randomize.ts';
import type { TaskSpec } from '../task/task.ts';

/** Flat per-env arrays a group reads and writes; row `i` belongs to local env `i`. */
export interface EnvBuffers {
  /** [n, obsDim] observations after the step (after auto-reset: the new episode's first). */
  obs: Float32Array;
  /** [n, actDim] actions for the next step, written by the caller. */
  actions: Float32Array;
  /** [n] reward of the last step. */
  rewards: Float32Array;
  /** [n] 1 where the last step ended in a terminal state. */
  terminated: Uint8Array;
  /** [n] 1 where the last step hit the time limit (bootstrap from terminalObs). */
  truncated: Uint8Array;
  /** [n, obsDim] the last observation of an episode that just ended (rows valid where done). */
  terminalObs: Float32Array;
  /** [n] return and length of an episode that just ended (valid where done). */
  episodeReturn: Float32Array;
  episodeLength: Int32Array;
  /** [n, rewardTerms] per-term rewards of the last step. */
  rewardTerms: Float32Array;
  /** [n, DR_KEYS.length] the randomization each env got at its last reset. */
  drSamples: Float64Array;
  /**
   * [n, numMetrics] the task's per-env metrics (`TaskSpec.metrics`) after the last step or
   * reset. Not part of checkpoints: every step rewrites it.
   */
  taskMetrics: Float64Array;
  /** [n, criticObsDim] the critic's observations after the step (tasks with a critic group; else empty). */
  criticObs: Float32Array;
  /** [n, criticObsDim] the critic's last observation of an episode that just ended (rows valid where done). */
  terminalCriticObs: Float32Array;
}

/** Sizes of one env's rows, for allocating buffers. */
export interface EnvDims {
  obsDim: number;
  actDim: number;
  numTerms: number;
  /** Per-env task metrics (`TaskSpec.metrics`); absent for tasks that report none. */
  numMetrics?: number;
  /** The critic's observation width (`TaskSpec.criticObservations`); absent when the critic sees the actor's. */
  criticObsDim?: number;
}

/** Allocates buffers for `n` envs, on `SharedArrayBuffer`s when `shared`. */
export function allocateBuffers(n: number, dims: EnvDims, shared = false): EnvBuffers {
  const mk = <T>(ctor: new (b: ArrayBufferLike) => T, bytes: number): T =>
    new ctor(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return {
    obs: mk(Float32Array, 4 * n * dims.obsDim),
    actions: mk(Float32Array, 4 * n * dims.actDim),
    rewards: mk(Float32Array, 4 * n),
    terminated: mk(Uint8Array, n),
    truncated: mk(Uint8Array, n),
    terminalObs: mk(Float32Array, 4 * n * dims.obsDim),
    episodeReturn: mk(Float32Array, 4 * n),
    episodeLength: mk(Int32Array, 4 * n),
    rewardTerms: mk(Float32Array, 4 * n * dims.numTerms),
    drSamples: mk(Float64Array, 8 * n * DR_KEYS.length),
    taskMetrics: mk(Float64Array, 8 * n * (dims.numMetrics ?? 0)),
    criticObs: mk(Float32Array, 4 * n * (dims.criticObsDim ?? 0)),
    terminalCriticObs: mk(Float32Array, 4 * n * (dims.criticObsDim ?? 0)),
  };
}

/** Views of rows [start, start+count) of `b` (same memory). */
export function sliceBuffers(b: EnvBuffers, start: number, count: number, dims: EnvDims): EnvBuffers {
  const rows = <T extends Float32Array | Float64Array | Uint8Array | Int32Array>(a: T, width: number): T =>
    a.subarray(start * width, (start + count) * width) as T;
  return {
    obs: rows(b.obs, dims.obsDim),
    actions: rows(b.actions, dims.actDim),
    rewards: rows(b.rewards, 1),
    terminated: rows(b.terminated, 1),
    truncated: rows(b.truncated, 1),
    terminalObs: rows(b.terminalObs, dims.obsDim),
    episodeReturn: rows(b.episodeReturn, 1),
    episodeLength: rows(b.episodeLength, 1),
    rewardTerms: rows(b.rewardTerms, dims.numTerms),
    drSamples: rows(b.drSamples, DR_KEYS.length),
    taskMetrics: rows(b.taskMetrics, dims.numMetrics ?? 0),
    criticObs: rows(b.criticObs, dims.criticObsDim ?? 0),
    terminalCriticObs: rows(b.terminalCriticObs, dims.criticObsDim ?? 0),
  };
}

/** Dimensions of a task's rows. */
export function taskDims(task: TaskSpec): EnvDims {
  const dims: EnvDims = { obsDim: task.observations.length, actDim: task.actions.length, numTerms: task.rewardTerms.length };
  if (task.metrics?.length) dims.numMetrics = task.metrics.length;
  if (task.criticObservations) dims.criticObsDim = task.criticObservations.length;
  return dims;
}

/** Names of the arrays in `EnvBuffers`, in a fixed order. */
const BUFFER_KEYS = [
  'obs', 'actions', 'rewards', 'terminated', 'truncated', 'terminalObs', 'episodeReturn', 'episodeLength', 'rewardTerms', 'drSamples',
] as const satisfies readonly (keyof EnvBuffers)[];

/**
 * What a checkpoint keeps of the buffers: all but the task metrics, which every step rewrites;
 * the critic's observations only for tasks that have them.
 */
export type SavedBuffers = Omit<EnvBuffers, 'taskMetrics' | 'criticObs' | 'terminalCriticObs'> & Partial<Pick<EnvBuffers, 'criticObs' | 'terminalCriticObs'>>;

/** Copies of every checkpointed array of `b` on their own (non-shared) memory, for a checkpoint. */
export function copyBuffers(b: EnvBuffers): SavedBuffers {
  return {
    obs: b.obs.slice(), actions: b.actions.slice(), rewards: b.rewards.slice(), terminated: b.terminated.slice(),
    truncated: b.truncated.slice(), terminalObs: b.terminalObs.slice(), episodeReturn: b.episodeReturn.slice(),
    episodeLength: b.episodeLength.slice(), rewardTerms: b.rewardTerms.slice(), drSamples: b.drSamples.slice(),
    ...(b.criticObs.length > 0 ? { criticObs: b.criticObs.slice(), terminalCriticObs: b.terminalCriticObs.slice() } : {}),
  };
}

/**
 * Throws unless `saved` holds every array of `into` with the same type and length (the error
 * names the array); `what` prefixes the message.
 */
export function checkBuffers(what: string, saved: unknown, into: EnvBuffers): void {
  if (typeof saved !== 'object' || saved === null) throw new Error(`${what}: buffers missing`);
  const s = saved as Record<string, unknown>;
  for (const key of BUFFER_KEYS) {
    const want = into[key];
    const got = s[key];
    if (!(got instanceof want.constructor) || (got as typeof want).length !== want.length) {
      throw new Error(`${what}: buffer ${key} must be a ${want.constructor.name} of ${want.length}`);
    }
  }
  for (const key of CRITIC_KEYS) {
    const want = into[key];
    if (want.length === 0) continue;
    const got = s[key];
    if (!(got instanceof Float32Array) || got.length !== want.length) throw new Error(`${what}: buffer ${key} must be a Float32Array of ${want.length}`);
  }
}

/** The critic's buffers: checkpointed for tasks with a critic group only. */
const CRITIC_KEYS = ['criticObs', 'terminalCriticObs'] as const satisfies readonly (keyof EnvBuffers)[];

/** Writes the contents of `saved` (checked with `checkBuffers`) into `into`. */
export function loadBuffers(into: EnvBuffers, saved: SavedBuffers): void {
  for (const key of BUFFER_KEYS) (into[key] as { set(a: ArrayLike<number>): void }).set(saved[key]);
  for (const key of CRITIC_KEYS) {
    const rows = saved[key];
    if (into[key].length > 0 && rows) into[key].set(rows);
  }
}
