/**
 * The WGSL kernels of the WebGPU backend: one kernel per file in `kernels/` at the repository
 * root, each the GPU twin of an op (or part of one) in `cpu.ts`. This registry lists them and
 * reads each file's interface from its source — the `Params` uniform struct (field order and
 * types) and the storage bindings (name, access, element type) — so the TypeScript side fills
 * parameters and binds buffers by name, and a kernel edited without its caller fails loudly.
 */
import { readFileSync } from 'node:fs';

/** Every kernel file (without `.wgsl`), with the op it serves. */
export const KERNELS = {
  fill: 'fill',
  copy: 'copy',
  clamp: 'clamp',
  gemm: 'linearForward, linearBackward (dx, and dw with db fused as a ones row)',
  col_sum: 'linearBackward db when not fused; sums of the PPO loss terms',
  activation_forward: 'activationForward',
  activation_backward: 'activationBackward',
  gaussian_sample: 'gaussianSample',
  gaussian_log_prob: 'gaussianLogProb',
  ppo_loss: 'ppoLoss, per-sample terms and gradients',
  ppo_loss_finalize: 'ppoLoss, minibatch means and the log-std gradient',
  gather_rows: 'gatherRows',
  gae: 'gae',
  reduce: 'standardize, sumSquares, clipGradNorm, countNonFinite (both stages)',
  standardize_apply: 'standardize',
  clip_grad_apply: 'clipGradNorm',
  adam: 'adam',
  moments_update: 'momentsUpdate',
  add_scalar: 'momentsUpdate (the count)',
  normalize: 'normalize',
} as const;

/** Name of a kernel in `kernels/`. */
export type KernelName = keyof typeof KERNELS;

/** One field of a kernel's `Params` uniform (all fields are 4-byte scalars, in order). */
export interface ParamField {
  name: string;
  type: 'u32' | 'f32';
}

/** One storage binding of a kernel. */
export interface StorageBinding {
  binding: number;
  name: string;
  access: 'read' | 'read_write';
  elem: 'f32' | 'u32';
}

/** A kernel's source (prelude included) and the interface parsed from it. */
export interface KernelSource {
  name: KernelName;
  code: string;
  params: readonly ParamField[];
  /** Storage bindings in binding order (binding 0 is always the `Params` uniform). */
  bindings: readonly StorageBinding[];
  /** Names of the kernel's `override` constants. */
  overrides: readonly string[];
}

const KERNEL_DIR = new URL('../../kernels/', import.meta.url);
const cache = new Map<KernelName, KernelSource>();
let prelude: string | null = null;

/** The parsed source of `name` (read from disk once per process). */
export function kernelSource(name: KernelName): KernelSource {
  let k = cache.get(name);
  if (!k) {
    prelude ??= readFileSync(new URL('prelude.wgsl', KERNEL_DIR), 'utf8');
    const body = readFileSync(new URL(`${name}.wgsl`, KERNEL_DIR), 'utf8');
    k = { name, code: `${prelude}\n${body}`, ...parseInterface(name, body) };
    cache.set(name, k);
  }
  return k;
}

/** Reads the `Params` struct, the storage bindings and the overrides from a kernel's WGSL. */
export function parseInterface(name: string, wgsl: string): Pick<KernelSource, 'params' | 'bindings' | 'overrides'> {
  const struct = /struct\s+Params\s*\{([^}]*)\}/.exec(wgsl);
  if (!struct) throw new Error(`kernel ${name}: no "struct Params { … }"`);
  const params: ParamField[] = [];
  for (const m of (struct[1] ?? '').matchAll(/(\w+)\s*:\s*(\w+)/g)) {
    const type = m[2];
    if (type !== 'u32' && type !== 'f32') throw new Error(`kernel ${name}: Params.${m[1]} is ${type}; only u32 and f32 fields are supported`);
    params.push({ name: m[1] ?? '', type });
  }
  if (!/@group\(0\)\s*@binding\(0\)\s*var<uniform>\s*p\s*:\s*Params/.test(wgsl)) throw new Error(`kernel ${name}: binding 0 must be "var<uniform> p: Params"`);
  const bindings: StorageBinding[] = [];
  for (const m of wgsl.matchAll(/@group\(0\)\s*@binding\((\d+)\)\s*var<storage,\s*(read|read_write)>\s*(\w+)\s*:\s*array<(f32|u32)>/g)) {
    bindings.push({ binding: Number(m[1]), access: m[2] as 'read' | 'read_write', name: m[3] ?? '', elem: m[4] as 'f32' | 'u32' });
  }
  bindings.sort((a, b) => a.binding - b.binding);
  bindings.forEach((b, i) => {
    if (b.binding !== i + 1) throw new Error(`kernel ${name}: storage bindings must be numbered 1, 2, … (found ${b.binding} at position ${i + 1})`);
  });
  const overrides = [...wgsl.matchAll(/^\s*override\s+(\w+)/gm)].map((m) => m[1] ?? '');
  return { params, bindings, overrides };
}
