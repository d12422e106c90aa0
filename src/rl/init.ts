/**
 * Orthogonal weight initialization (Saxe et al. 2014), the init rsl_rl, CleanRL and SB3 use
 * for PPO: a Gaussian matrix orthonormalized, times a gain. Computed on the host in f64 from a
 * seeded `Rng` so the same seed gives the same network on every backend.
 */
import type { Rng } from '../task/rng.ts';

/** Gain of hidden layers (√2), the policy head (0.01) and the value head (1). */
export const INIT_GAIN = { hidden: Math.SQRT2, policy: 0.01, value: 1 } as const;

/**
 * A [rows, cols] row-major matrix with orthonormal columns (rows ≥ cols) or orthonormal rows
 * (rows < cols), scaled by `gain` — PyTorch's `orthogonal_` up to the random draw.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float64Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols, n = tall ? cols : rows;
  // q: n column vectors of length m, Gaussian, then modified Gram–Schmidt
  const q: Float64Array[] = [];
  for (let c = 0; c < n; c++) {
    const v = new Float64Array(m);
    for (let r = 0; r < m; r++) v[r] = rng.normal();
    for (const u of q) {
      let dot = 0;
      for (let r = 0; r < m; r++) dot += u[r]! * v[r]!;
      for (let r = 0; r < m; r++) v[r] = v[r]! - dot * u[r]!;
    }
    let norm = 0;
    for (let r = 0; r < m; r++) norm += v[r]! * v[r]!;
    norm = Math.sqrt(norm);
    for (let r = 0; r < m; r++) v[r] = v[r]! / norm;
    q.push(v);
  }
  const out = new Float64Array(rows * cols);
  for (let c = 0; c < n; c++) {
    const v = q[c]!;
    for (let r = 0; r < m; r++) {
      // tall: column c of [m, n]; wide: row c of [n, m]
      out[tall ? r * cols + c : c * cols + r] = gain * v[r]!;
    }
  }
  return out;
}
