import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { defaultPpoConfig, validatePpoConfig } from '../../src/rl/ppo_config.ts';
import { LrSchedule } from '../../src/rl/schedule.ts';
import { iterate, OBS, pointMassLearning, smallPpo } from './ppo_helpers.ts';

const randomSeed = () => Math.floor(Math.random() * 1e9);

describe('PPO config', () => {
  it('defaults are the cartpole recipe of DESIGN.md', () => {
    expect(defaultPpoConfig()).toMatchObject({
      num_envs: 16, num_steps: 128, learning_rate: 1e-3, lr_schedule: 'linear', num_epochs: 10, minibatch_size: 256, clip_coef: 0.2,
      actor_hidden: [64, 64], critic_hidden: [64, 64], activation: 'tanh', gamma: 0.99, gae_lambda: 0.95, value_coef: 0.5,
      entropy_coef: 0, max_grad_norm: 0.5, normalize_obs: true, obs_clip: 10, init_log_std: 0,
    });
  });

  it('takes typed values and rejects unknown keys, strings (the CLI types them: test/cli/overrides.test.ts) and out-of-range values, naming the key', () => {
    const cfg = validatePpoConfig({ learning_rate: 3e-4, clip_value_loss: true, actor_hidden: [32, 32, 16], lr_schedule: 'adaptive', num_envs: 8 }, 'cfg');
    expect(cfg).toMatchObject({ learning_rate: 3e-4, clip_value_loss: true, actor_hidden: [32, 32, 16], lr_schedule: 'adaptive', num_envs: 8 });
    expect(() => validatePpoConfig({ learning_rate: '3e-4' }, 'x')).toThrow(/x: learning_rate must be a number in \(0, 1\], got "3e-4"/);
    expect(() => validatePpoConfig({ num_envs: '8' }, 'x')).toThrow(/x: num_envs must be an integer/);
    expect(() => validatePpoConfig({ clip_value_loss: 'true' }, 'x')).toThrow(/x: clip_value_loss must be true or false, got "true"/);
    expect(() => validatePpoConfig({ actor_hidden: '32,32' }, 'x')).toThrow(/x: actor_hidden must be 1 to 8 layer widths/);
    expect(() => validatePpoConfig(Object.create({ num_envs: 3 }) as Record<string, unknown>, 'x')).not.toThrow(); // inherited keys are never read
    expect(validatePpoConfig(Object.create({ num_envs: 3 }) as Record<string, unknown>, 'x').num_envs).toBe(16);
    expect(() => validatePpoConfig({ learning_rat: 1 }, 'config.json')).toThrow(/config\.json: unknown PPO key "learning_rat"/);
    expect(() => validatePpoConfig({ gamma: 1.5 }, 'x')).toThrow(/gamma must be a number in \[0, 1\]/);
    expect(() => validatePpoConfig({ learning_rate: 0 }, 'x')).toThrow(/learning_rate/);
    expect(() => validatePpoConfig({ num_epochs: 2.5 }, 'x')).toThrow(/num_epochs must be an integer/);
    expect(() => validatePpoConfig({ activation: 'relu' }, 'x')).toThrow(/activation must be one of tanh, elu/);
    expect(() => validatePpoConfig({ normalize_obs: 'yes' }, 'x')).toThrow(/normalize_obs/);
    expect(() => validatePpoConfig({ critic_hidden: '64,,64' }, 'x')).toThrow(/critic_hidden/);
    expect(() => validatePpoConfig({ num_envs: 2, num_steps: 8 }, 'x')).toThrow(/minibatch_size 256 exceeds/);
    expect(() => validatePpoConfig({ init_log_std: 3 }, 'x')).toThrow(/init_log_std/);
  });
});

