/**
 * `npm run bench:train [-- --shape legged_gym|quadruped|cartpole] [-- --backend cpu|webgpu]
 * [-- --threads 1,N] [-- --full] [-- --repeats N]`: time per PPO update on each backend for
 * legged_gym's shape (obs 48, actor and critic 512-256-128 elu, act 12, 4096 envs × 24 steps,
 * 5 epochs × 4 minibatches), our quadruped recipe (the same with 128-64-32 networks and 512
 * envs: envs/quadruped/quadruped.ts) and cartpole's small one, the GFLOP/s achieved, and the floor:
 * counted FLOPs over the matmul peak the same backend reaches (measured here). The CPU backend
 * runs on 1 thread and on every core (`--threads` lists other counts); "cores busy" is the
 * process's CPU time over wall time while timing, which shows when other load caps it. When
 * PyTorch is importable by `python3`, the same update in PyTorch eager
 * (bench/torch_ppo_update.py) runs in the same invocation for comparison.
 *
 * `-- --env E` instead trains env E and reports env-steps/s with training and each stage's share
 * of the iteration (bench/train_env.ts).
 *
 * On CPU backends (our cpu.ts, or WebGPU on a CPU Vulkan driver) the legged_gym update is ~1 TFLOP
 * of matmul: it runs one epoch and scales to five (marked "extrapolated") unless `--full`.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from '../src/cli/common.ts';
import { getTask } from '../envs/index.ts';
import { resolveTrainConfig } from '../src/rl/config.ts';
import { minibatchesPerEpoch } from '../src/rl/ppo_config.ts';
import { CARTPOLE_SHAPE, LEGGED_SHAPE, matmulPeak, timeUpdate, updateFlops, type UpdateShape, type UpdateTiming } from './ppo_update.ts';
import { openCpu, openWebGpu, type OpenBackend } from './backends.ts';
import { arg, args, threadCounts } from './args.ts';

/** Our quadruped recipe, read from the task (envs/quadruped/quadruped.ts): legged_gym's update with 128-64-32 networks, 512 envs. */
const recipe = resolveTrainConfig(getTask('quadruped'), 'quadruped', []).ppo;
const QUADRUPED_SHAPE: UpdateShape = {
  ...LEGGED_SHAPE, name: 'quadruped', hidden: recipe.actor_hidden, activation: recipe.activation, numEnvs: recipe.num_envs, numSteps: recipe.num_steps,
  epochs: recipe.num_epochs, minibatches: minibatchesPerEpoch(recipe),
};

if (arg('--env')) {
  await import('./train_env.ts');
} else {
  await benchUpdates();
}

interface Row extends UpdateTiming {
  adapter: string;
  peak_gflops: number;
  floor_s: number;
  /** Process CPU time over wall time while timing (the warm-up and rollouts included). */
  cores_busy: number;
}

async function benchUpdates(): Promise<void> {
  const shapes = [LEGGED_SHAPE, QUADRUPED_SHAPE, CARTPOLE_SHAPE].filter((s) => !arg('--shape') || s.name === arg('--shape'));
  if (shapes.length === 0) throw new Error(`--shape: expected legged_gym, quadruped or cartpole, got "${arg('--shape')}"`);
  const wanted = (arg('--backend') ?? 'cpu,webgpu').split(',');
  const full = args.includes('--full');
  const repeats = Number(arg('--repeats') ?? 3);
  const rows: Row[] = [];
  const notes: string[] = [];
  const backends: OpenBackend[] = [];
  if (wanted.includes('cpu')) for (const n of threadCounts()) backends.push(openCpu(n));
  if (wanted.includes('webgpu')) {
    const gpu = await openWebGpu();
    if (gpu) backends.push(gpu);
    else notes.push('webgpu: no adapter (scripts/install-system-deps.sh installs a Vulkan driver)');
  }
  for (const { backend, adapter, cpuLike } of backends) {
    // the peak: a matmul big enough to fill the device, small enough for a CPU to finish
    const n = cpuLike ? 512 : 4096;
    const peak = await matmulPeak(backend, n, 3, cpuLike ? 2 : 20);
    process.stderr.write(`${backend.name} (${adapter}): matmul ${n}³ ${peak.toFixed(1)} GFLOP/s\n`);
    for (const s of shapes) {
      const heavy = updateFlops(s) > 50e9;
      const epochsRun = cpuLike && heavy && !full ? 1 : s.epochs;
      const cpu0 = process.cpuUsage(), t0 = performance.now();
      const t = await timeUpdate(backend, s, { repeats: cpuLike && heavy ? 1 : repeats, epochsRun });
      const cpu = process.cpuUsage(cpu0), busy = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
      const floor = (t.gflop / peak);
      rows.push({ ...t, adapter, peak_gflops: peak, floor_s: floor, cores_busy: busy });
      process.stderr.write(`${s.name} on ${backend.name}: ${(t.update_s * 1000).toFixed(1)} ms per update${t.extrapolated ? ' (extrapolated)' : ''}\n`);
    }
  }
  for (const b of backends) b.backend.destroy();
  const torch = shapes.map((s) => runTorch(s)).filter((x) => x !== null);
  if (torch.length === 0) notes.push('PyTorch: not importable by python3 here; bench/torch_ppo_update.py runs where it is');
  console.log(table(['shape', 'backend', 'adapter', 'samples × epochs', 'ms / update', 'GFLOP', 'GFLOP/s', 'matmul peak GFLOP/s', 'floor ms', '× floor', 'cores busy'], rows.map((r) => [
    r.shape, r.backend, r.adapter, `${r.samples} × ${r.epochs}`, `${(r.update_s * 1000).toFixed(1)}${r.extrapolated ? ` (${r.epochs_run} epoch ×${r.epochs})` : ''}`,
    r.gflop.toFixed(1), r.gflops_achieved.toFixed(1), r.peak_gflops.toFixed(1), (r.floor_s * 1000).toFixed(1), (r.update_s / r.floor_s).toFixed(2), r.cores_busy.toFixed(2),
  ])));
  for (const t of torch) console.log(`PyTorch eager ${t.torch} on ${t.device}: ${t.shape} ${(t.update_s_best * 1000).toFixed(1)} ms per update (best of ${t.repeats})`);
  for (const n of notes) console.log(`note: ${n}`);
  console.log(JSON.stringify({ bench: 'train', node: process.version, cores: os.availableParallelism(), load_avg_1m: os.loadavg()[0], rows, torch, notes }));
  process.exit(0);
}

interface TorchResult { shape: string; device: string; torch: string; update_s_best: number; update_s_mean: number; repeats: number }

/** Runs bench/torch_ppo_update.py for `s` when python3 has PyTorch; null otherwise. */
function runTorch(s: UpdateShape): TorchResult | null {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_ppo_update.py');
  const repeats = 5;
  const r = spawnSync('python3', [script, '--shape', s.name, '--repeats', String(repeats)], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return null;
  const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Omit<TorchResult, 'repeats'> & { error?: string };
  return j.error ? null : { ...j, repeats };
}
