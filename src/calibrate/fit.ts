/**
 * System identification from a logged session: the chosen randomization parameters are fitted
 * by the cross-entropy method (`cem.ts`) so that replays of the logged actions from the logged
 * states (`replay.ts`) reproduce the logged trajectories. The replay windows are dealt into
 * folds and each fold is fitted on its own, all folds' populations stepped together in one batch
 * of simulated robots. The fitted value is the folds' mean (an integer parameter: of the values
 * the folds chose, the one whose replay fits all windows best) and its uncertainty their spread:
 * how much the answer moves with the data it sees. The trajectory error before (every parameter
 * nominal) and after (the fitted values) is the loss over all windows.
 */
import { DR_PARAMS, type DrParam } from '../task/randomization_params.ts';
import type { TaskSpec } from '../task/task.ts';
import type { PhysicsEngine } from '../sim/physics_scene.ts';
import { CrossEntropySearch, type CemDim } from './cem.ts';
import { Replayer, type ReplayJob } from './replay.ts';
import { CalibrationInputError, replayWindows, stateScales, type SessionLog, type Window } from './session_log.ts';

/**
 * Parameters a replay can identify, each with the margin the search extends past the task's
 * range and the nominal value (in the parameter's unit). Observation noise, pushes and gravity
 * tilt are not here: they change what is sensed or what hits the robot, not how it answers its
 * actions.
 */
export const FIT_MARGIN: Readonly<Partial<Record<DrParam, number>>> = {
  mass_scale: 0.5,
  added_base_mass_kg: 3,
  friction: 0.8,
  restitution: 0.5,
  joint_damping: 0.5,
  motor_strength: 0.5,
  latency_steps: 3,
  gravity: 1,
  kp_scale: 0.5,
  kd_scale: 0.5,
};

/** What to fit and how hard to try. */
export interface FitOptions {
  task: TaskSpec;
  log: SessionLog;
  params: readonly DrParam[];
  /** Candidate evaluations per fold (population × generations). */
  budget: number;
  /** Control steps replayed per window. */
  horizon: number;
  /** Replay windows over the whole log, at most. */
  windows: number;
  /** Folds the windows are dealt into (≥ 2: the spread of their fits is the uncertainty). */
  folds: number;
  /** Candidates per generation. */
  population: number;
  seed: number;
  engine?: PhysicsEngine;
  onProgress?: (generation: number, generations: number, bestLoss: number) => void;
}

/** One fitted parameter. */
export interface FittedParam {
  value: number;
  /** Population standard deviation of the folds' fits. */
  uncertainty: number;
  /** Each fold's fit. */
  folds: number[];
  /** The interval searched. */
  search: [number, number];
  nominal: number;
}

/** What `calibrate` reports. */
export interface FitResult {
  fitted: Record<string, FittedParam>;
  /** Trajectory loss with every parameter nominal, and with the fitted values. */
  error_before: number;
  error_after: number;
  loss: string;
  horizon_steps: number;
  windows: number;
  folds: number;
  generations: number;
  population: number;
  log_steps: number;
}

/**
 * Checks that every name is a parameter `task` randomizes and a replay can identify; returns
 * them as parameter keys. Errors name the parameter and what would be accepted.
 */
export function checkFitParams(task: TaskSpec, names: readonly string[]): DrParam[] {
  const fittable = fittableParams(task);
  if (names.length === 0) throw new CalibrationInputError('no parameters to fit');
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new CalibrationInputError(`parameter ${n} is listed twice`);
    seen.add(n);
    if (!Object.hasOwn(DR_PARAMS, n)) throw new CalibrationInputError(`${n}: not a randomization parameter (task ${task.name} can fit: ${fittable.join(', ') || 'none'})`);
    if (!(n in FIT_MARGIN)) throw new CalibrationInputError(`${n}: cannot be fitted from a replay (it changes what is sensed or what hits the robot, not its dynamics); fittable: ${Object.keys(FIT_MARGIN).join(', ')}`);
    const [lo, hi] = task.dr[n as DrParam];
    if (lo === hi) throw new CalibrationInputError(`${n}: task ${task.name} does not randomize it (its range is [${lo}, ${hi}]); it can fit: ${fittable.join(', ') || 'none'}`);
  }
  return names as DrParam[];
}

/** The parameters of `task` calibration can fit: randomized by the task and identifiable from a replay. */
export function fittableParams(task: TaskSpec): DrParam[] {
  return (Object.keys(FIT_MARGIN) as DrParam[]).filter((p) => task.dr[p][0] !== task.dr[p][1]);
}

