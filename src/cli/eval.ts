/**
 * `sim2real eval`: return and episode length of a trained run (`--run`, the TypeScript actor) or
 * of an exported ONNX file (`--policy`, through onnxruntime: the sim-to-sim check), deterministic
 * actions, optionally under dynamics shifted outside the training ranges (`--shift k=v`), and for
 * tasks with commands at held commands with tracking statistics (`--command name=value`); on
 * Rapier or on MuJoCo (`--engine mujoco`: the same statistics from dynamics the policy never met).
 */
import { Command } from 'commander';
import { effectiveRanges } from '../task/randomize.ts';
import { shiftRandomization } from '../task/shift.ts';
import { evaluatePolicy, type EvalTracking } from '../sim/evaluate.ts';
import { resolveCommands, type TrackingResult } from '../sim/tracking.ts';
import { listTasks } from '../../envs/index.ts';
import type { TaskSpec } from '../task/task.ts';
import { ROBOT_OPTION_HELP, robotForRun, taskFor } from './robot_option.ts';
import { loadPolicy } from './load_policy.ts';
import { asUsage, asUsageAsync, nonNegativeInt, nonNegativeNumber, positiveInt, printJson, say, table, UsageError } from './common.ts';
import { collectSet } from './overrides.ts';
import { MAX_EVAL_EPISODES } from './limits.ts';
import { parseCommands, parseShifts, shiftKeysHelp } from './shift.ts';
import { checkEngineRanges, checkEngineShifts, ENGINE_OPTION_HELP, loadEngine, parseEngine, type EngineName } from './engine_option.ts';
import { EpisodeRecorder } from '../viewer/record_episodes.ts';
import { checkOutputTarget } from '../rl/atomic_file.ts';

interface EvalOpts {
  env: string;
  robot?: string;
  run?: string;
  policy?: string;
  episodes: number;
  seed: number;
  randomize: boolean;
  engine: EngineName;
  shift?: string[];
  command?: string[];
  settleS?: number;
  json?: boolean;
  record?: string;
}

/** The `eval` command. */
export function evalCommand(): Command {
  return new Command('eval')
    .description('Evaluate a trained run or an ONNX policy: mean and std of return and episode length with the deterministic policy, one episode per env; with --command, how well held commands are tracked.')
    .requiredOption('--env <name>', 'task name or task module path')
    .option('--robot <file.json>', `${ROBOT_OPTION_HELP}; with --run, default the run's robot`)
    .option('--run <dir>', 'run directory (its latest checkpoint)')
    .option('--policy <file>', 'exported ONNX policy (sim2real export, or policy.onnx of a run)')
    .option('--episodes <n>', `episodes (at most ${MAX_EVAL_EPISODES})`, positiveInt('--episodes', MAX_EVAL_EPISODES), 20)
    .option('--seed <n>', 'seed of the evaluation envs', nonNegativeInt('--seed'), 1)
    .option('--no-randomize', 'evaluate at nominal dynamics instead of the ranges the policy trained under')
    .option('--engine <name>', ENGINE_OPTION_HELP, parseEngine, 'rapier')
    .option('--shift <key=value>', `fix a dynamics parameter, also outside the training ranges (repeatable; mass is a multiplier; restitution: rapier only); keys: ${shiftKeysHelp()}`, collectSet)
    .option('--command <name=value>', `hold a task command at a value and report how well it is tracked (repeatable; commands not given are held at 0); ${commandsHelp()}`, collectSet)
    .option('--settle-s <s>', 'with --command: seconds after each reset left out of the tracking statistics (default 1)', nonNegativeNumber('--settle-s'))
    .option('--json', 'print one JSON object on stdout')
    .option('--record <file>', 'also write the episodes (poses, observations, actions, rewards per step) to a recording for sim2real view --replay (a regular file, written whole when evaluation ends; its directory must exist)')
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real eval --env cartpole --run runs/cartpole-2026-11-26T06-00-00',
      '  sim2real eval --env cartpole --run runs/cp --episodes 100 --no-randomize --json',
      '  sim2real eval --env cartpole --policy policies/cartpole.onnx --episodes 20 --seed 3 --json',
      '  sim2real eval --env cartpole --policy policies/cartpole.onnx --shift friction=0.3 --shift mass=1.3',
      '  sim2real eval --env cartpole --policy policies/cartpole.onnx --engine mujoco --episodes 5      # sim-to-sim',
      '  sim2real eval --env quadruped --policy policies/quadruped.onnx --engine mujoco --no-randomize --command vx=0.5 --episodes 8',
      '  sim2real eval --env cartpole --policy policies/cartpole.onnx --episodes 5 --record cp.rec',
      '  sim2real eval --env quadruped --run runs/a1 --command vx=0.8 --episodes 10      # vy and yaw_rate held at 0',
      '  sim2real eval --env quadruped --policy a1.onnx --command vx=0.5 --shift friction=0.4 --shift latency_steps=2 --settle-s 2 --json',
      '  sim2real eval --env quadruped --robot robots/a1.json --policy runs/a1/policy.onnx --command vx=0.75 --episodes 24',
    ].join('\n'))
    .action(async (o: EvalOpts) => {
      if (!o.run === !o.policy) throw new UsageError(o.run ? 'give --run <dir> or --policy <file>, not both' : '--run <dir> or --policy <file.onnx> is required');
      if (o.record !== undefined) asUsage(() => checkOutputTarget(o.record as string));
      const shifts = parseShifts(o.shift ?? []);
      const engine = await loadEngine(o.engine);
      checkEngineShifts(engine, shifts);
      const robot = o.run ? robotForRun(o.run, o.robot, (await taskFor(o.env, undefined)).robot) : o.robot;
      const task = await taskFor(o.env, robot);
      const tracking = trackingFor(o, task);
      const subject = await asUsageAsync(() => loadPolicy(o.run ? { run: o.run } : { onnx: o.policy as string }, task));
      try {
        const base = asUsage(() => effectiveRanges(subject.dr, { randomize: o.randomize }));
        const { dr, shift } = asUsage(() => shiftRandomization(base, shifts));
        checkEngineRanges(engine, dr);
        const recorder = o.record ? recorderFor(o.record, o, task) : undefined;
        const evaluate = () => evaluatePolicy({ task, episodes: o.episodes, seed: o.seed, dr, engine, policy: subject.act, ...(recorder ? { hooks: recorder } : {}), ...(tracking ? { tracking } : {}) });
        const r = await asUsageAsync(() => recordingTo(o.record, evaluate, recorder));
        const shiftText = Object.entries(shift).map(([k, v]) => `${k}=${v}`).join(', ');
        const dyn = `${o.randomize ? 'trained randomization' : 'nominal dynamics'}${shiftText ? `, shifted ${shiftText}` : ''}${o.engine === 'rapier' ? '' : `, on ${o.engine}`}`;
        const line = `${o.env}: return ${r.mean_return.toFixed(2)} ± ${r.std_return.toFixed(2)}, length ${r.mean_length.toFixed(1)} over ${r.episodes} episodes (${dyn}; ${Object.values(subject.source).at(-1)})`;
        const h = r.base_height;
        const heightText = h ? `\nbase height ${h.mean_m.toFixed(3)} m = ${(100 * h.ratio).toFixed(1)}% of the nominal ${h.nominal_m} m (mean over ${h.measured_steps} steps, from ${h.settle_s} s after each reset)` : '';
        const text = `${r.tracking ? `${line}\n${trackingText(r.tracking)}` : line}${heightText}`;
        const recorded = recorder?.episodes;
        if (o.json) {
          say(text);
          printJson({ env: o.env, ...subject.source, engine: o.engine, randomize: o.randomize, shift, seed: o.seed, dr, ...r, ...(o.record ? { record: o.record } : {}) });
        } else console.log(text);
        if (recorded !== undefined) say(`recorded ${recorded} episodes to ${o.record} (play them with: sim2real view --replay ${o.record})`);
      } finally {
        await subject.dispose();
      }
    });
}

