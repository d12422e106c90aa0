/**
 * `npm run bench:train [-- --shape legged_gym|quadruped|cartpole] [-- --backend cpu|webgpu]
 * [-- --kernels native,ts] [-- --threads 1,N] [-- --full] [-- --repeats N]`: time per PPO update
 * for legged_gym's shape (obs 48, actor and critic 512-256-128 elu, act 12, 4096 envs × 24
 * steps, 5 epochs × 4 minibatches), our quadruped recipe (the same with 128-64-32 networks and
 * 512 envs: envs/quadruped/quadruped.ts) and cartpole's small one, the GFLOP/s achieved, and the
 * floor: counted FLOPs over the matmul peak the same backend reaches (measured here). The CPU
 * backend runs with its native kernels (onnxruntime) and its TypeScript ones, each on 1 thread
 * and on every core (`--threads` lists other counts); "cores busy" is the process's CPU time over
 * wall time while timing, which shows when other load caps it. When some `python3` imports
 * torch, the same update in PyTorch eager (bench/torch_ppo_update.py) runs in the same
 * invocation on the same thread counts, its rows naming the BLAS kernel it ran. A second table
 * gives each CPU backend's single-thread matmul rate at every layer shape of the quadruped and
 * legged_gym minibatches, as a share of its 512³ peak.
 *
 * `-- --env E` instead trains env E and reports env-steps/s with training and each stage's share
 * of the iteration (bench/train_env.ts).
 *
 * On CPU backends (our cpu.ts, or WebGPU on a CPU Vulkan driver) the legged_gym update is ~1 TFLOP
 * of matmul: the TypeScript kernels run one epoch and scale to five (marked "extrapolated")
 * unless `--full`.
 */
import os from 'node:os';
import { table } from '../src/cli/common.ts';
import { getTask } from '../envs/index.ts';
import { resolveTrainConfig } from '../src/rl/config.ts';
import { minibatchesPerEpoch } from '../src/rl/ppo_config.ts';
import type { CpuKernelsChoice } from '../src/backend/cpu_kernels_choice.ts';
import { CARTPOLE_SHAPE, LEGGED_SHAPE, layerRates, matmulPeak, timeUpdate, updateFlops, type LayerRate, type UpdateShape, type UpdateTiming } from './ppo_update.ts';
import { openCpu, openWebGpu, type OpenBackend } from './backends.ts';
import { torchAdapter, torchUpdates, type TorchResult } from './torch_update.ts';
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

/** A CPU backend's single-thread matmul rates by layer shape, with the peak they are a share of. */
interface LayerRow extends LayerRate {
  shape: string;
  adapter: string;
  peak_gflops: number;
}

