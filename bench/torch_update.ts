/**
 * PyTorch eager's time for the same PPO update (`bench/torch_ppo_update.py`), for `npm run
 * bench:train`: found on whichever `python3` can import torch (the one on PATH, else Debian's
 * `/usr/bin/python3`, where `apt-get install python3-torch libopenblas0-pthread` puts a CPU
 * PyTorch), run on the same thread count as our backend. On the CPU, OpenBLAS picks its kernels
 * at load time unless `OPENBLAS_CORETYPE` overrides it; when the environment sets it, the update
 * is also timed with the override removed, so the table shows both (each row names its kernel).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One PyTorch measurement. */
export interface TorchResult {
  shape: string;
  device: string;
  torch: string;
  threads: number;
  /** The BLAS library and kernel, e.g. "OpenBLAS 0.3.21 … kernel Haswell" (null on a GPU). */
  blas: string | null;
  /** Whether OPENBLAS_CORETYPE was removed from the environment for this run. */
  coretype_unset: boolean;
  update_s_best: number;
  update_s_mean: number;
  repeats: number;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_ppo_update.py');
const PYTHONS = ['python3', '/usr/bin/python3'];

/** The first python that imports torch, or null (checked once). */
let found: string | null | undefined;
export function torchPython(): string | null {
  if (found !== undefined) return found;
  found = PYTHONS.find((p) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) ?? null;
  return found;
}

/** PyTorch's update of `shape` on `threads` CPU threads (twice when OPENBLAS_CORETYPE is set: as set, then unset); [] without PyTorch. */
export function torchUpdates(shape: string, threads: number, repeats = 5): TorchResult[] {
  const python = torchPython();
  if (!python) return [];
  const envs: [boolean, NodeJS.ProcessEnv][] = [[false, process.env]];
  if (process.env.OPENBLAS_CORETYPE) {
    const { OPENBLAS_CORETYPE: _c, OPENBLAS_L2_SIZE: _l, ...rest } = process.env;
    envs.push([true, rest]);
  }
  const out: TorchResult[] = [];
  for (const [unset, env] of envs) {
    const r = spawnSync(python, [SCRIPT, '--shape', shape, '--repeats', String(repeats), '--device', 'cpu', '--threads', String(threads)], { encoding: 'utf8', env });
    if (r.status !== 0 || !r.stdout) continue;
    const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Omit<TorchResult, 'repeats' | 'coretype_unset'> & { error?: string };
    if (!j.error) out.push({ ...j, coretype_unset: unset, repeats });
  }
  return out;
}

/** The adapter column for a PyTorch row: threads and BLAS kernel. */
export function torchAdapter(t: TorchResult): string {
  const kernel = t.blas?.match(/kernel (\S+)/)?.[1];
  const blas = t.blas ? (kernel ? `OpenBLAS ${kernel} kernels${t.coretype_unset ? ' (OPENBLAS_CORETYPE unset)' : ''}` : t.blas) : t.device;
  return `${process.arch} CPU, ${t.threads} thread${t.threads === 1 ? '' : 's'}, ${blas}`;
}
