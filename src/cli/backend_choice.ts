/**
 * `--backend auto|cpu|webgpu`: which tensor backend the trainer runs on, and why. `auto` takes
 * WebGPU on a real GPU adapter; a software adapter (lavapipe, SwiftShader) is a CPU running the
 * kernels through a Vulkan emulation, slower than the CPU backend, so `auto` leaves it to an
 * explicit `--backend webgpu`. The WebGPU module (Dawn's native addon) loads only when asked for.
 * The CPU backend runs its matrix products on every core the process may use.
 */
import os from 'node:os';
import { CpuBackend } from '../backend/cpu.ts';
import { MAX_THREADS } from '../backend/cpu_pool.ts';
import type { Backend } from '../backend/backend.ts';
import { UsageError, say } from './common.ts';

/** The values `--backend` accepts. */
const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;

const NO_ADAPTER = 'no WebGPU adapter (no GPU driver with Vulkan, Metal or D3D12; scripts/install-system-deps.sh vulkan installs the CPU driver lavapipe)';

/** The backend for `choice`; prints one line saying which and why. Release it with its `destroy()`. */
export async function chooseBackend(choice: string): Promise<Backend> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) throw new UsageError(`--backend: expected one of ${BACKEND_CHOICES.join(', ')}, got "${choice}"`);
  if (choice === 'cpu') {
    say(`backend: cpu, ${threadsText()}`);
    return openCpu();
  }
  let gpu: Awaited<ReturnType<typeof openWebGpu>>;
  try {
    gpu = await openWebGpu();
  } catch (e) {
    const why = `WebGPU failed to start: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    if (choice === 'webgpu') throw new UsageError(`--backend webgpu: ${why}`);
    say(`backend: cpu (auto: ${why}), ${threadsText()}`);
    return openCpu();
  }
  if (choice === 'webgpu') {
    if (!gpu) throw new UsageError(`--backend webgpu: ${NO_ADAPTER}; use --backend cpu`);
    say(`backend: webgpu (${gpu.adapterDescription}${gpu.adapter.software ? '; a software adapter: the CPU backend is usually faster' : ''})`);
    return gpu;
  }
  if (!gpu) {
    say(`backend: cpu (auto: ${NO_ADAPTER}), ${threadsText()}`);
    return openCpu();
  }
  if (gpu.adapter.software) {
    say(`backend: cpu (auto: the only WebGPU adapter is ${gpu.adapterDescription}, a CPU emulating a GPU and slower than the CPU backend; --backend webgpu uses it anyway), ${threadsText()}`);
    gpu.destroy();
    return openCpu();
  }
  say(`backend: webgpu (${gpu.adapterDescription})`);
  return gpu;
}

/** Threads the CPU backend uses: one per core the process may use (at most the pool's limit). */
export function cpuThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, os.availableParallelism()));
}

function openCpu(): CpuBackend {
  return new CpuBackend({ threads: cpuThreads() });
}

function threadsText(): string {
  const n = cpuThreads();
  return `${n} thread${n === 1 ? '' : 's'}`;
}

async function openWebGpu() {
  const { WebGpuBackend } = await import('../backend/webgpu.ts');
  return WebGpuBackend.create();
}