describe('PPO', () => {
  it('guards the call order and the rollout buffer', async () => {
    const { ppo, env } = smallPpo(new CpuBackend());
    await expect(ppo.processEnvStep(env.rewards, env.terminated, env.truncated, env.terminalObs)).rejects.toThrow(/without a preceding act/);
    await ppo.act(env.obs);
    await expect(ppo.act(env.obs)).rejects.toThrow(/twice/);
    await ppo.processEnvStep(env.rewards, env.terminated, env.truncated, env.terminalObs);
    await expect(ppo.update()).rejects.toThrow(/before computeReturns/);
    await expect(ppo.computeReturns(env.obs)).rejects.toThrow(/1 of 8 steps/);
    for (let t = 1; t < 8; t++) {
      await ppo.act(env.obs);
      await ppo.processEnvStep(env.rewards, env.terminated, env.truncated, env.terminalObs);
    }
    await expect(ppo.act(env.obs)).rejects.toThrow(/storage full/);
    const bad = Float32Array.from(env.obs);
    bad[2 * OBS + 1] = NaN;
    await expect(ppo.computeReturns(bad)).rejects.toThrow(/observation 1 of env 2 is NaN/);
  });

  it('learns on the point-mass task: the return improves', async () => {
    const seed = randomSeed();
    const { first, last } = await pointMassLearning(new CpuBackend(), seed);
    expect(last, `seed ${seed}`).toBeGreaterThan(first * 0.5); // rewards are negative: the cost at least halves
  });

  it('resumes bit for bit from getState, including the random stream', async () => {
    const seed = randomSeed();
    const a = smallPpo(new CpuBackend(), {}, seed);
    await iterate(a.ppo, a.env);
    await iterate(a.ppo, a.env);
    const state = await a.ppo.getState();
    const envCopy = a.env.clone();
    const b = smallPpo(new CpuBackend(), {}, seed + 1);
    b.ppo.setState(structuredClone(state));
    const [sa, sb] = [await iterate(a.ppo, a.env), await iterate(b.ppo, envCopy)];
    expect(sb).toEqual(sa);
    const [pa, pb] = [await a.ppo.getState(), await b.ppo.getState()];
    expect(Array.from(pb.params)).toEqual(Array.from(pa.params));
    expect(Array.from(pb.adam.v)).toEqual(Array.from(pa.adam.v));
    expect(pb.iteration).toBe(3);
    expect(pb.rng).toEqual(pa.rng);
    expect(() => smallPpo(new CpuBackend(), { actor_hidden: [8] }).ppo.setState(state)).toThrow(/parameters/);
    // warm start: same policy outputs, fresh optimizer
    const c = smallPpo(new CpuBackend(), {}, seed + 2);
    c.ppo.loadWeights(pa);
    const probe = Float32Array.from({ length: 2 * OBS }, () => Math.random());
    expect(Array.from(await c.ppo.actDeterministic(probe))).toEqual(Array.from(await a.ppo.actDeterministic(probe)));
    expect((await c.ppo.getState()).adam.step).toBe(0);
  });

  it('rolls back an update whose gradients turn NaN and reports it; the next update proceeds', async () => {
    let poison = false;
    const cpu = new CpuBackend();
    const backend: Backend = new Proxy(cpu, {
      get(target, prop, receiver) {
        if (prop === 'ppoLoss') {
          return (...args: Parameters<Backend['ppoLoss']>) => {
            target.ppoLoss(...args);
            if (poison) target.fill(args[2].gradMean, NaN);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const { ppo, env } = smallPpo(backend, { lr_schedule: 'fixed' }, randomSeed());
    await iterate(ppo, env);
    const before = await ppo.getState();
    poison = true;
    const bad = await iterate(ppo, env);
    expect(bad.nonfinite).toBe(true);
    const after = await ppo.getState();
    expect(Array.from(after.params)).toEqual(Array.from(before.params));
    expect(Array.from(after.adam.m)).toEqual(Array.from(before.adam.m));
    expect(after.adam.step).toBe(before.adam.step);
    poison = false;
    const good = await iterate(ppo, env);
    expect(good.nonfinite).toBe(false);
    expect(Number.isFinite(good.policy_loss) && Number.isFinite(good.grad_norm)).toBe(true);
  });

  it('keeps the log-std inside its bounds', async () => {
    const { ppo, env } = smallPpo(new CpuBackend(), { entropy_coef: 5, learning_rate: 0.05, lr_schedule: 'fixed', log_std_max: 0.5 });
    let s = await iterate(ppo, env);
    for (let i = 0; i < 3; i++) s = await iterate(ppo, env);
    expect(s.action_std).toBeCloseTo(Math.exp(0.5), 5);
  });

  it('anneals the learning rate linearly over total_iterations', async () => {
    const { ppo, env } = smallPpo(new CpuBackend(), { learning_rate: 0.002, total_iterations: 4 });
    const lrs: number[] = [];
    for (let i = 0; i < 5; i++) lrs.push((await iterate(ppo, env)).learning_rate);
    expectCloseArray(lrs, [0.002, 0.0015, 0.001, 0.0005, 0]);
  });

  it('adaptive schedule: ÷1.5 above 2× the target KL, ×1.5 below half of it, within [1e-5, 1e-2]', () => {
    const s = new LrSchedule('adaptive', 1e-3, 10, 0.01);
    expect(s.observeKl(0.03)).toBeCloseTo(1e-3 / 1.5, 12);
    expect(s.observeKl(0.01)).toBeCloseTo(1e-3 / 1.5, 12);
    expect(s.observeKl(0.001)).toBeCloseTo(1e-3, 12);
    for (let i = 0; i < 30; i++) s.observeKl(0.001);
    expect(s.current).toBe(1e-2);
    for (let i = 0; i < 60; i++) s.observeKl(1);
    expect(s.current).toBe(1e-5);
    expect(s.observeKl(NaN)).toBe(1e-5);
  });

  it('actDeterministic is the exported actor applied on the host, and leaves the statistics alone', async () => {
    const { ppo, env } = smallPpo(new CpuBackend(), {}, randomSeed());
    await iterate(ppo, env);
    const stateBefore = await ppo.normalizer.getState();
    const obs = Float32Array.from({ length: 5 * OBS }, () => 2 * Math.random() - 1);
    const got = await ppo.actDeterministic(obs);
    expect(Array.from(await ppo.actDeterministic(obs))).toEqual(Array.from(got));
    expect((await ppo.normalizer.getState()).count).toBe(stateBefore.count);
    const w = await ppo.actorWeights();
    const n = w.obsNormalizer!;
    const want: number[] = [];
    for (let r = 0; r < 5; r++) {
      let h = Array.from({ length: OBS }, (_, j) => Math.max(-n.clip, Math.min(n.clip, (obs[r * OBS + j]! - n.mean[j]!) / Math.sqrt(n.var[j]! + n.eps))));
      w.layers.forEach((l, li) => {
        h = Array.from({ length: l.outDim }, (_, o) => {
          const z = h.reduce((s, x, k) => s + x * l.weight[k * l.outDim + o]!, l.bias[o]!);
          return li < w.layers.length - 1 ? Math.tanh(z) : z;
        });
      });
      want.push(...h);
    }
    expectCloseArray(Array.from(got), want, 1e-5);
  });
});

function expectCloseArray(a: number[], b: number[], tol = 1e-12): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol));
}
