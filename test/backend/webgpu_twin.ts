/**
 * Runs one op on the CPU reference and on the WebGPU backend from the same host data and
 * compares every tensor afterwards. Outputs start poisoned (12345) on both sides, so an element
 * a kernel forgot to write shows up; NaN must sit where the reference has NaN.
 */
import type { Backend, Tensor } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';

/** Written into every output before the op runs. */
export const POISON = 12345;

/** One op: its inputs (uploaded), outputs (poisoned), what it does, and the tolerance. */
export interface TwinCase {
  inputs: Record<string, { shape: number[]; data: Float32Array }>;
  outputs?: Record<string, number[]>;
  run: (b: Backend, t: Record<string, Tensor>) => void;
  /** |gpu − cpu| ≤ abs + rel·|cpu|, per tensor name or for all. */
  abs: number | Record<string, number>;
  rel?: number;
}

/** Runs the case on both backends; returns the first mismatch as a message, or null. */
export async function twin(gpu: Backend, c: TwinCase): Promise<string | null> {
  const results = await Promise.all([new CpuBackend(), gpu].map(async (b) => {
    const t: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(c.inputs)) {
      t[k] = b.tensor(v.shape);
      b.upload(t[k], v.data);
    }
    for (const [k, shape] of Object.entries(c.outputs ?? {})) {
      t[k] = b.tensor(shape);
      b.fill(t[k], POISON);
    }
    c.run(b, t);
    const out: Record<string, Float32Array> = {};
    for (const k of Object.keys(t)) out[k] = await b.download(t[k]!);
    return out;
  }));
  const [ref, got] = results as [Record<string, Float32Array>, Record<string, Float32Array>];
  for (const k of Object.keys(ref)) {
    const abs = typeof c.abs === 'number' ? c.abs : (c.abs[k] ?? 0);
    const msg = mismatch(got[k]!, ref[k]!, abs, c.rel ?? 0);
    if (msg) return `${k}: ${msg}`;
  }
  return null;
}

/** The worst element outside |a − b| ≤ abs + rel·|b| (NaN only matches NaN), or null. */
export function mismatch(a: Float32Array, b: Float32Array, abs: number, rel: number): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  let worst = -1, excess = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return `element ${i}: ${x} vs reference ${y}`;
      continue;
    }
    if (x === y) continue;
    const e = Math.abs(x - y) - (abs + rel * Math.abs(y));
    if (!(e <= 0) && (worst < 0 || e > excess)) {
      worst = i;
      excess = e;
    }
  }
  return worst < 0 ? null : `element ${worst} of ${a.length}: ${a[worst]} vs reference ${b[worst]} (tolerance ${abs} + ${rel}·|reference|)`;
}

/** n values uniform in [lo, hi) with NaN, +Inf and −Inf at a few random places. */
export function withNonFinite(data: Float32Array, count = 3): Float32Array {
  const out = Float32Array.from(data);
  const specials = [NaN, Infinity, -Infinity];
  for (let k = 0; k < count; k++) out[Math.floor(Math.random() * out.length)] = specials[k % 3]!;
  return out;
}
