/** The WebGPU backend for the benchmarks, with its adapter named; null when there is no adapter. */
import type { Backend } from '../src/backend/backend.ts';
import { WebGpuBackend } from '../src/backend/webgpu.ts';

/** An open backend, its adapter's name, whether it is really a CPU, and how to release it. */
export interface OpenBackend {
  backend: Backend;
  adapter: string;
  cpuLike: boolean;
  close: () => void;
}

/** Opens the default WebGPU adapter (lavapipe counts, flagged `cpuLike`). */
export async function openWebGpu(): Promise<OpenBackend | null> {
  const b = await WebGpuBackend.create();
  if (!b) return null;
  return { backend: b, adapter: b.adapterDescription, cpuLike: b.adapter.software, close: () => b.destroy() };
}
