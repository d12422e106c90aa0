import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { mergeMoments, momentsOf, ObsNormalizer, RewardScaler } from '../../src/rl/normalizer.ts';
import { expectClose, rand, randn, tensorOf } from '../backend/helpers.ts';

describe('observation normalizer', () => {
  it('merging the moments of parts equals the one-pass moments of the whole', () => {
    const D = 5, x = Float32Array.from(randn(97 * D, 3), (v, i) => v + (i % D));
    const whole = momentsOf(x, D);
    const cut1 = 13 * D, cut2 = 60 * D;
    const parts = [x.subarray(0, cut1), x.subarray(cut1, cut2), x.subarray(cut2)].map((p) => momentsOf(p, D));
    const merged = parts.reduce((a, p) => mergeMoments(a, p), { count: 0, mean: new Float64Array(D), var: new Float64Array(D) });
    expect(merged.count).toBe(97);
    expectClose(merged.mean, whole.mean, 1e-12, 1e-12);
    expectClose(merged.var, whole.var, 1e-12, 1e-10);
  });

  it('the backend update, batch by batch, tracks the one-pass statistics (and starts as the identity)', async () => {
    const b = new CpuBackend(), D = 3, n = new ObsNormalizer(b, D, 10, true);
    const probe = rand(4 * D, -3, 3), out = b.tensor([4, D]);
    n.apply(tensorOf(b, [4, D], probe), out);
    expectClose(await b.download(out), probe, 1e-6);
    const all: number[] = [];
    for (const rows of [1, 7, 16, 5]) {
      const batch = Float32Array.from(rand(rows * D, -1, 1), (v, i) => 2 * v + 10 * (i % D));
      all.push(...batch);
      n.update(tensorOf(b, [rows, D], batch));
    }
    const s = await n.getState(), ref = momentsOf(all, D);
    expect(s.count).toBe(29);
    expectClose(s.mean, ref.mean, 1e-5, 1e-6);
    expectClose(s.var, ref.var, 1e-6, 1e-5);
  });

  it('normalized observations are clipped to ±obs_clip; mergeFrom adds other workers\' samples', async () => {
    const b = new CpuBackend(), D = 2, n = new ObsNormalizer(b, D, 3, true);
    const mine = rand(10 * D), theirs = rand(30 * D, 2, 4);
    n.update(tensorOf(b, [10, D], mine));
    await n.mergeFrom(momentsOf(theirs, D));
    const s = await n.getState(), ref = momentsOf([...mine, ...theirs], D);
    expectClose(s.mean, ref.mean, 1e-6, 1e-6);
    expectClose(s.var, ref.var, 1e-6, 1e-5);
    const out = b.tensor([1, D]);
    n.apply(tensorOf(b, [1, D], Float32Array.of(1e6, -1e6)), out);
    expect(Array.from(await b.download(out))).toEqual([3, -3]);
  });

  it('reward scaling brings the discounted return to about unit standard deviation', () => {
    const N = 64, gamma = 0.99, s = new RewardScaler(N, gamma), ret = new Float64Array(N);
    const dones = new Uint8Array(N);
    const scaledReturns: number[] = [];
    for (let t = 0; t < 3000; t++) {
      const r = Float32Array.from(rand(N, 5, 15));
      s.scale(r, dones);
      for (let i = 0; i < N; i++) ret[i] = ret[i]! * gamma + r[i]!;
      if (t > 1500) scaledReturns.push(...ret);
    }
    const m = momentsOf(scaledReturns, 1);
    expect(Math.sqrt(m.var[0]!)).toBeGreaterThan(0.3);
    expect(Math.sqrt(m.var[0]!)).toBeLessThan(3);
    const st = s.getState();
    expect(st.returns.length).toBe(N);
  });
});
