/** The backends the benchmarks time, each with what runs it named for the table. */
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu.ts';
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

/** The CPU reference backend on `threads` threads (default 1); the adapter string names the count. */
export function openCpu(threads = 1): OpenBackend {
  const b = new CpuBackend({ threads });
  return { backend: b, adapter: `${process.arch} CPU, ${threads} thread${threads === 1 ? '' : 's'}`, cpuLike: true };
}
