/** `sim2real bench sim`: simulation throughput (env-steps/s) against bare engine stepping, on Rapier or MuJoCo. */
import { Command } from 'commander';
import '../../envs/index.ts';
import { benchSim } from '../sim/bench_sim.ts';
import { asUsageAsync, nonNegativeInt, positiveInt, printJson, say, table, UsageError } from './common.ts';
import { MAX_BENCH_STEPS, MAX_ENVS, MAX_WORKERS } from './limits.ts';
import { checkKeys, collectSet, configLayers, drSection, DR_SHAPE } from './overrides.ts';
import { ROBOT_OPTION_HELP } from './robot_option.ts';
import { ENGINE_OPTION_HELP, loadEngine, parseEngine, type EngineName } from './engine_option.ts';

interface SimOpts {
  env: string;
  robot?: string;
  envs: number;
  workers: number;
  steps: number;
  seed: number;
  randomize: boolean;
  engine: EngineName;
  config?: string;
  set?: string[];
  json?: boolean;
}

export function benchCommand(): Command {
  const bench = new Command('bench').description('Benchmarks (tables on the terminal, one JSON object with --json).');
  bench.addCommand(new Command('sim')
    .description('Env-steps/s of the vec env under random actions, and the same number of bare world.step() calls on the same worlds; with --engine mujoco, one env group on MuJoCo in one thread (env-steps/s per core).')
    .option('--env <name>', 'task name or task module path', 'cartpole')
    .option('--robot <file.json>', ROBOT_OPTION_HELP)
    .option('--envs <n>', `number of envs (at most ${MAX_ENVS})`, positiveInt('--envs', MAX_ENVS), 256)
    .option('--workers <n>', `worker threads (at most ${MAX_WORKERS})`, positiveInt('--workers', MAX_WORKERS), 1)
    .option('--steps <n>', `control steps to time (at most ${MAX_BENCH_STEPS})`, positiveInt('--steps', MAX_BENCH_STEPS), 300)
    .option('--seed <n>', 'seed', nonNegativeInt('--seed'), 0)
    .option('--config <file>', 'JSON config; only its "dr" section applies here')
    .option('--set <key=value>', 'override, e.g. --set dr.friction=0.4,1.2 (repeatable)', collectSet)
    .option('--no-randomize', 'turn domain randomization off')
    .option('--engine <name>', `${ENGINE_OPTION_HELP}; mujoco runs one thread (--workers 1)`, parseEngine, 'rapier')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', '\nExamples:\n  sim2real bench sim\n  sim2real bench sim --env quadruped --envs 128 --workers 2 --json\n  sim2real bench sim --env quadruped --robot robots/anymal_c.json --envs 64\n  sim2real bench sim --env quadruped --robot robots/a1.json --envs 64 --engine mujoco --json\n  sim2real bench sim --set dr.friction=0.4,1.2 --set dr.latency_steps=0,2')
    .action(async (o: SimOpts) => {
      // only the "dr" section applies: the --config file's ranges, then --set's over them
      const layers = configLayers(o.config, o.set, { dr: DR_SHAPE });
      for (const layer of layers) checkKeys(layer, ['dr'], 'bench sim');
      const dr = Object.assign({}, ...layers.map(drSection)) as Record<string, unknown>;
      if (o.engine !== 'rapier' && o.workers !== 1) throw new UsageError(`--workers ${o.workers}: --engine ${o.engine} runs in one thread (--workers 1)`);
      const engine = o.engine === 'rapier' ? undefined : await loadEngine(o.engine);
      const tty = process.stderr.isTTY && !o.json;
      let shown = -1;
      const r = await asUsageAsync(() => benchSim({
        env: o.env, ...(o.robot !== undefined ? { robot: o.robot } : {}), ...(engine ? { engine } : {}), envs: o.envs, workers: o.workers, steps: o.steps, seed: o.seed, randomize: o.randomize, dr,
        onProgress: (f) => {
          const pct = Math.floor(f * 100);
          if (tty) process.stderr.write(`\rbench sim ${o.env}: ${pct}%`);
          else if (pct >= shown + 25) { shown = pct; say(`bench sim ${o.env}: ${pct}%`); }
        },
      }));
      if (tty) process.stderr.write('\n');
      const out = o.json ? say : console.log;
      out(table(['env', 'engine', 'envs', 'workers', 'env-steps/s', 'per worker', 'bare steps/s', 'overhead'], [[
        r.env, r.engine, r.envs, r.workers, Math.round(r.env_steps_per_s), Math.round(r.env_steps_per_s_per_worker),
        Math.round(r.raw_steps_per_s), `${(100 * r.overhead).toFixed(1)}%`,
      ]]));
      if (o.json) printJson(r);
    }));
  return bench;
}
