import { describe, expect, it } from 'vitest';
import type { Activation } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { ActorCritic, type Mlp } from '../../src/rl/actor_critic.ts';
import { orthogonal } from '../../src/rl/init.ts';
import { Rng } from '../../src/task/rng.ts';
import { expectClose, rand, tensorOf } from '../backend/helpers.ts';

/** The MLP in f64 from a flat parameter array: hidden activations, linear head. */
function forward64(net: Mlp, params: Float64Array, x: Float64Array, B: number): Float64Array {
  let h = x;
  net.layers.forEach((l, li) => {
    const y = new Float64Array(B * l.outDim);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < l.outDim; j++) {
        let s = params[l.bOffset + j]!;
        for (let k = 0; k < l.inDim; k++) s += h[i * l.inDim + k]! * params[l.wOffset + k * l.outDim + j]!;
        y[i * l.outDim + j] = li === net.layers.length - 1 ? s : net.activation === 'tanh' ? Math.tanh(s) : s > 0 ? s : Math.expm1(s);
      }
    }
    h = y;
  });
  return h;
}

describe('actor-critic', () => {
  for (const activation of ['tanh', 'elu'] as Activation[]) {
    it(`backprop through both MLPs matches finite differences (${activation})`, async () => {
      const b = new CpuBackend(), B = 7, obsDim = 5, actDim = 3;
      const ac = new ActorCritic(b, { obsDim, actDim, actorHidden: [9, 6], criticHidden: [10], activation, initLogStd: 0 });
      const params = rand(ac.numParams, -0.8, 0.8);
      b.upload(ac.params, params);
      const obs = rand(B * obsDim, -2, 2), gOut = { actor: rand(B * actDim), critic: rand(B) };
      const X = tensorOf(b, [B, obsDim], obs);
      // loss = Σ out · gOut, so ∂loss/∂out = gOut
      ac.actorForward(X, B);
      ac.criticForward(X, B);
      ac.actor.backward(tensorOf(b, [B, actDim], gOut.actor), B);
      ac.critic.backward(tensorOf(b, [B, 1], gOut.critic), B);
      const grads = await b.download(ac.grads);
      const p64 = Float64Array.from(params), x64 = Float64Array.from(obs);
      const loss = () => {
        const a = forward64(ac.actor, p64, x64, B), c = forward64(ac.critic, p64, x64, B);
        return a.reduce((s, v, i) => s + v * gOut.actor[i]!, 0) + c.reduce((s, v, i) => s + v * gOut.critic[i]!, 0);
      };
      const fd = new Float64Array(ac.numParams);
      for (let k = 0; k < ac.numParams; k++) {
        const p0 = p64[k]!;
        p64[k] = p0 + 1e-6;
        const up = loss();
        p64[k] = p0 - 1e-6;
        fd[k] = (up - loss()) / 2e-6;
        p64[k] = p0;
      }
      // log-std gradients belong to the loss, not to the networks: untouched here (zero)
      for (let j = 0; j < actDim; j++) fd[ac.logStdOffset + j] = 0;
      expectClose(grads, fd, 1e-5, 1e-3);
    });
  }

  it('orthogonal init: orthonormal columns (tall) or rows (wide), times the gain', () => {
    const rng = new Rng(Math.floor(Math.random() * 1e9));
    for (const [rows, cols, gain] of [[67, 13, Math.SQRT2], [5, 29, 0.01], [64, 64, 1]] as const) {
      const w = orthogonal(rows, cols, gain, rng);
      const tall = rows >= cols, n = tall ? cols : rows;
      for (let a = 0; a < n; a++) {
        for (let c = 0; c < n; c++) {
          let dot = 0;
          for (let r = 0; r < (tall ? rows : cols); r++) dot += tall ? w[r * cols + a]! * w[r * cols + c]! : w[a * cols + r]! * w[c * cols + r]!;
          expect(dot).toBeCloseTo(a === c ? gain * gain : 0, 10);
        }
      }
    }
  });

  it('initialize: same seed, same network; heads scaled 0.01 (policy) and 1 (value); zero biases; log-std as configured', async () => {
    const b = new CpuBackend(), seed = Math.floor(Math.random() * 1e9);
    const spec = { obsDim: 4, actDim: 2, actorHidden: [64, 64], criticHidden: [64, 64], activation: 'tanh' as const, initLogStd: -0.5 };
    const a1 = new ActorCritic(b, spec), a2 = new ActorCritic(b, spec);
    a1.initialize(new Rng(seed));
    a2.initialize(new Rng(seed));
    const p = await b.download(a1.params);
    expect(Array.from(await b.download(a2.params))).toEqual(Array.from(p));
    const head = a1.actor.layers[2]!, vhead = a1.critic.layers[2]!;
    const norm = (l: typeof head) => Math.hypot(...p.subarray(l.wOffset, l.wOffset + l.inDim * l.outDim));
    expect(norm(head)).toBeCloseTo(0.01 * Math.sqrt(2), 5); // 2 orthonormal columns × 0.01
    expect(norm(vhead)).toBeCloseTo(1, 5);
    for (const l of [...a1.actor.layers, ...a1.critic.layers]) expect(p.subarray(l.bOffset, l.bOffset + l.outDim).every((v) => v === 0)).toBe(true);
    expect(Array.from(p.subarray(a1.logStdOffset, a1.logStdOffset + 2))).toEqual([-0.5, -0.5]);
  });
});