/** The registered tasks' commands, for `--help`. */
function commandsHelp(): string {
  const tasks = listTasks().filter((t) => t.commands?.length);
  return `commands: ${tasks.map((t) => `${t.name}: ${t.commands!.map((c) => `${c.name} (${c.unit})`).join(', ')}`).join('; ')}`;
}

/**
 * The commands to hold from `--command` (the others at 0) and the settling time, or undefined
 * without `--command`. Names are checked against the task; values outside the range the task
 * samples from are allowed, with a warning on stderr.
 */
function trackingFor(o: EvalOpts, task: TaskSpec): EvalTracking | undefined {
  if (!o.command) {
    if (o.settleS !== undefined) throw new UsageError('--settle-s: only applies with --command (tracking statistics)');
    return undefined;
  }
  const given = parseCommands(o.command);
  if (!task.commands?.length) {
    const withCommands = listTasks().filter((t) => t.commands?.length).map((t) => t.name);
    throw new UsageError(`--command: task ${task.name} declares no commands to hold (tasks with commands: ${withCommands.join(', ')})`);
  }
  const { values, outOfRange } = asUsage(() => resolveCommands(task, given));
  for (const w of outOfRange) {
    say(`warning: command ${w.name}=${w.value} ${w.unit} is outside the range task ${task.name} samples from, [${w.range[0]}, ${w.range[1]}] ${w.unit}`);
  }
  return { commands: values, settleS: o.settleS ?? 1 };
}

/** The tracking statistics as a heading line and a table. */
function trackingText(t: TrackingResult): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');
  const cmds = Object.entries(t.commands);
  const held = cmds.map(([n, c]) => `${n}=${c.command} ${c.unit}`).join(', ');
  const head = `tracking ${held} after ${t.settle_s} s settling (${t.measured_steps} steps of ${t.measured_envs} envs): ` +
    `${t.terminated} of ${t.episodes} episodes ended early (fell), ${t.truncated} ran to the time limit`;
  const rows = cmds.map(([n, c]) => [
    n, c.unit, c.command, f(c.mean_measured), f(c.mean_abs_error), f(c.rms_error),
    c.worst_env < 0 ? '-' : `${f(c.worst_env_mean_abs_error)} (env ${c.worst_env})`,
  ]);
  return `${head}\n${table(['command', 'unit', 'held', 'mean measured', 'mean |error|', 'rms error', 'worst env mean |error|'], rows)}`;
}

/** A recorder of the evaluated episodes of `task` into `file` (opened when evaluation starts). */
function recorderFor(file: string, o: EvalOpts, task: TaskSpec): EpisodeRecorder {
  const source = `sim2real eval --env ${o.env}${o.robot ? ` --robot ${o.robot}` : ''} ${o.run ? `--run ${o.run}` : `--policy ${o.policy}`}${o.engine === 'rapier' ? '' : ` --engine ${o.engine}`} --seed ${o.seed}`;
  return new EpisodeRecorder(task, file, source);
}

/** Runs `evaluate`, closing `recorder` afterwards; a file that cannot be written is a usage error. */
async function recordingTo<T>(file: string | undefined, evaluate: () => Promise<T>, recorder: EpisodeRecorder | undefined): Promise<T> {
  try {
    return await evaluate();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (recorder && (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')) throw new UsageError(`--record ${file}: cannot write the file (${code})`);
    throw e;
  } finally {
    recorder?.close();
  }
}
