/**
 * Saved env state: what an `EnvGroup` (and a `VecEnv`, one group per worker) needs to continue
 * bit for bit after a restart — the Rapier world snapshot, the env slots' state, each
 * robot's and each task env's JavaScript-side state, counters and the buffers' contents — as
 * plain objects of JSON values and typed arrays that a checkpoint writer can serialize.
 * Numbers that can be NaN or -0, or feed the physics, travel in typed arrays.
 */
import type { SimRobot } from '../task/sim_robot.ts';
import type { Rng } from '../task/rng.ts';
import type { TaskEnv } from '../task/task.ts';
import type { DomainRandomization, DrSample } from '../task/randomize.ts';
import { DR_KEYS, DR_RANGE_KEYS, packSample, unpackSample } from '../task/randomize.ts';
import type { EnvDims, SavedBuffers } from './env_buffers.ts';
import type { RobotState } from './build/robot_state.ts';
import type { EnvGroupStats } from './env_group.ts';

/** Tag and version every saved state carries; loading another version is an error. */
export const ENV_STATE_FORMAT = 'sim2real.env_state';
export const ENV_STATE_VERSION = 1;

/** Per-env state the env group keeps beside the task's own: one slot per env. */
export interface EnvSlot<R extends SimRobot = SimRobot> {
  robot: R;
  task: TaskEnv;
  rng: Rng;
  sample: DrSample;
  steps: number;
  ret: number;
  /** Ring of past actions for latency (latency+1 rows used). */
  queue: Float32Array;
  queueHead: number;
  stepsToPush: number;
}

/** The env slots' state, one row per env. */
export interface SlotsState {
  /** [n, 4] xoshiro128** state words. */
  rng: Int32Array;
  /** [n] the RNG's spare normal (NaN: none). */
  rngSpare: Float64Array;
  /** [n, DR_KEYS.length] randomization sample in force. */
  sample: Float64Array;
  /** [n] control steps into the episode, and the return so far. */
  steps: Int32Array;
  ret: Float64Array;
  /** [n, (max latency + 1) · act_dim] latency ring, and its head. */
  queue: Float32Array;
  queueHead: Int32Array;
  /** [n] control steps to the next push (0: none scheduled). */
  stepsToPush: Int32Array;
}

/** What must match between a saved group and the group it is loaded into. */
export interface EnvGroupHeader {
  task: string;
  robot: string;
  numEnvs: number;
  firstEnvIndex: number;
  seed: number;
  dims: EnvDims;
  dr: DomainRandomization;
}

/** Everything an `EnvGroup` needs to continue exactly (see `EnvGroup.saveState`). */
export interface EnvGroupState {
  format: typeof ENV_STATE_FORMAT;
  version: typeof ENV_STATE_VERSION;
  header: EnvGroupHeader;
  /** `world.takeSnapshot()`: bodies, colliders, joints with their motors, forces, contacts, solver warm starts. */
  physics: Uint8Array;
  /** `world.step()` calls so far (the robots' read-cache clock). */
  physicsSteps: number;
  stats: EnvGroupStats;
  /** The env slots' state (the key is `runner` since format version 1; kept so saved runs resume). */
  runner: SlotsState;
  /** Per env: the robot's JavaScript-side state. */
  robots: RobotState[];
  /** Per env: the task env's `saveState()`, null for tasks that keep none. */
  tasks: unknown[];
  /** Copies of the group's rows of every buffer (observations the caller will read next, …). */
  buffers: SavedBuffers;
}

/** What must match between a saved vec env and the vec env it is loaded into. */
export interface VecEnvHeader {
  task: string;
  robot: string;
  numEnvs: number;
  numWorkers: number;
  /** Global index of the first env, when not 0 (one group of a cluster run). */
  firstEnvIndex?: number;
  seed: number;
  dims: EnvDims;
  dr: DomainRandomization;
}

/** Everything a `VecEnv` needs to continue exactly: one group state per worker. */
export interface VecEnvState {
  format: typeof ENV_STATE_FORMAT;
  version: typeof ENV_STATE_VERSION;
  header: VecEnvHeader;
  workers: EnvGroupState[];
}

/**
 * Throws unless `state` is a saved state of this format and version whose header equals `here`;
 * the message names every mismatch (`numWorkers: saved 2, here 3`).
 */
