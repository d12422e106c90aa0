/**
 * Command tracking, the evaluation a legged-robot engineer runs: hold a task's commands at
 * chosen values (`TaskEnv.setCommands`), then measure over each env's first episode, after a
 * settling time, how closely the quantities the commands ask for follow them, and how many
 * episodes ended early (fell) rather than at the time limit. Generic over tasks that declare
 * `commands`; the measuring is a set of episode-loop hooks, so it composes with a recorder.
 */
import type { AnyEnvGroup } from './env_group.ts';
import type { EpisodeHooks } from './episodes.ts';
import type { CommandSpec, TaskSpec } from '../task/task.ts';

/** One command's statistics over the measured steps of every env's first episode. */
export interface CommandTrackingStats {
  unit: string;
  /** The value held (or, when the command was not held, the mean commanded value). */
  command: number;
  /** Mean measured quantity. */
  mean_measured: number;
  /** Mean |measured − commanded|, over all measured steps of all envs. */
  mean_abs_error: number;
  /** √mean (measured − commanded)², over all measured steps of all envs. */
  rms_error: number;
  /** The largest of the envs' own mean |measured − commanded|. */
  worst_env_mean_abs_error: number;
  /** Which env that was (local index; −1 when no env was measured). */
  worst_env: number;
}

/** What `CommandTracker.result` reports; statistics are NaN when no step was measured. */
export interface TrackingResult {
  /** Steps within this long after a reset were not measured, s. */
  settle_s: number;
  episodes: number;
  /** Episodes that ended in a terminal state (the robot fell). */
  terminated: number;
  /** Episodes that ran to the time limit. */
  truncated: number;
  /** Steps measured over all envs, and envs with at least one measured step. */
  measured_steps: number;
  measured_envs: number;
  /** Per command, by name, in the task's command order. */
  commands: Record<string, CommandTrackingStats>;
}

/** A command value outside the range the task samples from: allowed, worth a warning. */
export interface CommandOutOfRange {
  name: string;
  value: number;
  unit: string;
  range: readonly [number, number];
}

/**
 * The task's commands as values in its command order, from `given` by name (commands not given
 * are 0). An unknown name is an error listing the valid ones; a task without commands is an
 * error; values outside the sampled range are returned in `outOfRange`.
 */
export function resolveCommands(task: TaskSpec, given: Readonly<Record<string, number>>): { values: Float64Array; outOfRange: CommandOutOfRange[] } {
  const specs = task.commands ?? [];
  if (specs.length === 0) throw new Error(`task ${task.name} declares no commands`);
  const names = specs.map((c) => c.name);
  for (const [name, value] of Object.entries(given)) {
    if (!names.includes(name)) throw new Error(`command ${name}: unknown command of task ${task.name} (valid: ${names.join(', ')})`);
    if (!Number.isFinite(value)) throw new Error(`command ${name}: expected a finite number, got ${value}`);
  }
  const values = Float64Array.from(specs, (c) => (Object.hasOwn(given, c.name) ? given[c.name] as number : 0));
  const outOfRange = specs.flatMap((c, k) => {
    const value = values[k] as number;
    return value < c.range[0] || value > c.range[1] ? [{ name: c.name, value, unit: c.unit, range: c.range }] : [];
  });
  return { values, outOfRange };
}

/**
 * Holds every env of `group` at the command `values` (task command order) and resets them all,
 * so the first observations already carry the held commands.
 */
export function holdCommands(group: AnyEnvGroup, values: Float64Array): void {
  const n = group.task.commands?.length ?? 0;
  if (values.length !== n) throw new Error(`task ${group.task.name}: ${values.length} command values for ${n} commands`);
  for (let i = 0; i < group.numEnvs; i++) {
    const env = group.taskEnv(i);
    if (!env.setCommands) throw new Error(`task ${group.task.name} declares commands but its env has no setCommands`);
    env.setCommands(values);
  }
  group.resetAll();
}

/**
 * Episode-loop hooks measuring command tracking. Each loop step, before acting, every env still
 * in its first episode whose time since reset is at least `settleS` contributes the error
 * measured − commanded of each command, read from its `info()` (the command's `commandKey` and
 * `measuredKey`). Read `result()` once the loop has ended.
 */
