/**
 * `npm run bench:train -- --env E [--envs N] [--workers W] [--iterations K] [--backend cpu|webgpu]
 * [--steps T] [--threads 1,N] [--kernels native,ts] [--network legged_gym]`: trains env E for K
 * iterations (after one warm-up iteration) and reports env-steps/s with training and each stage's share of the
 * iteration — env stepping (physics and task logic in the workers), the policy during the
 * rollout (inference, sampling, storage, GAE), and the PPO update — from the runner's own
 * per-iteration timings. A task with a training recipe (the quadruped: 512 envs × 24 steps,
 * 128-64-32 elu, 5 epochs × 4 minibatches) is timed with it; `--envs` rescales the envs and
 * keeps the minibatch count; `--network legged_gym` swaps in legged_gym's 512-256-128 networks.
 * The CPU backend trains once on 1 thread and once on every core (`--threads`), on its default
 * kernels (native where onnxruntime loads) or on each of `--kernels`.
 */
import os from 'node:os';
import { getTask } from '../envs/index.ts';
import { resolveTrainConfig } from '../src/rl/config.ts';
import type { IterationMetrics } from '../src/rl/runner.ts';
import { trainingEnvs } from '../src/cli/train.ts';
import { table } from '../src/cli/common.ts';
import { openCpu, openWebGpu, type OpenBackend } from './backends.ts';
import { trainInTempDir } from './bench_run.ts';
import type { CpuKernelsChoice } from '../src/backend/cpu_kernels_choice.ts';
import { arg, threadCounts } from './args.ts';

const env = arg('--env') as string;
const task = getTask(env);
const workers = Number(arg('--workers') ?? Math.max(1, os.availableParallelism()));
const iterations = Number(arg('--iterations') ?? 3);
const recipe = resolveTrainConfig(task, env, []).ppo;
const numEnvs = Number(arg('--envs') ?? (task.training ? recipe.num_envs : 64 * workers));
const numSteps = Number(arg('--steps') ?? (task.training ? recipe.num_steps : 64));
// the recipe's minibatch count (4 for tasks without one), whatever --envs and --steps make the batch
const minibatches = task.training ? Math.round((recipe.num_envs * recipe.num_steps) / recipe.minibatch_size) : 4;
const ppo: Record<string, unknown> = { num_envs: numEnvs, num_steps: numSteps, minibatch_size: Math.floor((numEnvs * numSteps) / minibatches) };
if (arg('--network') === 'legged_gym') Object.assign(ppo, { actor_hidden: [512, 256, 128], critic_hidden: [512, 256, 128], activation: 'elu' });
else if (arg('--network') !== undefined) throw new Error(`--network: only "legged_gym" (512-256-128 elu) is known, got "${arg('--network')}"`);
const network = (h: number[]) => `${h.join('-')}`;
const resolved = resolveTrainConfig(task, env, [{ ppo }]).ppo;

interface Result {
  backend: string; adapter: string; iterations: number; env_steps_per_s: number; collection_env_steps_per_s: number;
  share: Record<'env' | 'policy' | 'update' | 'other', number>; seconds_per_iteration: number; update_s_per_iteration: number;
}

/** Trains once on an opened backend and reads the runner's per-iteration timings. */
async function trainOnce({ backend, adapter }: OpenBackend): Promise<Result> {
  const config = resolveTrainConfig(task, env, [{
    seed: 1, num_workers: workers, checkpoint_every: 1_000_000, total_env_steps: (iterations + 1) * numEnvs * numSteps, ppo,
  }]);
  const rows: IterationMetrics[] = [];
  await trainInTempDir('s2r-bench-train-', config, backend, trainingEnvs, (m) => rows.push(m));
  const timed = rows.slice(1);
  const sum = (k: 'time_env_s' | 'time_policy_s' | 'time_update_s') => timed.reduce((a, m) => a + m[k], 0);
  const wall = timed.reduce((a, m) => a + (numEnvs * numSteps) / m.steps_per_s, 0);
  const stages = { env: sum('time_env_s'), policy: sum('time_policy_s'), update: sum('time_update_s') };
  const other = wall - stages.env - stages.policy - stages.update;
  const steps = timed.length * numEnvs * numSteps;
  return {
    backend: backend.name, adapter, iterations: timed.length, env_steps_per_s: steps / wall,
    collection_env_steps_per_s: steps / (stages.env + stages.policy),
    share: { env: stages.env / wall, policy: stages.policy / wall, update: stages.update / wall, other: other / wall },
    seconds_per_iteration: wall / timed.length, update_s_per_iteration: stages.update / timed.length,
  };
}

const results: Result[] = [];
if (arg('--backend') === 'webgpu') {
  const opened = await openWebGpu();
  if (!opened) throw new Error('--backend webgpu: no WebGPU adapter (scripts/install-system-deps.sh installs a Vulkan driver)');
  results.push(await trainOnce(opened));
} else {
  // the CPU backend's own choice of kernels (native where onnxruntime loads) unless --kernels lists them
  for (const k of arg('--kernels')?.split(',') ?? [undefined]) for (const n of threadCounts()) results.push(await trainOnce(openCpu(n, k as CpuKernelsChoice | undefined)));
}
console.log(table(['env', 'envs × steps', 'network', 'workers', 'backend', 'env-steps/s (training)', 's / iteration', 'update s / iteration', 'env', 'policy (rollout)', 'update', 'other'], results.map((r) => [
  env, `${numEnvs} × ${numSteps}`, `${network(resolved.actor_hidden)} ${resolved.activation}, ${resolved.num_epochs} epochs × ${minibatches}`, workers, `${r.backend} (${r.adapter})`, Math.round(r.env_steps_per_s), r.seconds_per_iteration.toFixed(2), r.update_s_per_iteration.toFixed(2),
  ...(['env', 'policy', 'update', 'other'] as const).map((k) => `${(100 * r.share[k]).toFixed(1)}%`),
])));
console.log(JSON.stringify({
  bench: 'train_env', env, node: process.version, cores: os.availableParallelism(), load_avg_1m: os.loadavg()[0], workers, envs: numEnvs,
  steps_per_iteration: numSteps, actor_hidden: resolved.actor_hidden, activation: resolved.activation, epochs: resolved.num_epochs, minibatches, results,
}));
process.exit(0);