export function checkStateHeader(what: string, state: unknown, here: EnvGroupHeader | VecEnvHeader): void {
  if (typeof state !== 'object' || state === null) throw new Error(`${what}: not a saved env state`);
  const s = state as { format?: unknown; version?: unknown; header?: unknown };
  if (s.format !== ENV_STATE_FORMAT) throw new Error(`${what}: not a saved env state (format ${JSON.stringify(s.format)})`);
  if (s.version !== ENV_STATE_VERSION) throw new Error(`${what}: saved as version ${JSON.stringify(s.version)}, this build reads version ${ENV_STATE_VERSION}`);
  if (typeof s.header !== 'object' || s.header === null) throw new Error(`${what}: header missing`);
  const saved = flatten(s.header as Record<string, unknown>);
  const mine = flatten(here as unknown as Record<string, unknown>);
  const bad = Object.keys(mine).filter((k) => saved[k] !== mine[k]).map((k) => `${k}: saved ${saved[k] ?? 'nothing'}, here ${mine[k]}`);
  if (bad.length > 0) throw new Error(`${what}: saved for a different configuration (${bad.join('; ')})`);
}

/** A deep copy of randomization ranges, for a header. */
export function copyRanges(dr: DomainRandomization): DomainRandomization {
  const out = { ...dr };
  for (const key of DR_RANGE_KEYS) out[key] = [dr[key][0], dr[key][1]];
  return out;
}

/** Header fields as `key` / `dims.obsDim` / `dr.friction` → printed value. */
function flatten(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['task', 'robot', 'numEnvs', 'numWorkers', 'firstEnvIndex', 'seed'] as const) {
    if (key in h) out[key] = JSON.stringify(h[key]);
  }
  const dims = (h.dims ?? {}) as Record<string, unknown>;
  for (const key of ['obsDim', 'actDim', 'numTerms'] as const) out[`dims.${key}`] = JSON.stringify(dims[key]);
  const dr = (h.dr ?? {}) as Record<string, unknown>;
  for (const key of DR_RANGE_KEYS) out[`dr.${key}`] = JSON.stringify(dr[key]);
  return out;
}

/** The state of `slots` (copies). */
export function saveSlots(slots: readonly EnvSlot[]): SlotsState {
  const n = slots.length;
  const q = slots[0]?.queue.length ?? 0;
  const r: SlotsState = {
    rng: new Int32Array(4 * n), rngSpare: new Float64Array(n), sample: new Float64Array(n * DR_KEYS.length),
    steps: new Int32Array(n), ret: new Float64Array(n), queue: new Float32Array(n * q), queueHead: new Int32Array(n), stepsToPush: new Int32Array(n),
  };
  slots.forEach((s, i) => {
    const rs = s.rng.getState();
    r.rng.set(rs.s, 4 * i);
    r.rngSpare[i] = rs.spare ?? NaN;
    packSample(s.sample, r.sample, i * DR_KEYS.length);
    r.steps[i] = s.steps;
    r.ret[i] = s.ret;
    r.queue.set(s.queue, i * q);
    r.queueHead[i] = s.queueHead;
    r.stepsToPush[i] = s.stepsToPush;
  });
  return r;
}

/** Throws unless `r` is a slots state for `n` envs with latency rings of `queueLen` (the message names the array). */
export function checkSlots(what: string, r: unknown, n: number, queueLen: number): asserts r is SlotsState {
  if (typeof r !== 'object' || r === null) throw new Error(`${what}: env slots state missing`);
  const shape: Record<keyof SlotsState, [new (n: number) => ArrayLike<number>, number]> = {
    rng: [Int32Array, 4 * n], rngSpare: [Float64Array, n], sample: [Float64Array, n * DR_KEYS.length], steps: [Int32Array, n], ret: [Float64Array, n],
    queue: [Float32Array, n * queueLen], queueHead: [Int32Array, n], stepsToPush: [Int32Array, n],
  };
  for (const [key, [ctor, len]] of Object.entries(shape)) {
    const a = (r as Record<string, unknown>)[key];
    if (!(a instanceof ctor) || a.length !== len) throw new Error(`${what}: runner.${key} must be a ${ctor.name} of ${len}`);
  }
}

/** Restores `r` (checked with `checkSlots`) into `slots`. */
export function loadSlots(slots: readonly EnvSlot[], r: SlotsState): void {
  slots.forEach((s, i) => {
    const w = r.rng.subarray(4 * i, 4 * i + 4);
    const spare = r.rngSpare[i] as number;
    s.rng.setState({ s: [w[0] as number, w[1] as number, w[2] as number, w[3] as number], spare: Number.isNaN(spare) ? null : spare });
    s.sample = unpackSample(r.sample, i * DR_KEYS.length);
    s.steps = r.steps[i] as number;
    s.ret = r.ret[i] as number;
    s.queue.set(r.queue.subarray(i * s.queue.length, (i + 1) * s.queue.length));
    s.queueHead = r.queueHead[i] as number;
    s.stepsToPush = r.stepsToPush[i] as number;
  });
}

/** The ArrayBuffers under every typed array in `value` (for a postMessage transfer list). */
export function transferList(value: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    // only buffers the view owns whole: never a view into other memory (e.g. WASM's)
    if (value.buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) out.add(value.buffer);
  } else if (Array.isArray(value)) {
    for (const v of value) transferList(v, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) transferList(v, out);
  }
  return [...out];
}
