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
import { trainingEnvs } from '../src/cli/train.ts';
import { evaluatePolicy } from '../src/sim/evaluate.ts';
import { CpuBackend } from '../src/backend/cpu.ts';
import type { DomainRandomization } from '../src/task/randomize.ts';
import type { BatchPolicy } from '../src/sim/episodes.ts';
import { table } from '../src/cli/common.ts';
import { arg } from './args.ts';

/**
 * The return each task's training curve must reach, and what the number means.
 * pendulum: an energy-pumping swing-up with a PD hold (bench-side reference controller) brings the
 * rod from hanging to upright in at most ~3.6 s and then holds it: it scores −890 from the worst
 * start (hanging at rest) and −340 mean over the task's uniform resets (−380 under the default
 * randomization); any episode that is not swung up and held costs −2000 to −4900 (hanging: π² per
 * step). The bar, −500 mean, is the reference's −340 plus slack for slower swing-ups: one
 * episode of 20 that is not swung up pulls the mean down by ≥ 80. Success (below) checks that
 * every episode ends upright.
 */
const BARS: Record<string, { bar: number; note: string }> = {
  cartpole: { bar: 475, note: 'of 500' },
  pendulum: { bar: -500, note: 'upper bound 0; swing-up + hold reference -340' },
  reacher: { bar: -2.5, note: 'upper bound 0; -2.5 = fingertip 5 cm from the target on average over the 1 s episode' },
};
/**
 * Per-episode success, judged on a reward term of the episode's last step: `value` maps the
 * term to a physical quantity that must end below `below`.
 * reacher: the `distance` term is −|fingertip − target| (m); the bar is < 2 cm on ≥ 95% of episodes.
 * pendulum: the `angle` term is −θ²; success = |θ| < 0.2 rad at the end of the 10 s episode (held
 * upright; trained policies hold with a small offset, ~0.08 rad, where gravity's torque is cheap).
 */
const SUCCESS: Record<string, { term: string; value: (t: number) => number; below: number; label: string; need: number }> = {
  reacher: { term: 'distance', value: (t) => -t, below: 0.02, label: 'final dist < 2 cm', need: 0.95 },
  pendulum: { term: 'angle', value: (t) => Math.sqrt(Math.max(0, -t)), below: 0.2, label: 'final |θ| < 0.2 rad', need: 0.95 },
};
const SUCCESS_EPISODES = 100;

/** Runs one episode in each of `episodes` envs; returns the success term of each episode's last step. */
async function finalTerms(env: string, policy: BatchPolicy, episodes: number, seed: number, dr: DomainRandomization, term: string): Promise<number[]> {
  const task = getTask(env);
  const k = task.rewardTerms.indexOf(term);
  if (k < 0) throw new Error(`${env}: no reward term "${term}"`);
  const nt = task.rewardTerms.length;
  const out = new Array<number>(episodes).fill(NaN);
  await evaluatePolicy({
    task, policy, episodes, seed, dr,
    hooks: { onEpisodeEnd: (g, i) => { out[i] = g.buffers.rewardTerms[i * nt + k] as number; } },
  });
  return out;
}
const envs = arg('--env') ? [arg('--env') as string] : Object.keys(BARS);
const seeds = Number(arg('--seeds') ?? 3);

interface SeedResult { env: string; seed: number; steps_to_bar: number | null; wall_s: number; final_return: number; env_steps: number; success: number | null }
const results: SeedResult[] = [];
for (const env of envs) {
  const bar = BARS[env];
  if (!bar) throw new Error(`no learning bar for env "${env}" (known: ${Object.keys(BARS).join(', ')})`);
  for (let seed = 1; seed <= seeds; seed++) {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-learn-'));
    const config = resolveTrainConfig(getTask(env), env, [{ seed, checkpoint_every: 1_000_000 }]);
    let stepsToBar: number | null = null;
    const t0 = performance.now();
    const backend = new CpuBackend();
    const runner = await OnPolicyRunner.create({
      config, backend, outDir: dir, createSource: trainingEnvs,
      onIteration: (m) => {
        if (stepsToBar === null && m.mean_return !== null && m.mean_return >= bar.bar) stepsToBar = m.env_steps;
      },
    });
    await runner.run();
    const wall = (performance.now() - t0) / 1000;
    const evalResult = await evaluatePolicy({ task: getTask(env), episodes: 20, seed: 1000 + seed, dr: config.dr, policy: (o) => runner.ppo.actDeterministic(o) });
    const succ = SUCCESS[env];
    let success: number | null = null;
    if (succ) {
      const terms = await finalTerms(env, (o) => runner.ppo.actDeterministic(o), SUCCESS_EPISODES, 2000 + seed, config.dr, succ.term);
      success = terms.filter((t) => succ.value(t) < succ.below).length / terms.length;
    }
    await runner.close();
    backend.destroy();
    rmSync(dir, { recursive: true, force: true });
    results.push({ env, seed, steps_to_bar: stepsToBar, wall_s: wall, final_return: evalResult.mean_return, env_steps: config.ppo.total_iterations * config.ppo.num_envs * config.ppo.num_steps, success });
    process.stderr.write(`${env} seed ${seed}: return ${evalResult.mean_return.toFixed(1)} in ${wall.toFixed(1)} s, bar ${bar.bar} at ${stepsToBar ?? 'never'}${success === null ? '' : `, ${SUCCESS[env]!.label}: ${(100 * success).toFixed(0)}%`}\n`);
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
    success: SUCCESS[env] ? { label: SUCCESS[env]!.label, need: SUCCESS[env]!.need, episodes_per_seed: SUCCESS_EPISODES, per_seed: rs.map((r) => r.success as number) } : null,
  };
});
console.log(table(['env', 'bar', 'seeds at bar', 'steps to bar (mean)', 'train steps', 'wall s (mean)', 'final return mean', 'min', 'success per seed'], summary.map((s) => [
  s.env, `${s.bar} (${s.note})`, `${s.reached_bar}/${s.seeds}`, s.mean_steps_to_bar === null ? '-' : Math.round(s.mean_steps_to_bar), s.env_steps,
  s.mean_wall_s.toFixed(1), s.mean_final_return.toFixed(1), s.min_final_return.toFixed(1),
  s.success ? `${s.success.label}: ${s.success.per_seed.map((x) => `${(100 * x).toFixed(0)}%`).join(' ')} (need ≥ ${100 * s.success.need}%)` : '-',
])));
console.log(JSON.stringify({ bench: 'learn', node: process.version, summary, runs: results }));
process.exit(0);
