/**
 * `npm run bench:sim [-- --env E] [-- --workers W]`: simulation throughput suite. For each env,
 * 1 worker and W workers (default: all cores, at least 2) with the same envs per worker, so the
 * scaling shows; plus bare world.step() for the env-logic overhead. Prints a table and one JSON line.
 * Targets (foundation issue): cartpole at 256 envs per worker ≥ 50k env-steps/s per core on a
 * 2-core machine; env logic ≤ 25% over bare stepping; 1 → 2 workers ≥ 1.7×.
 */
import os from 'node:os';
import { benchSim, type BenchSimResult } from '../src/sim/bench_sim.ts';
import { table } from '../src/cli/common.ts';
import { arg } from './args.ts';

const cores = os.availableParallelism();
const maxWorkers = Number(arg('--workers') ?? Math.max(2, cores));
const suites: { env: string; perWorker: number; steps: number }[] = [
  { env: 'cartpole', perWorker: 256, steps: 500 },
  { env: 'pendulum', perWorker: 256, steps: 300 },
  { env: 'reacher', perWorker: 256, steps: 300 },
  { env: 'quadruped', perWorker: 64, steps: 150 },
].filter((s) => !arg('--env') || s.env === arg('--env'));

const results: BenchSimResult[] = [];
for (const s of suites) {
  for (const workers of [...new Set([1, maxWorkers])]) {
    const r = await benchSim({ env: s.env, envs: s.perWorker * workers, workers, steps: s.steps, seed: 1 });
    results.push(r);
    process.stderr.write(`${s.env} ×${workers} workers: ${Math.round(r.env_steps_per_s)} env-steps/s\n`);
  }
}
const scaling = (env: string) => {
  const one = results.find((r) => r.env === env && r.workers === 1);
  const many = results.find((r) => r.env === env && r.workers === maxWorkers && maxWorkers > 1);
  return one && many ? many.env_steps_per_s / one.env_steps_per_s : null;
};
console.log(table(['env', 'envs', 'workers', 'env-steps/s', 'per worker', 'bare/s', 'overhead', 'scaling'], results.map((r) => [
  r.env, r.envs, r.workers, Math.round(r.env_steps_per_s), Math.round(r.env_steps_per_s_per_worker), Math.round(r.raw_steps_per_s),
  `${(100 * r.overhead).toFixed(1)}%`, r.workers > 1 ? `${scaling(r.env)?.toFixed(2)}×` : '',
])));
console.log(JSON.stringify({ bench: 'sim', cores, node: process.version, results, scaling: Object.fromEntries(suites.map((s) => [s.env, scaling(s.env)])) }));
process.exit(0);
