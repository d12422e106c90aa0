/**
 * `sim2real eval`: return and episode length of a trained run (`--run`, the TypeScript actor) or
 * of an exported ONNX file (`--policy`, through onnxruntime: the sim-to-sim check), deterministic
 * actions, optionally under dynamics shifted outside the training ranges (`--shift k=v`).
 */
import { Command } from 'commander';
import { NOMINAL, resolveRandomization, type DomainRandomization } from '../sim/randomize.ts';
import { resolveTask } from '../sim/task_loader.ts';
import { evaluatePolicy, loadRun, shiftRandomization, SHIFT_KEYS, type Policy } from '../rl/evaluate.ts';
import { CpuBackend } from '../backend/cpu.ts';
import { OnnxPolicy } from '../onnx/runner.ts';
import { asUsage, asUsageAsync, nonNegativeInt, positiveInt, printJson, say, UsageError } from './common.ts';
import { collectSet } from './overrides.ts';
import { parseShifts } from './shift.ts';
import { EpisodeRecorder } from '../viewer/record_episodes.ts';

interface EvalOpts {
  env: string;
  run?: string;
  policy?: string;
  episodes: number;
  seed: number;
  randomize: boolean;
  shift?: string[];
  json?: boolean;
  record?: string;
}

/** What is evaluated: the actor, the ranges it trained under, and how to name it in the output. */
interface Subject {
  policy: Policy;
  trainedDr: DomainRandomization;
  source: Record<string, string>;
  dispose(): Promise<void>;
}

/** The `eval` command. */
export function evalCommand(): Command {
  return new Command('eval')
    .description('Evaluate a trained run or an ONNX policy: mean and std of return and episode length with the deterministic policy, one episode per env.')
    .requiredOption('--env <name>', 'task name or task module path')
    .option('--run <dir>', 'run directory (its latest checkpoint)')
    .option('--policy <file>', 'exported ONNX policy (sim2real export, or policy.onnx of a run)')
    .option('--episodes <n>', 'episodes', positiveInt('--episodes'), 20)
    .option('--seed <n>', 'seed of the evaluation envs', nonNegativeInt('--seed'), 1)
    .option('--no-randomize', 'evaluate at nominal dynamics instead of the ranges the policy trained under')
    .option('--shift <key=value>', `fix a dynamics parameter, also outside the training ranges (repeatable; mass is a multiplier); keys: ${SHIFT_KEYS.join(', ')}`, collectSet)
    .option('--json', 'print one JSON object on stdout')
    .option('--record <file>', 'also write the episodes (poses, observations, actions, rewards per step) to a recording for sim2real view --replay')
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real eval --env cartpole --run runs/cartpole-2026-11-26T06-00-00',
      '  sim2real eval --env cartpole --run runs/cp --episodes 100 --no-randomize --json',
      '  sim2real eval --env cartpole --policy policies/cartpole.onnx --episodes 20 --seed 3 --json',
      '  sim2real eval --env cartpole --policy policies/cartpole.onnx --shift friction=0.3 --shift mass=1.3',
      '  sim2real eval --env cartpole --policy policies/cartpole.onnx --episodes 5 --record cp.rec',
    ].join('\n'))
    .action(async (o: EvalOpts) => {
      if (!o.run === !o.policy) throw new UsageError(o.run ? 'give --run <dir> or --policy <file>, not both' : '--run <dir> or --policy <file.onnx> is required');
      const shifts = parseShifts(o.shift ?? []);
      const subject = o.run ? loadRunSubject(o.run, o.env) : await loadPolicySubject(o.policy as string, o.env);
      try {
        const base = o.randomize ? subject.trainedDr : { ...NOMINAL };
        const { dr, shift } = asUsage(() => shiftRandomization(base, shifts));
        const recorder = o.record ? await recorderFor(o.record, o) : undefined;
        const evaluate = () => evaluatePolicy({ task: o.env, episodes: o.episodes, seed: o.seed, dr, policy: subject.policy, ...(recorder ? { hooks: recorder } : {}) });
        const r = await asUsageAsync(() => recordingTo(o.record, evaluate, recorder));
        const shiftText = Object.entries(shift).map(([k, v]) => `${k}=${v}`).join(', ');
        const dyn = `${o.randomize ? 'trained randomization' : 'nominal dynamics'}${shiftText ? `, shifted ${shiftText}` : ''}`;
        const line = `${o.env}: return ${r.mean_return.toFixed(2)} ± ${r.std_return.toFixed(2)}, length ${r.mean_length.toFixed(1)} over ${r.episodes} episodes (${dyn}; ${Object.values(subject.source).at(-1)})`;
        const recorded = recorder?.episodes;
        if (o.json) {
          say(line);
          printJson({ env: o.env, ...subject.source, randomize: o.randomize, shift, seed: o.seed, dr, ...r, ...(o.record ? { record: o.record } : {}) });
        } else console.log(line);
        if (recorded !== undefined) say(`recorded ${recorded} episodes to ${o.record} (play them with: sim2real view --replay ${o.record})`);
      } finally {
        await subject.dispose();
      }
    });
}

/** A recorder of the evaluated episodes into `file` (opened when evaluation starts). */
async function recorderFor(file: string, o: EvalOpts): Promise<EpisodeRecorder> {
  const task = await asUsageAsync(() => resolveTask(o.env));
  const source = `sim2real eval --env ${o.env} ${o.run ? `--run ${o.run}` : `--policy ${o.policy}`} --seed ${o.seed}`;
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

function loadRunSubject(dir: string, env: string): Subject {
  const run = asUsage(() => loadRun(dir, new CpuBackend()));
  if (run.config.env !== env) throw new UsageError(`--env ${env}: the run in ${dir} was trained on "${run.config.env}"`);
  return {
    policy: (obs) => run.ppo.actDeterministic(obs),
    trainedDr: run.config.dr,
    source: { run: dir, checkpoint: run.checkpoint },
    dispose: async () => {},
  };
}

async function loadPolicySubject(file: string, env: string): Promise<Subject> {
  const task = await asUsageAsync(() => resolveTask(env));
  const policy = await asUsageAsync(() => OnnxPolicy.load(file));
  try {
    asUsage(() => policy.checkEnv(task));
    const trainedDr = asUsage(() => resolveRandomization(NOMINAL, policy.contract.drRanges));
    return { policy: (obs) => policy.envActions(obs), trainedDr, source: { policy: file }, dispose: () => policy.dispose() };
  } catch (e) {
    await policy.dispose();
    throw e;
  }
}
