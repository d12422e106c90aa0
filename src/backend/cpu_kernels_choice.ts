/**
 * Which kernels run the CPU backend's linear layers and activations: onnxruntime's native ones
 * (`native_kernels.ts`) or the TypeScript reference loops in `cpu.ts`, from the backend's
 * `kernels` option or the environment variable `SIM2REAL_CPU_KERNELS` (so a whole test run or
 * training run can be switched to the reference without code changes).
 */
import { NativeKernels } from './native_kernels.ts';

/** The values of `CpuBackendConfig.kernels` and `SIM2REAL_CPU_KERNELS`. */
export type CpuKernelsChoice = 'auto' | 'native' | 'ts';
const KERNEL_CHOICES: readonly string[] = ['auto', 'native', 'ts'];

/**
 * The kernels `choice` asks for (else `SIM2REAL_CPU_KERNELS`, else `auto`: native where
 * onnxruntime loads) on `threads` threads, and one line saying which run and, for the
 * TypeScript ones, why. `native` that cannot load is an error naming where it was asked for.
 */
export function openKernels(choice: CpuKernelsChoice | undefined, threads: number): { native: NativeKernels | null; description: string } {
  const env = process.env.SIM2REAL_CPU_KERNELS;
  const wanted = choice ?? (env || 'auto');
  const from = choice ? `kernels: '${wanted}'` : `SIM2REAL_CPU_KERNELS=${wanted}`;
  if (!KERNEL_CHOICES.includes(wanted)) throw new Error(`CpuBackend: ${from}: expected one of ${KERNEL_CHOICES.join(', ')}`);
  if (wanted === 'ts') return { native: null, description: `TypeScript kernels (${from})` };
  try {
    const native = NativeKernels.open(threads);
    return { native, description: `native kernels: ${native.description}` };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    if (wanted === 'native') throw new Error(`CpuBackend: ${from}: ${why}`);
    return { native: null, description: `TypeScript kernels (${why})` };
  }
}

/**
 * The line `openKernels(choice, 1)` would give, for logs printed before a backend exists
 * ("native kernels: onnxruntime-node 1.30.0 (MLAS)", or "TypeScript kernels (why)"); it opens
 * and frees the native kernels to find out, so the answer is the backend's.
 */
export function describeCpuKernels(choice?: CpuKernelsChoice): string {
  const k = openKernels(choice, 1);
  k.native?.dispose();
  return k.description;
}
