/**
 * `npm run bench:learn [-- --env E] [-- --seeds N]`: learning bars. Trains each task from
 * scratch on several seeds with its default configuration (CPU backend), then evaluates the
 * deterministic policy. Prints a table and one JSON line: env steps until the training return
 * first reached the task's bar, wall time, final deterministic return (mean and min over seeds).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getTask } from '../envs/index.ts';
import { resolveTrainConfig } from '../src/rl/config.ts';
import { OnPolicyRunner } from '../src/rl/runner.ts';
import { evaluatePolicy } from '../src/rl/evaluate.ts';
import { CpuBackend } from '../src/backend/cpu.ts';
import { table } from '../src/cli/common.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
/** The return each task's training curve must reach, and what the number means. */
const BARS: Record<string, { bar: number; note: string }> = {
  cartpole: { bar: 475, note: 'of 500' },
  pendulum: { bar: -200, note: 'upper bound 0 (upright, still, no torque)' },
  reacher: { bar: -4, note: 'upper bound 0 (fingertip on target, no torque)' },
};
const envs = arg('--env') ? [arg('--env') as string] : Object.keys(BARS);
const seeds = Number(arg('--seeds') ?? 3);

interface SeedResult { env: string; seed: number; steps_to_bar: number | null; wall_s: number; final_return: number; env_steps: number }
const results: SeedResult[] = [];
for (const env of envs) {
  const bar = BARS[env];
  if (!bar) throw new Error(`no learning bar for env "${env}" (known: ${Object.keys(BARS).join(', ')})`);
  for (let seed = 1; seed <= seeds; seed++) {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-learn-'));
    const config = resolveTrainConfig(getTask(env), env, [{ seed, checkpoint_every: 1_000_000 }]);
    let stepsToBar: number | null = null;
    const t0 = performance.now();
    const runner = await OnPolicyRunner.create({
      config, backend: new CpuBackend(), outDir: dir,
      onIteration: (m) => {
        if (stepsToBar === null && m.mean_return !== null && m.mean_return >= bar.bar) stepsToBar = m.env_steps;
      },
    });
    await runner.run();
    const wall = (performance.now() - t0) / 1000;
    const evalResult = await evaluatePolicy({ task: env, episodes: 20, seed: 1000 + seed, dr: config.dr, policy: (o) => runner.ppo.actDeterministic(o) });
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
    results.push({ env, seed, steps_to_bar: stepsToBar, wall_s: wall, final_return: evalResult.mean_return, env_steps: config.ppo.total_iterations * config.ppo.num_envs * config.ppo.num_steps });
    process.stderr.write(`${env} seed ${seed}: return ${evalResult.mean_return.toFixed(1)} in ${wall.toFixed(1)} s, bar ${bar.bar} at ${stepsToBar ?? 'never'}\n`);
  }
}
const summary = envs.map((env) => {
  const rs = results.filter((r) => r.env === env);
  const finals = rs.map((r) => r.final_return);
  const reached = rs.filter((r) => r.steps_to_bar !== null).map((r) => r.steps_to_bar as number);
  return {
    env, bar: BARS[env]!.bar, note: BARS[env]!.note, seeds: rs.length, env_steps: rs[0]?.env_steps ?? 0,
    reached_bar: reached.length, mean_steps_to_bar: reached.length ? reached.reduce((a, b) => a + b, 0) / reached.length : null,
    mean_wall_s: rs.reduce((a, r) => a + r.wall_s, 0) / rs.length,
    mean_final_return: finals.reduce((a, b) => a + b, 0) / finals.length, min_final_return: Math.min(...finals),
  };
});
console.log(table(['env', 'bar', 'seeds at bar', 'steps to bar (mean)', 'train steps', 'wall s (mean)', 'final return mean', 'min'], summary.map((s) => [
  s.env, `${s.bar} (${s.note})`, `${s.reached_bar}/${s.seeds}`, s.mean_steps_to_bar === null ? '-' : Math.round(s.mean_steps_to_bar), s.env_steps,
  s.mean_wall_s.toFixed(1), s.mean_final_return.toFixed(1), s.min_final_return.toFixed(1),
])));
console.log(JSON.stringify({ bench: 'learn', node: process.version, summary, runs: results }));
process.exit(0);
