/**
 * The CPU backend's activation loops over an element range, shared by `cpu.ts` (the whole
 * tensor on one thread) and its pool threads (`cpu_pool.ts`, a range each). Elementwise, so
 * any split gives the same bits.
 */
import type { Activation } from './backend.ts';

/** y[i] = act(x[i]) for i in [lo, hi) (x and y may be the same array). */
export function activationForwardRange(kind: Activation, x: Float32Array, y: Float32Array, lo: number, hi: number): void {
  if (kind === 'tanh') for (let i = lo; i < hi; i++) y[i] = Math.tanh(x[i]!);
  else for (let i = lo; i < hi; i++) y[i] = x[i]! > 0 ? x[i]! : Math.expm1(x[i]!);
}

/** dx[i] = dy[i]·act'(x[i]) for i in [lo, hi), from the forward output y (dx may be dy). */
export function activationBackwardRange(kind: Activation, y: Float32Array, dy: Float32Array, dx: Float32Array, lo: number, hi: number): void {
  // tanh' = 1 − y²; elu' = 1 above 0, else exp(x) = y + 1
  if (kind === 'tanh') for (let i = lo; i < hi; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
  else for (let i = lo; i < hi; i++) dx[i] = y[i]! > 0 ? dy[i]! : dy[i]! * (y[i]! + 1);
}
