/**
 * `--backend auto|cpu|webgpu`: which tensor backend the trainer runs on, and why. `auto` takes
 * WebGPU on a real GPU adapter; a software adapter (lavapipe, SwiftShader) is a CPU running the
 * kernels through a Vulkan emulation, slower than the CPU backend, so `auto` leaves it to an
 * explicit `--backend webgpu`. The WebGPU module (Dawn's native addon) loads only when asked for.
 * The CPU backend runs its matrix products on every core the process may use, on onnxruntime's
 * native kernels where they load (`SIM2REAL_CPU_KERNELS=ts` picks the TypeScript reference).
 */
import os from 'node:os';
import { CpuBackend } from '../backend/cpu.ts';
import { describeCpuKernels } from '../backend/cpu_kernels_choice.ts';
import { MAX_THREADS } from '../backend/cpu_pool.ts';
import type { Backend } from '../backend/backend.ts';
import { describeAdapter } from '../backend/adapter_search.ts';
import type { NotOpened, WebGpuBackend } from '../backend/webgpu.ts';
import { UsageError, say } from './common.ts';

/** The values `--backend` accepts. */
const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;

/** The backend for `choice`; prints one line saying which and why. Release it with its `destroy()`. */
export async function chooseBackend(choice: string): Promise<Backend> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) throw new UsageError(`--backend: expected one of ${BACKEND_CHOICES.join(', ')}, got "${choice}"`);
  if (choice === 'cpu') {
    say(`backend: cpu, ${threadsText()}`);
    return openCpu();
  }
  let gpu: WebGpuBackend | NotOpened;
  try {
    gpu = await openWebGpu(choice === 'auto');
  } catch (e) {
    const why = `WebGPU failed to start: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    if (choice === 'webgpu') throw new UsageError(`--backend webgpu: ${why}`);
    say(`backend: cpu (${why}), ${threadsText()}`);
    return openCpu();
  }
  if ('noAdapter' in gpu) {
    if (choice === 'webgpu') throw new UsageError(`--backend webgpu: no GPU driver (${gpu.noAdapter}); ${INSTALL_HINT[process.platform] ?? ''}or use --backend cpu`);
    say(`backend: cpu (no GPU driver: ${gpu.noAdapter}), ${threadsText()}`);
    return openCpu();
  }
  if ('softwareAdapter' in gpu) {
    say(`backend: cpu (the only WebGPU adapter is ${describeAdapter(gpu.softwareAdapter)}, a CPU emulating a GPU and slower than the CPU backend; --backend webgpu uses it anyway), ${threadsText()}`);
    return openCpu();
  }
  say(`backend: webgpu (${gpu.adapterDescription}${gpu.adapter.software ? '; a software adapter: the CPU backend is usually faster' : ''})`);
  return gpu;
}

/** What to install for `--backend webgpu` where there is no adapter. */
const INSTALL_HINT: Partial<Record<NodeJS.Platform, string>> = {
  linux: "install the GPU's Vulkan driver (or the CPU one, lavapipe: scripts/install-system-deps.sh vulkan), ",
};

/** Threads the CPU backend uses: one per core the process may use (at most the pool's limit). */
export function cpuThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, os.availableParallelism()));
}

function openCpu(): CpuBackend {
  return new CpuBackend({ threads: cpuThreads() });
}

/** "2 threads, native kernels: onnxruntime-node 1.30.0 (MLAS)" (or the TypeScript kernels and why). */
function threadsText(): string {
  const n = cpuThreads();
  return `${n} thread${n === 1 ? '' : 's'}, ${describeCpuKernels()}`;
}

/** The WebGPU backend, hardware adapters only for `auto`; Dawn's native module loads only here. */
async function openWebGpu(hardwareOnly: boolean): Promise<WebGpuBackend | NotOpened> {
  const { WebGpuBackend } = await import('../backend/webgpu.ts');
  return WebGpuBackend.open({ hardwareOnly });
}