/** The interval searched for `p`: the task's range and the nominal value, widened by the margin, inside the parameter's limits. */
export function searchInterval(task: TaskSpec, p: DrParam): [number, number] {
  const d = DR_PARAMS[p];
  const m = FIT_MARGIN[p] ?? 0;
  const lo = Math.max(d.limits[0], Math.min(task.dr[p][0], d.nominal) - m);
  const hi = Math.min(d.limits[1], Math.max(task.dr[p][1], d.nominal) + m);
  return d.integer ? [Math.ceil(lo), Math.floor(hi)] : [lo, hi];
}

/** Fits `params` to the log; see the file comment. */
export async function fitParameters(o: FitOptions): Promise<FitResult> {
  const { log, task, params } = o;
  if (!(o.folds >= 2)) throw new CalibrationInputError(`folds must be at least 2, got ${o.folds}`);
  const windows = replayWindows(log, o.horizon, o.windows);
  if (windows.length < o.folds) throw new CalibrationInputError(`log ${log.file}: only ${windows.length} replay windows of ${o.horizon} steps, fewer than ${o.folds} folds; log a longer session`);
  const folds: Window[][] = Array.from({ length: o.folds }, () => []);
  windows.forEach((w, i) => folds[i % o.folds]!.push(w));
  const scales = stateScales(log);
  const dims: CemDim[] = params.map((p) => {
    const [lo, hi] = searchInterval(task, p);
    return { lo, hi, integer: DR_PARAMS[p].integer };
  });
  const nominal = params.map((p) => DR_PARAMS[p].nominal);
  const searches = folds.map((_, f) => {
    const s = new CrossEntropySearch(dims, { population: o.population, seed: o.seed * 1009 + f });
    s.startAt(nominal);
    return s;
  });
  const valuesOf = (x: readonly number[]) => Object.fromEntries(params.map((p, j) => [p, x[j] as number])) as Partial<Record<DrParam, number>>;
  const generations = Math.max(1, Math.ceil(o.budget / o.population));
  const replayer = await Replayer.create(task, Math.min(2048, o.population * windows.length), o.engine);
  try {
    const cols = replayer.state.columns;
    if (cols.length !== log.stateColumns.length || cols.some((c, k) => c !== log.stateColumns[k])) {
      throw new CalibrationInputError(`log ${log.file}: its state columns (${log.stateColumns.join(', ')}) are not the simulated robot's (${cols.join(', ')})`);
    }
    for (let g = 0; g < generations; g++) {
      const asked = searches.map((s) => s.ask());
      const jobs: ReplayJob[] = asked.flatMap((pop, f) => pop.map((x) => ({ values: valuesOf(x), windows: folds[f] as Window[] })));
      const { mean } = replayer.run(log, jobs, o.horizon, scales);
      searches.forEach((s, f) => s.tell(mean.slice(f * o.population, (f + 1) * o.population)));
      o.onProgress?.(g + 1, generations, Math.min(...mean));
    }
    // -- combine the folds: continuous values by their mean; integers by the lowest loss over all windows among the values the folds chose
    const perFold = searches.map((s) => s.best());
    const centre = params.map((p, j) => (DR_PARAMS[p].integer ? NaN : perFold.reduce((a, x) => a + (x[j] as number), 0) / perFold.length));
    const combos = integerCombos(params.map((p, j) => (DR_PARAMS[p].integer ? [...new Set(perFold.map((x) => x[j] as number))].sort((a, b) => a - b) : [centre[j] as number])));
    const { mean: errors } = replayer.run(log, [nominal, ...combos].map((x) => ({ values: valuesOf(x), windows })), o.horizon, scales);
    let pick = 0;
    for (let c = 1; c < combos.length; c++) if ((errors[1 + c] as number) < (errors[1 + pick] as number)) pick = c;
    const best = combos[pick] as number[];
    const fitted: Record<string, FittedParam> = {};
    params.forEach((p, j) => {
      const xs = perFold.map((x) => x[j] as number);
      const value = best[j] as number;
      const around = DR_PARAMS[p].integer ? value : xs.reduce((a, b) => a + b, 0) / xs.length;
      fitted[p] = {
        value, uncertainty: Math.sqrt(xs.reduce((a, b) => a + (b - around) ** 2, 0) / xs.length), folds: xs,
        search: [dims[j]!.lo, dims[j]!.hi], nominal: nominal[j] as number,
      };
    });
    return {
      fitted, error_before: errors[0] as number, error_after: errors[1 + pick] as number,
      loss: `mean over windows, steps 1…${o.horizon} and state columns of ((simulated − logged) / logged std)²`,
      horizon_steps: o.horizon, windows: windows.length, folds: o.folds, generations, population: o.population, log_steps: log.steps,
    };
  } finally {
    replayer.dispose();
  }
}

/** Every combination of one value per dimension (the cartesian product). */
function integerCombos(choices: readonly number[][]): number[][] {
  return choices.reduce<number[][]>((acc, vs) => acc.flatMap((a) => vs.map((v) => [...a, v])), [[]]);
}
