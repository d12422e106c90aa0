import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { PPO } from '../../src/rl/ppo.ts';
import { validatePpoConfig } from '../../src/rl/ppo_config.ts';
import { Rng } from '../../src/task/rng.ts';
import { expectClose, rand, tensorOf } from '../backend/helpers.ts';

describe('GAE', () => {
  it('matches a hand-computed 3-step, 2-env trajectory where env 1 times out at step 1', async () => {
    // γ = λ = 0.5. Env 0 runs on; env 1 is truncated at t = 1 with V(terminal obs) = 6, so the
    // caller stored r = 1 + γ·6 = 4 and done = 1 there.
    const b = new CpuBackend(), T = 3, N = 2;
    const t = (data: number[]) => tensorOf(b, [T, N], Float32Array.from(data));
    const adv = b.tensor([T, N]), ret = b.tensor([T, N]);
    b.gae({
      rewards: t([1, 2, 1, 4, 1, 0]), values: t([0.5, 1, 1, 3, 2, 2]), dones: t([0, 0, 0, 1, 0, 0]),
      lastValues: tensorOf(b, [N], Float32Array.of(4, 8)), advantages: adv, returns: ret,
    }, 0.5, 0.5);
    // env 0: δ = 1, 1, 1 → A₂ = 1, A₁ = 1 + ¼·1 = 1.25, A₀ = 1 + ¼·1.25 = 1.3125
    // env 1: δ₂ = 0 + ½·8 − 2 = 2; δ₁ = 4 − 3 = 1 (done: no look-ahead); δ₀ = 2 + ½·3 − 1 = 2.5 → A₀ = 2.5 + ¼·1
    expect(Array.from(await b.download(adv))).toEqual([1.3125, 2.75, 1.25, 1, 1, 2]);
    expect(Array.from(await b.download(ret))).toEqual([1.8125, 3.75, 2.25, 4, 3, 4]);
  });

  it('processEnvStep bootstraps truncated envs with γ·V(terminal obs), and not terminated ones', async () => {
    const cfg = validatePpoConfig({ num_envs: 3, num_steps: 2, minibatch_size: 6, gamma: 0.9 }, 'test');
    const ppo = new PPO(new CpuBackend(), { obsDim: 4, actDim: 1, numEnvs: 3 }, cfg, new Rng(Math.floor(Math.random() * 1e9)));
    await ppo.act(rand(12));
    const terminalObs = rand(12, -2, 2);
    // V(terminal obs) with the statistics the normalizer has now
    const b = ppo.backend, raw = tensorOf(b, [3, 4], terminalObs), norm = b.tensor([3, 4]);
    ppo.normalizer.apply(raw, norm);
    const v = await b.download(ppo.ac.criticForward(norm, 3));
    const rewards = Float32Array.of(1, 0.5, -1);
    // env 0 terminated, env 1 truncated, env 2 both (terminal wins)
    await ppo.processEnvStep(rewards, Uint8Array.of(1, 0, 1), Uint8Array.of(0, 1, 1), terminalObs);
    const stored = await b.download(ppo.storage.data.rewards);
    expectClose(stored.subarray(0, 3), [1, 0.5 + 0.9 * v[1]!, -1], 1e-6, 1e-6);
    expect(Array.from((await b.download(ppo.storage.data.dones)).subarray(0, 3))).toEqual([1, 1, 1]);
  });
});