export class CommandTracker implements EpisodeHooks {
  private readonly specs: readonly CommandSpec[];
  private settleSteps = 0;
  private step = 0;
  private numEnvs = 0;
  private terminated = 0;
  private truncated = 0;
  /** Measured steps per env. */
  private count = new Float64Array(0);
  /** Per env and command ([env · commands + k]): Σ measured, Σ commanded, Σ |e|, Σ e². */
  private sumMeasured = new Float64Array(0);
  private sumCommand = new Float64Array(0);
  private sumAbs = new Float64Array(0);
  private sumSq = new Float64Array(0);

  /** `held`: the values the commands are held at, reported as each command's value. */
  constructor(task: TaskSpec, private readonly settleS: number, private readonly held: Float64Array | null = null) {
    this.specs = task.commands ?? [];
    if (this.specs.length === 0) throw new Error(`task ${task.name} declares no commands to track`);
    if (!(settleS >= 0) || !Number.isFinite(settleS)) throw new Error(`settling time must be a finite number of seconds >= 0, got ${settleS}`);
    if (held && held.length !== this.specs.length) throw new Error(`task ${task.name}: ${held.length} held values for ${this.specs.length} commands`);
  }

  onStart(group: AnyEnvGroup): void {
    const n = group.numEnvs, m = this.specs.length;
    this.numEnvs = n;
    // a state k steps after the reset is k · dt old; tolerate the rounding of settleS / dt
    this.settleSteps = Math.ceil(this.settleS / group.spec.control_dt_s - 1e-9);
    this.count = new Float64Array(n);
    for (const a of ['sumMeasured', 'sumCommand', 'sumAbs', 'sumSq'] as const) this[a] = new Float64Array(n * m);
    const info = group.taskEnv(0).info?.() ?? {};
    for (const c of this.specs) {
      for (const key of [c.commandKey, c.measuredKey]) {
        if (typeof info[key] !== 'number') throw new Error(`task ${group.task.name}: command ${c.name}: info() has no number ${key}`);
      }
    }
  }

  beforeStep(group: AnyEnvGroup, counting: Uint8Array): void {
    if (this.step++ < this.settleSteps) return;
    const m = this.specs.length;
    for (let i = 0; i < counting.length; i++) {
      if (!counting[i]) continue;
      this.count[i]! += 1;
      const info = group.taskEnv(i).info?.() ?? {};
      for (let k = 0; k < m; k++) {
        const c = this.specs[k] as CommandSpec;
        const measured = info[c.measuredKey] as number, command = info[c.commandKey] as number;
        const e = measured - command, at = i * m + k;
        this.sumMeasured[at]! += measured;
        this.sumCommand[at]! += command;
        this.sumAbs[at]! += Math.abs(e);
        this.sumSq[at]! += e * e;
      }
    }
  }

  onEpisodeEnd(group: AnyEnvGroup, i: number): void {
    if (group.buffers.terminated[i]) this.terminated++;
    else this.truncated++;
  }

  /** The statistics of the loop that ran. */
  result(): TrackingResult {
    const n = this.numEnvs, m = this.specs.length;
    const commands: Record<string, CommandTrackingStats> = {};
    let steps = 0, envs = 0;
    for (let i = 0; i < n; i++) {
      const c = this.count[i] as number;
      steps += c;
      if (c > 0) envs++;
    }
    this.specs.forEach((spec, k) => {
      let measured = 0, command = 0, abs = 0, sq = 0, worst = NaN, worstEnv = -1;
      for (let i = 0; i < n; i++) {
        const at = i * m + k, c = this.count[i] as number;
        measured += this.sumMeasured[at] as number;
        command += this.sumCommand[at] as number;
        abs += this.sumAbs[at] as number;
        sq += this.sumSq[at] as number;
        const envMean = c > 0 ? (this.sumAbs[at] as number) / c : NaN;
        if (envMean > worst || (worstEnv < 0 && c > 0)) [worst, worstEnv] = [envMean, i];
      }
      commands[spec.name] = {
        unit: spec.unit,
        command: this.held ? this.held[k] as number : command / steps,
        mean_measured: measured / steps,
        mean_abs_error: abs / steps,
        rms_error: Math.sqrt(sq / steps),
        worst_env_mean_abs_error: worst,
        worst_env: worstEnv,
      };
    });
    return { settle_s: this.settleS, episodes: n, terminated: this.terminated, truncated: this.truncated, measured_steps: steps, measured_envs: envs, commands };
  }
}
