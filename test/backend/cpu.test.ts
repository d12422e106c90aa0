import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { gemm } from '../../src/backend/cpu_gemm.ts';
import { backendOpSuite } from './op_suite.ts';
import { expectClose, naiveMatmul, rand, tensorOf } from './helpers.ts';

backendOpSuite('cpu (TypeScript kernels)', () => new CpuBackend({ kernels: 'ts' }));

describe('cpu backend', () => {
  it('gemm: the blocked product equals the naive one on every remainder of the 4×4 blocking', () => {
    for (let m = 1; m <= 9; m++) {
      for (let k = 1; k <= 9; k++) {
        const n = 1 + Math.floor(Math.random() * 11);
        const a = rand(m * k), b = rand(k * n), c0 = rand(m * n), c = Float32Array.from(c0);
        gemm(a, b, c, m, k, n, true);
        expectClose(c, naiveMatmul(a, b, m, k, n).map((v, i) => v + c0[i]!), 1e-5 * k, 1e-5);
        gemm(a, b, c, m, k, n, false);
        expectClose(c, naiveMatmul(a, b, m, k, n), 1e-5 * k, 1e-5);
      }
    }
  });

  it('rejects a tensor from another backend and mismatched shapes, naming the op', () => {
    const a = new CpuBackend({ kernels: 'ts' }), b = new CpuBackend();
    const foreign = { dtype: 'f32', shape: [2], size: 2 } as const;
    expect(() => a.fill(foreign, 1)).toThrow(/another backend/);
    const x = tensorOf(a, [3, 4], rand(12)), w = tensorOf(b, [5, 2], rand(10));
    expect(() => a.linearForward(x, w, a.tensor([2]), a.tensor([3, 2]))).toThrow(/linearForward/);
  });
});

describe('cpu gemm determinism', () => {
  it('a row gives bit-identical results alone or inside a batch (acting on 1 env = acting on many)', () => {
    const k = 13, n = 7, rows = 11, a = rand(rows * k), b = rand(k * n);
    const all = new Float32Array(rows * n);
    gemm(a, b, all, rows, k, n, false);
    for (let i = 0; i < rows; i++) {
      const one = new Float32Array(n);
      gemm(a.subarray(i * k, (i + 1) * k), b, one, 1, k, n, false);
      expect(Array.from(one)).toEqual(Array.from(all.subarray(i * n, (i + 1) * n)));
    }
  });
});
