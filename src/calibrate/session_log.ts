/**
 * A logged session as calibration reads it: the recording (docs/recording.md) checked against
 * the task and robot it is fitted to, and cut into replay windows — a start step whose logged
 * state the simulator is put in, the logged actions that follow, and the logged states it should
 * reach. A log of another task or robot, one without the state columns, or one too short for a
 * single window is a `CalibrationInputError` naming what is wrong.
 */
import { readRecording, RecordingError, stepLayout, type Recording } from '../robot/recording.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';
import type { TaskSpec } from '../task/task.ts';

/** Input the user can fix (a wrong log, an unknown parameter): one line, exit 2 at the command line. */
export class CalibrationInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalibrationInputError';
  }
}

/** One episode's columns calibration uses: `steps × stateDim` states (before each action) and `steps × actDim` actions. */
export interface LoggedEpisode {
  steps: number;
  states: Float64Array;
  actions: Float64Array;
}

/** A session ready to replay. */
export interface SessionLog {
  file: string;
  task: string;
  robot: string;
  /** The replay state's column names (`state.*`), in the order of `states`. */
  stateColumns: string[];
  actDim: number;
  episodes: LoggedEpisode[];
  /** Control steps logged, all episodes. */
  steps: number;
}

/** A replay window: the episode and the step whose logged state the replay starts from. */
export interface Window {
  episode: number;
  start: number;
}

/**
 * Reads `file` and checks it was logged from `task` on `spec`'s robot with the replay state
 * `stateColumns` (the simulated twin's `ReplayState.columns`).
 */
export function readSessionLog(file: string, task: TaskSpec, spec: LoadedRobotSpec, stateColumns: readonly string[]): SessionLog {
  let rec: Recording;
  try {
    rec = readRecording(file);
  } catch (e) {
    if (e instanceof RecordingError) throw new CalibrationInputError(e.message);
    throw e;
  }
  const h = rec.header;
  const bad = (why: string) => new CalibrationInputError(`log ${file}: ${why}`);
  if (h.task !== task.name) throw bad(`recorded from task ${h.task}, not ${task.name} (calibrate with --env ${h.task}, or log a session of ${task.name})`);
  if (h.robot !== spec.name) throw bad(`recorded on robot ${h.robot}, not ${spec.name} (pass that robot's contract with --robot)`);
  if (Math.abs(h.controlDtS - spec.control_dt_s) > 1e-9) throw bad(`logged every ${h.controlDtS} s, robot ${spec.name} is controlled every ${spec.control_dt_s} s`);
  const names = task.actions.map((a) => a.name);
  if (h.actions.length !== names.length || h.actions.some((a, i) => a !== names[i])) throw bad(`its actions are ${h.actions.join(', ')}; task ${task.name} has ${names.join(', ')}`);
  const at = stateColumns.map((c) => h.rewardTerms.indexOf(c));
  const missing = stateColumns.filter((_, k) => (at[k] as number) < 0);
  if (missing.length > 0) {
    throw bad(`it has no state to replay from (missing ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', …' : ''}); record with sim2real robot --record, see docs/recording.md`);
  }
  const L = stepLayout(h);
  const S = stateColumns.length, A = names.length;
  const episodes = rec.episodes.map(({ meta, data }): LoggedEpisode => {
    const states = new Float64Array(meta.steps * S), actions = new Float64Array(meta.steps * A);
    for (let t = 0; t < meta.steps; t++) {
      const row = t * L.stride;
      for (let k = 0; k < S; k++) states[t * S + k] = data[row + L.terms + (at[k] as number)] as number;
      for (let k = 0; k < A; k++) actions[t * A + k] = data[row + L.actions + k] as number;
    }
    return { steps: meta.steps, states, actions };
  });
  return { file, task: h.task, robot: h.robot, stateColumns: [...stateColumns], actDim: A, episodes, steps: episodes.reduce((s, e) => s + e.steps, 0) };
}

/**
 * Up to `count` replay windows of `horizon` steps spread evenly over the log (every window needs
 * its start state and `horizon` logged states after it); an error when none fits.
 */
export function replayWindows(log: SessionLog, horizon: number, count: number): Window[] {
  const all: Window[] = [];
  log.episodes.forEach((e, episode) => {
    // the last row's successor is not logged: a window from `start` compares states start+1 … start+horizon
    for (let start = 0; start + horizon < e.steps; start++) all.push({ episode, start });
  });
  if (all.length === 0) {
    const longest = Math.max(0, ...log.episodes.map((e) => e.steps));
    throw new CalibrationInputError(`log ${log.file}: no episode is long enough for one replay window of ${horizon} steps (longest: ${longest} steps); log longer episodes or lower --horizon`);
  }
  if (all.length <= count) return all;
  return Array.from({ length: count }, (_, i) => all[Math.floor(((i + 0.5) * all.length) / count)] as Window);
}

/** Per state column, the spread of its logged values (population std, at least `floor`): the loss's scale. */
export function stateScales(log: SessionLog, floor = 1e-3): Float64Array {
  const S = log.stateColumns.length;
  const sum = new Float64Array(S), sq = new Float64Array(S);
  for (const e of log.episodes) {
    for (let t = 0; t < e.steps; t++) {
      for (let k = 0; k < S; k++) {
        const v = e.states[t * S + k] as number;
        sum[k]! += v;
        sq[k]! += v * v;
      }
    }
  }
  const n = Math.max(1, log.steps);
  return Float64Array.from(sum, (s, k) => Math.max(floor, Math.sqrt(Math.max(0, (sq[k] as number) / n - (s / n) ** 2))));
}
