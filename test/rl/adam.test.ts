import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { Adam } from '../../src/rl/adam.ts';
import { expectClose, rand, tensorOf } from '../backend/helpers.ts';

describe('Adam and gradient clipping', () => {
  it('two Adam steps match the bias-corrected update computed by hand', async () => {
    const b = new CpuBackend(), n = 11, lr = 0.003, eps = 1e-8;
    const p0 = rand(n, -2, 2), g1 = rand(n), g2 = rand(n);
    const params = tensorOf(b, [n], p0), grads = b.tensor([n]);
    const adam = new Adam(b, params, grads, eps);
    b.upload(grads, g1);
    adam.step(lr);
    b.upload(grads, g2);
    adam.step(lr);
    const want = Array.from(p0, (p, i) => {
      // step 1: m̂ = g1, v̂ = g1² → p −= lr·sign(g1) (up to ε)
      let m = 0.1 * g1[i]!, v = 0.001 * g1[i]! ** 2;
      p -= (lr * (m / 0.1)) / (Math.sqrt(v / 0.001) + eps);
      m = 0.9 * m + 0.1 * g2[i]!;
      v = 0.999 * v + 0.001 * g2[i]! ** 2;
      return p - (lr * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + eps);
    });
    expectClose(await b.download(params), want, 1e-6, 1e-6);
    expect(adam.steps).toBe(2);
  });

  it('snapshot/restore puts back parameters, moments and the step count', async () => {
    const b = new CpuBackend(), n = 7, params = tensorOf(b, [n], rand(n)), grads = tensorOf(b, [n], rand(n));
    const adam = new Adam(b, params, grads, 1e-8);
    adam.step(0.01);
    const before = { p: await b.download(params), s: await adam.getState() };
    adam.snapshot();
    adam.step(0.01);
    adam.step(0.01);
    adam.restore();
    expect(Array.from(await b.download(params))).toEqual(Array.from(before.p));
    const after = await adam.getState();
    expect(after.step).toBe(1);
    expect(Array.from(after.m)).toEqual(Array.from(before.s.m));
    expect(Array.from(after.v)).toEqual(Array.from(before.s.v));
  });

  it('clipGradNorm scales a long gradient to the max norm, keeps its direction, and leaves a short one alone', async () => {
    const b = new CpuBackend(), n = 23, g = rand(n, -3, 3), norm = Math.hypot(...g);
    const t = tensorOf(b, [n], g), out = b.tensor([1]);
    b.clipGradNorm(t, norm / 4, out);
    expect((await b.download(out))[0]).toBeCloseTo(norm, 4); // reports the norm before clipping
    const clipped = await b.download(t);
    expect(Math.hypot(...clipped)).toBeCloseTo(norm / 4, 4);
    expectClose(clipped, Array.from(g, (v) => v / 4), 1e-6, 1e-5);
    b.clipGradNorm(t, norm, out);
    expect(Array.from(await b.download(t))).toEqual(Array.from(clipped));
  });

  it('a non-finite gradient makes the clipped gradient non-finite (so the guard sees it)', async () => {
    const b = new CpuBackend(), g = rand(9);
    g[4] = Infinity;
    const t = tensorOf(b, [9], g), out = b.tensor([1]);
    b.clipGradNorm(t, 1, out);
    expect((await b.download(out))[0]).toBe(Infinity);
    b.countNonFinite(t, out);
    expect((await b.download(out))[0]).toBeGreaterThan(0);
  });
});
