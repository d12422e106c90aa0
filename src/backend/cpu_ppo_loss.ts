/**
 * The CPU twin of the fused PPO loss kernel (`Backend.ppoLoss`, defined in docs/backend.md):
 * clipped surrogate, (clipped) value loss and entropy bonus with their gradients, one pass over
 * the minibatch, sums in f64. Split out of `cpu.ts` to keep that file one op per short loop.
 */
import { PpoLossStat, type PpoLossParams } from './backend.ts';

const LOG_2PI = Math.log(2 * Math.PI);

/** Host arrays of the fused PPO loss. */
export interface PpoLossArrays {
  mean: Float32Array; logStd: Float32Array; value: Float32Array; actions: Float32Array;
  oldLogProb: Float32Array; oldValue: Float32Array; advantages: Float32Array; returns: Float32Array;
}

/** f64 accumulator of ∂loss/∂logσ across the minibatch, and 1/σ and 1/σ² per action dim (grow to the largest action dim). */
let logStdAcc = new Float64Array(8), invStd = new Float64Array(8), invVar = new Float64Array(8);

/** Writes the loss gradients and the five statistics of minibatch `x` into `o` (see `Backend.ppoLoss`; the caller checks the sizes). */
export function ppoLossCpu(x: PpoLossArrays, p: PpoLossParams, o: { gradMean: Float32Array; gradLogStd: Float32Array; gradValue: Float32Array; stats: Float32Array }): void {
  const M = x.value.length, A = x.logStd.length, eps = p.clip;
  let policy = 0, valueLoss = 0, kl = 0, clipped = 0;
  if (logStdAcc.length < A) [logStdAcc, invStd, invVar] = [new Float64Array(A), new Float64Array(A), new Float64Array(A)];
  const gLogStd = logStdAcc.fill(0, 0, A);
  for (let j = 0; j < A; j++) {
    invStd[j] = Math.exp(-x.logStd[j]!); // once per call rather than per sample: the same numbers, 2·M·A fewer exp
    invVar[j] = Math.exp(-2 * x.logStd[j]!);
  }
  for (let i = 0; i < M; i++) {
    // -- policy: L = max(−Â·r, −Â·clip(r, 1−ε, 1+ε)), r = exp(logp − logp_old)
    const logRatio = logProbRow(x.mean, x.logStd, x.actions, i * A, invStd) - x.oldLogProb[i]!;
    const r = Math.exp(logRatio), adv = x.advantages[i]!;
    const rc = r < 1 - eps ? 1 - eps : r > 1 + eps ? 1 + eps : r;
    const unclipped = -adv * r, clippedTerm = -adv * rc;
    policy += Math.max(unclipped, clippedTerm);
    kl += r - 1 - logRatio;
    if (Math.abs(r - 1) > eps) clipped++;
    // ∂L/∂logp: the unclipped branch carries −Â·r; the clipped branch is flat in r
    const dLogp = unclipped >= clippedTerm ? (-adv * r) / M : 0;
    for (let j = 0; j < A; j++) {
      const k = i * A + j, iv = invVar[j]!, z = x.actions[k]! - x.mean[k]!;
      o.gradMean[k] = dLogp * z * iv; // ∂logp/∂μ = (a − μ)/σ²
      gLogStd[j] = gLogStd[j]! + dLogp * (z * z * iv - 1); // ∂logp/∂logσ = (a − μ)²/σ² − 1
    }
    // -- value: max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²) or just (V − R)²
    const v = x.value[i]!, ret = x.returns[i]!, dv = v - x.oldValue[i]!;
    const lossU = (v - ret) ** 2;
    let dValue = 2 * (v - ret);
    let lossV = lossU;
    if (p.clipValue) {
      const vc = x.oldValue[i]! + (dv < -eps ? -eps : dv > eps ? eps : dv);
      const lossC = (vc - ret) ** 2;
      if (lossC > lossU) {
        lossV = lossC;
        dValue = Math.abs(dv) < eps ? 2 * (vc - ret) : 0;
      }
    }
    valueLoss += lossV;
    o.gradValue[i] = (p.valueCoef * dValue) / M;
  }
  // -- entropy of N(μ, σ²) per dimension: logσ + ½·log(2πe); the bonus pushes logσ up
  let entropy = 0;
  for (let j = 0; j < A; j++) {
    entropy += x.logStd[j]! + 0.5 * (1 + LOG_2PI);
    o.gradLogStd[j] = gLogStd[j]! - p.entropyCoef;
  }
  o.stats[PpoLossStat.policyLoss] = policy / M;
  o.stats[PpoLossStat.valueLoss] = valueLoss / M;
  o.stats[PpoLossStat.entropy] = entropy;
  o.stats[PpoLossStat.approxKl] = kl / M;
  o.stats[PpoLossStat.clipFrac] = clipped / M;
}

/** log N(a | μ, σ²) summed over the A dims of one row starting at `o`; `inv` may hold exp(−logσ) per dim, precomputed. */
export function logProbRow(mu: Float32Array, logStd: Float32Array, a: Float32Array, o: number, inv?: Float64Array): number {
  let lp = 0;
  for (let j = 0; j < logStd.length; j++) {
    const ls = logStd[j]!, z = (a[o + j]! - mu[o + j]!) * (inv ? inv[j]! : Math.exp(-ls));
    lp += -0.5 * z * z - ls - 0.5 * LOG_2PI;
  }
  return lp;
}
