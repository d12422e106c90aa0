/** `sim2real eval`: return and episode length of a trained policy, deterministic actions. */
import { Command } from 'commander';
import { NOMINAL } from '../sim/randomize.ts';
import { evaluatePolicy, loadRun } from '../rl/evaluate.ts';
import { CpuBackend } from '../backend/cpu.ts';
import { asUsage, asUsageAsync, nonNegativeInt, positiveInt, printJson, say, UsageError } from './common.ts';

interface EvalOpts {
  env: string;
  run?: string;
  episodes: number;
  seed: number;
  randomize: boolean;
  json?: boolean;
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('Evaluate a trained run: mean and std of return and episode length with the deterministic policy, one episode per env.')
    .requiredOption('--env <name>', 'task name or task module path')
    .option('--run <dir>', 'run directory (its latest checkpoint)')
    .option('--episodes <n>', 'episodes', positiveInt('--episodes'), 20)
    .option('--seed <n>', 'seed of the evaluation envs', nonNegativeInt('--seed'), 1)
    .option('--no-randomize', 'evaluate at nominal dynamics instead of the ranges the run trained under')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', '\nExamples:\n  sim2real eval --env cartpole --run runs/cartpole-2026-11-26T06-00-00\n  sim2real eval --env cartpole --run runs/cp --episodes 100 --no-randomize --json')
    .action(async (o: EvalOpts) => {
      if (!o.run) throw new UsageError('--run <dir> is required (ONNX policies come with the export command)');
      const run = asUsage(() => loadRun(o.run as string, new CpuBackend()));
      if (run.config.env !== o.env) throw new UsageError(`--env ${o.env}: the run in ${o.run} was trained on "${run.config.env}"`);
      const r = await asUsageAsync(() => evaluatePolicy({
        task: o.env, episodes: o.episodes, seed: o.seed, dr: o.randomize ? run.config.dr : { ...NOMINAL },
        policy: (obs) => run.ppo.actDeterministic(obs),
      }));
      const line = `${o.env}: return ${r.mean_return.toFixed(2)} ± ${r.std_return.toFixed(2)}, length ${r.mean_length.toFixed(1)} over ${r.episodes} episodes (${o.randomize ? 'trained randomization' : 'nominal dynamics'}; ${run.checkpoint})`;
      if (o.json) {
        say(line);
        printJson({ env: o.env, run: o.run, checkpoint: run.checkpoint, randomize: o.randomize, seed: o.seed, ...r });
      } else console.log(line);
    });
}
