/** The backends the benchmarks time, each with what runs it named for the table. */
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu.ts';
import type { CpuKernelsChoice } from '../src/backend/cpu_kernels_choice.ts';
import { WebGpuBackend } from '../src/backend/webgpu.ts';

/** An open backend (released with its `destroy()`), its adapter's name, and whether it is really a CPU. */
export interface OpenBackend {
  backend: Backend;
  adapter: string;
  cpuLike: boolean;
}

/** Opens the default WebGPU adapter (lavapipe counts, flagged `cpuLike`). */
export async function openWebGpu(): Promise<OpenBackend | null> {
  const b = await WebGpuBackend.create();
  if (!b) return null;
  return { backend: b, adapter: b.adapterDescription, cpuLike: b.adapter.software };
}

/**
 * The CPU backend on `threads` threads (default 1) with the kernels asked for (default: its own
 * choice, native where onnxruntime loads); the adapter string names the count and the kernels.
 */
export function openCpu(threads = 1, kernels?: CpuKernelsChoice): OpenBackend {
  const b = new CpuBackend({ threads, ...(kernels ? { kernels } : {}) });
  const what = b.kernels === 'native' ? b.kernelsDescription.replace(/^native kernels: /, 'native: ') : 'TypeScript';
  return { backend: b, adapter: `${process.arch} CPU, ${threads} thread${threads === 1 ? '' : 's'}, ${what}`, cpuLike: true };
}
