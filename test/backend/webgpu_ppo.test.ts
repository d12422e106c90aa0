/**
 * The whole PPO update on WebGPU against the CPU reference: the same trainer state, the same
 * rollout and the same minibatch order (the shuffles come from the same Rng state), so the
 * parameters after `update` differ only by f32 rounding; and a short training run on WebGPU
 * that learns like the CPU one.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import type { PPO } from '../../src/rl/ppo.ts';
import { iterate, pointMassLearning, smallPpo } from '../rl/ppo_helpers.ts';
import { webgpuForTests } from './webgpu_setup.ts';

const gpu = await webgpuForTests();

const ROLLOUT_KEYS = ['obs', 'actions', 'logProb', 'values', 'rewards', 'dones', 'advantages', 'returns'] as const;

/** Rolls out on the CPU trainer and hands `ppo` (on any backend) the same state and rollout. */
async function sameStart(cpu: PPO, ppo: PPO): Promise<void> {
  const s = cpu.storage, data = await Promise.all(ROLLOUT_KEYS.map((k) => cpu.backend.download(s.data[k])));
  ppo.setState(await cpu.getState());
  for (let t = 0; t < ppo.storage.numSteps; t++) {
    ppo.storage.beginAct();
    ppo.storage.beginEnvStep();
  }
  ppo.storage.beginReturns();
  ROLLOUT_KEYS.forEach((k, i) => ppo.backend.upload(ppo.storage.data[k], data[i]!));
}

/** max |a − b| / max |b|: the parameter difference relative to the parameters' scale. */
function relativeDiff(a: Float32Array, b: Float32Array): number {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

describe.runIf(gpu)('PPO on webgpu', () => {
  for (const overrides of [
    { activation: 'tanh', clip_value_loss: false, advantage_norm: 'batch' },
    // not lr_schedule 'adaptive': the first minibatch's KL is 0 ± rounding, and rsl_rl's rule
    // raises the rate only for kl > 0, so the two backends may legitimately take different rates
    { activation: 'elu', clip_value_loss: true, advantage_norm: 'minibatch', entropy_coef: 0.01 },
  ]) {
    it(`one update matches the CPU's from the same state and minibatch order (${overrides.activation})`, async () => {
      const cfg = { num_envs: 6, num_steps: 23, minibatch_size: 34, num_epochs: 3, actor_hidden: [19, 70], critic_hidden: [33], ...overrides };
      const seed = Math.floor(Math.random() * 1e9);
      const cpu = smallPpo(new CpuBackend(), cfg, seed), other = smallPpo(gpu as Backend, cfg, seed);
      await iterate(cpu.ppo, cpu.env); // trained a little, so Adam's moments are not zero
      for (let t = 0; t < cfg.num_steps; t++) {
        cpu.env.step(await cpu.ppo.act(cpu.env.obs));
        await cpu.ppo.processEnvStep(cpu.env.rewards, cpu.env.terminated, cpu.env.truncated, cpu.env.terminalObs);
      }
      await cpu.ppo.computeReturns(cpu.env.obs);
      await sameStart(cpu.ppo, other.ppo);
      const [a, b] = [await cpu.ppo.update(), await other.ppo.update()];
      const pa = await cpu.ppo.backend.download(cpu.ppo.ac.params), pb = await gpu!.download(other.ppo.ac.params);
      // f32 rounding differences of ~1e-7 through 3 epochs of Adam steps (lr 1e-3): far below 1e-4
      expect(relativeDiff(pb, pa)).toBeLessThan(1e-4);
      expect(b.nonfinite).toBe(false);
      for (const k of ['policy_loss', 'value_loss', 'entropy', 'approx_kl', 'grad_norm', 'learning_rate'] as const) {
        expect(Math.abs(b[k] - a[k])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a[k])));
      }
      expect(Math.abs(b.clipfrac - a.clipfrac)).toBeLessThanOrEqual(0.05); // a ratio at ε ± rounding may flip one sample
    });
  }

  it('rolls back an update whose parameters turn NaN, on the GPU', async () => {
    const { ppo, env } = smallPpo(gpu as Backend, { num_steps: 8, minibatch_size: 8 }, 3);
    await iterate(ppo, env);
    const before = await gpu!.download(ppo.ac.params);
    for (let t = 0; t < 8; t++) {
      env.step(await ppo.act(env.obs));
      await ppo.processEnvStep(env.rewards, env.terminated, env.truncated, env.terminalObs);
    }
    await ppo.computeReturns(env.obs);
    gpu!.fill(ppo.storage.data.advantages, NaN); // poisons every policy gradient
    const stats = await ppo.update();
    expect(stats.nonfinite).toBe(true);
    expect(Array.from(await gpu!.download(ppo.ac.params))).toEqual(Array.from(before));
  });

  it('learns on the point-mass task like the CPU trainer: the return improves', async () => {
    const seed = Math.floor(Math.random() * 1e9);
    const { first, last } = await pointMassLearning(gpu as Backend, seed);
    expect(last, `seed ${seed}`).toBeGreaterThan(first * 0.5); // rewards are negative: the cost at least halves (the CPU test's bar)
  });
});
