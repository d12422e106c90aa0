/**
 * The fused PPO loss against an f64 reference: the statistics directly, and the gradients
 * w.r.t. mean, log-std and value against central finite differences of the reference.
 */
import { describe, expect, it } from 'vitest';
import { PpoLossStat, type PpoLossParams } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { expectClose, rand, randn, tensorOf } from './helpers.ts';

const LOG_2PI = Math.log(2 * Math.PI);

interface Batch {
  mean: Float64Array; logStd: Float64Array; value: Float64Array; actions: Float32Array;
  oldLogProb: Float32Array; oldValue: Float32Array; advantages: Float32Array; returns: Float32Array;
}

/** The PPO objective written out in f64: [total, policy, value, entropy, kl, clipfrac]. */
function reference(x: Batch, p: PpoLossParams): number[] {
  const M = x.value.length, A = x.logStd.length, eps = p.clip;
  let pol = 0, val = 0, kl = 0, cf = 0, ent = 0;
  for (let i = 0; i < M; i++) {
    let lp = 0;
    for (let j = 0; j < A; j++) lp += -0.5 * ((x.actions[i * A + j]! - x.mean[i * A + j]!) / Math.exp(x.logStd[j]!)) ** 2 - x.logStd[j]! - 0.5 * LOG_2PI;
    const logR = lp - x.oldLogProb[i]!, r = Math.exp(logR), adv = x.advantages[i]!;
    pol += Math.max(-adv * r, -adv * Math.min(Math.max(r, 1 - eps), 1 + eps));
    kl += r - 1 - logR;
    cf += Math.abs(r - 1) > eps ? 1 : 0;
    const v = x.value[i]!, R = x.returns[i]!, vOld = x.oldValue[i]!;
    const vc = vOld + Math.min(Math.max(v - vOld, -eps), eps);
    val += p.clipValue ? Math.max((v - R) ** 2, (vc - R) ** 2) : (v - R) ** 2;
  }
  for (let j = 0; j < A; j++) ent += x.logStd[j]! + 0.5 * (1 + LOG_2PI);
  const policy = pol / M, value = val / M;
  return [policy + p.valueCoef * value - p.entropyCoef * ent, policy, value, ent, kl / M, cf / M];
}

function randomBatch(M: number, A: number): Batch {
  const mean = rand(M * A, -1, 1), logStd = rand(A, -1, 0.3), value = randn(M, 2);
  const actions = Float32Array.from(mean, (m, k) => m + Math.exp(logStd[k % A]!) * randn(1)[0]!);
  const b: Batch = { mean: Float64Array.from(mean), logStd: Float64Array.from(logStd), value: Float64Array.from(value), actions,
    oldLogProb: new Float32Array(M), oldValue: Float32Array.from(value, (v) => v + (Math.random() - 0.5)), advantages: randn(M), returns: randn(M, 2) };
  // old log-probs around the current ones, so ratios land on both sides of the clip range
  for (let i = 0; i < M; i++) {
    let lp = 0;
    for (let j = 0; j < A; j++) lp += -0.5 * ((actions[i * A + j]! - mean[i * A + j]!) / Math.exp(logStd[j]!)) ** 2 - logStd[j]! - 0.5 * LOG_2PI;
    b.oldLogProb[i] = lp + (Math.random() - 0.5) * 0.8;
  }
  return b;
}

function runBackend(x: Batch, p: PpoLossParams) {
  const be = new CpuBackend(), M = x.value.length, A = x.logStd.length;
  const out = { gradMean: be.tensor([M, A]), gradLogStd: be.tensor([A]), gradValue: be.tensor([M]), stats: be.tensor([5]) };
  be.ppoLoss({
    mean: tensorOf(be, [M, A], Float32Array.from(x.mean)), logStd: tensorOf(be, [A], Float32Array.from(x.logStd)), value: tensorOf(be, [M], Float32Array.from(x.value)),
    actions: tensorOf(be, [M, A], x.actions), oldLogProb: tensorOf(be, [M], x.oldLogProb), oldValue: tensorOf(be, [M], x.oldValue),
    advantages: tensorOf(be, [M], x.advantages), returns: tensorOf(be, [M], x.returns),
  }, p, out);
  return Promise.all([be.download(out.gradMean), be.download(out.gradLogStd), be.download(out.gradValue), be.download(out.stats)]);
}

/**
 * Central difference of the total loss in one coordinate; null where the two one-sided
 * differences disagree (a clip or max kink within h), which the comparison skips.
 */
function centralDiff(x: Batch, arr: Float64Array, k: number, p: PpoLossParams): number | null {
  const h = 1e-6, x0 = arr[k]!;
  const f0 = reference(x, p)[0]!;
  arr[k] = x0 + h;
  const fp = reference(x, p)[0]!;
  arr[k] = x0 - h;
  const fm = reference(x, p)[0]!;
  arr[k] = x0;
  const right = (fp - f0) / h, left = (f0 - fm) / h;
  return Math.abs(right - left) > 1e-4 * (1 + Math.abs(right)) ? null : (fp - fm) / (2 * h);
}

describe('fused PPO loss', () => {
  for (const clipValue of [true, false]) {
    it(`statistics and gradients match the f64 reference and finite differences (clipValue ${clipValue})`, async () => {
      const M = 41, A = 3, x = randomBatch(M, A);
      // round the differentiated inputs to f32 so both sides see the same numbers
      for (const a of [x.mean, x.logStd, x.value]) a.set(Float32Array.from(a));
      const p: PpoLossParams = { clip: 0.2, clipValue, valueCoef: 0.5, entropyCoef: 0.01 };
      const [gMean, gLogStd, gValue, stats] = await runBackend(x, p);
      const ref = reference(x, p);
      expectClose([stats[PpoLossStat.policyLoss]!, stats[PpoLossStat.valueLoss]!, stats[PpoLossStat.entropy]!, stats[PpoLossStat.approxKl]!, stats[PpoLossStat.clipFrac]!], ref.slice(1), 1e-6, 1e-5);
      expect(ref[5]).toBeGreaterThan(0.1); // the clip is exercised
      let checked = 0;
      for (const [arr, grad] of [[x.mean, gMean], [x.logStd, gLogStd], [x.value, gValue]] as const) {
        for (let k = 0; k < arr.length; k++) {
          const fd = centralDiff(x, arr, k, p);
          if (fd === null) continue;
          expectClose([grad[k]!], [fd], 2e-6, 1e-3);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0.9 * (M * A + A + M));
    });
  }

  it('clipped samples pass no policy gradient; an entropy bonus pushes log-std up', async () => {
    const M = 6, A = 2, x = randomBatch(M, A);
    x.advantages.fill(1);
    x.oldLogProb.fill(-50); // ratios ≫ 1 + ε with positive advantages: every sample clipped
    const [gMean, gLogStd, , stats] = await runBackend(x, { clip: 0.2, clipValue: false, valueCoef: 0.5, entropyCoef: 0.3 });
    expect(stats[PpoLossStat.clipFrac]).toBe(1);
    expect(Array.from(gMean).every((g) => g === 0)).toBe(true);
    expectClose(gLogStd, [-0.3, -0.3], 1e-7);
  });
});