async function benchUpdates(): Promise<void> {
  const shapes = [LEGGED_SHAPE, QUADRUPED_SHAPE, CARTPOLE_SHAPE].filter((s) => !arg('--shape') || s.name === arg('--shape'));
  if (shapes.length === 0) throw new Error(`--shape: expected legged_gym, quadruped or cartpole, got "${arg('--shape')}"`);
  const wanted = (arg('--backend') ?? 'cpu,webgpu').split(',');
  const kernels = (arg('--kernels') ?? 'native,ts').split(',') as CpuKernelsChoice[];
  const full = args.includes('--full');
  const repeats = Number(arg('--repeats') ?? 3);
  const rows: Row[] = [], layers: LayerRow[] = [], notes: string[] = [];
  const backends: OpenBackend[] = [];
  if (wanted.includes('cpu')) for (const k of kernels) for (const n of threadCounts()) backends.push(openCpu(n, k));
  if (wanted.includes('webgpu')) {
    const gpu = await openWebGpu();
    if (gpu) backends.push(gpu);
    else notes.push('webgpu: no adapter (scripts/install-system-deps.sh installs a Vulkan driver)');
  }
  for (const opened of backends) {
    const { backend, adapter, cpuLike } = opened;
    // the peak: a matmul big enough to fill the device, small enough for a CPU to finish
    const n = cpuLike ? 512 : 4096;
    const slow = adapter.includes('TypeScript');
    const perBatch = cpuLike ? (slow ? 2 : 20) : 20;
    let peak = await matmulPeak(backend, n, 3, perBatch);
    process.stderr.write(`${backend.name} (${adapter}): matmul ${n}³ ${peak.toFixed(1)} GFLOP/s\n`);
    for (const s of shapes) {
      const heavy = updateFlops(s) > 50e9 && (slow || !cpuLike);
      const epochsRun = heavy && !full ? 1 : s.epochs;
      const cpu0 = process.cpuUsage(), t0 = performance.now();
      const t = await timeUpdate(backend, s, { repeats: heavy ? 1 : repeats, epochsRun });
      const cpu = process.cpuUsage(cpu0), busy = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
      rows.push({ ...t, backend: backendLabel(opened), adapter, peak_gflops: peak, floor_s: t.gflop / peak, cores_busy: busy });
      process.stderr.write(`${s.name} on ${backend.name} (${adapter}): ${(t.update_s * 1000).toFixed(1)} ms per update${t.extrapolated ? ' (extrapolated)' : ''}\n`);
    }
    // the peak again, the best of both: on a shared machine one measurement may catch a busy moment
    peak = Math.max(peak, await matmulPeak(backend, n, 3, perBatch));
    for (const r of rows) if (r.adapter === adapter) Object.assign(r, { peak_gflops: peak, floor_s: r.gflop / peak });
    if (cpuLike && adapter.includes(', 1 thread,')) {
      for (const s of shapes.filter((x) => x !== CARTPOLE_SHAPE)) for (const r of await layerRates(backend, s, slow ? 1 : 5)) layers.push({ ...r, shape: s.name, adapter, peak_gflops: peak });
    }
  }
  for (const b of backends) b.backend.destroy();
  const torch: TorchResult[] = [];
  if (wanted.includes('cpu')) for (const s of shapes) for (const n of threadCounts()) torch.push(...torchUpdates(s.name, n));
  if (torch.length === 0) notes.push('PyTorch: no python3 here imports torch (Debian: apt-get install python3-torch libopenblas0-pthread); bench/torch_ppo_update.py runs where one does');
  for (const t of torch) {
    const s = shapes.find((x) => x.name === t.shape)!, flops = updateFlops(s);
    rows.push({ shape: t.shape, backend: `pytorch ${t.torch} eager`, adapter: torchAdapter(t), samples: s.minibatches * Math.floor((s.numEnvs * s.numSteps) / s.minibatches),
      epochs: s.epochs, minibatches: s.minibatches, epochs_run: s.epochs, extrapolated: false, update_s: t.update_s_best, gflop: flops / 1e9, gflops_achieved: flops / t.update_s_best / 1e9,
      peak_gflops: NaN, floor_s: NaN, cores_busy: NaN });
  }
  printTables(rows, layers, notes);
  console.log(JSON.stringify({ bench: 'train', node: process.version, cores: os.availableParallelism(), load_avg_1m: os.loadavg()[0], rows, layers, torch, notes }));
  process.exit(0);
}

/** "cpu native", "cpu ts" or the backend's name. */
function backendLabel(b: OpenBackend): string {
  if (b.backend.name !== 'cpu') return b.backend.name;
  return b.adapter.includes('TypeScript') ? 'cpu ts' : 'cpu native';
}

function printTables(rows: Row[], layers: LayerRow[], notes: string[]): void {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const order = (r: Row) => `${r.shape} ${/(\d+) thread/.exec(r.adapter)?.[1]?.padStart(3, '0')} ${r.backend}`;
  console.log(table(['shape', 'backend', 'adapter', 'samples × epochs', 'ms / update', 'GFLOP', 'GFLOP/s', 'matmul peak GFLOP/s', 'floor ms', '× floor', 'cores busy'], [...rows].sort((a, b) => order(a).localeCompare(order(b))).map((r) => [
    r.shape, r.backend, r.adapter, `${r.samples} × ${r.epochs}`, `${(r.update_s * 1000).toFixed(1)}${r.extrapolated ? ` (${r.epochs_run} epoch ×${r.epochs})` : ''}`,
    r.gflop.toFixed(1), r.gflops_achieved.toFixed(1), f(r.peak_gflops), f(r.floor_s * 1000), f(r.update_s / r.floor_s, 2), f(r.cores_busy, 2),
  ])));
  if (layers.length > 0) {
    console.log('\nmatmul rate by layer (one minibatch, 1 thread), as a share of the same backend\'s 512³ peak:');
    console.log(table(['shape', 'adapter', 'layer', 'forward GFLOP/s', 'backward GFLOP/s', 'forward % of peak', 'backward % of peak'], layers.map((l) => [
      l.shape, l.adapter, l.layer, l.forward_gflops.toFixed(1), l.backward_gflops.toFixed(1), `${((100 * l.forward_gflops) / l.peak_gflops).toFixed(0)}%`, `${((100 * l.backward_gflops) / l.peak_gflops).toFixed(0)}%`,
    ])));
  }
  for (const n of notes) console.log(`note: ${n}`);
}
