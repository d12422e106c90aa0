/** Shared helpers of the backend tests: fresh random inputs and f64 reference arithmetic. */
import type { Backend, Tensor } from '../../src/backend/backend.ts';

/** n uniform values in [lo, hi), rounded to f32. */
export function rand(n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * Math.random());
}

/** n standard-normal values, rounded to f32. */
export function randn(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()));
}

/** A tensor of `shape` holding `data`. */
export function tensorOf(b: Backend, shape: number[], data: Float32Array): Tensor {
  const t = b.tensor(shape);
  b.upload(t, data);
  return t;
}

/** Expects |a − b| ≤ abs + rel·|b| elementwise, reporting the worst element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, abs: number, rel = 0): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!), tol = abs + rel * Math.abs(expected[i]!);
    if (!(err <= tol) && (worst < 0 || err - tol > worstExcess)) {
      worst = i;
      worstExcess = err - tol;
    }
  }
  if (worst >= 0) throw new Error(`element ${worst}: ${actual[worst]} vs expected ${expected[worst]} (tolerance ${abs} + ${rel}·|expected|)`);
}

/** y[B, O] = x[B, I]·w[I, O] (+ b), naive triple loop in f64. */
export function naiveMatmul(x: ArrayLike<number>, w: ArrayLike<number>, B: number, I: number, O: number, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(B * O);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < O; j++) {
      let s = b ? b[j]! : 0;
      for (let k = 0; k < I; k++) s += x[i * I + k]! * w[k * O + j]!;
      y[i * O + j] = s;
    }
  }
  return y;
}
