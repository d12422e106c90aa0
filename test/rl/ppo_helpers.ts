/** A tiny deterministic point-mass env and a driver loop for PPO unit tests (no physics). */
import type { Backend } from '../../src/backend/backend.ts';
import { PPO, type UpdateStats } from '../../src/rl/ppo.ts';
import { validatePpoConfig, type PpoConfig } from '../../src/rl/ppo_config.ts';
import { Rng } from '../../src/task/rng.ts';

export const OBS = 3;
export const ACT = 2;

/** N point masses on a plane pushed by the action; reward −|position|², truncated after 6 steps. */
export class PointEnv {
  readonly obs: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly terminalObs: Float32Array;
  private readonly t: Int32Array;

  constructor(readonly n: number) {
    this.obs = new Float32Array(n * OBS);
    this.rewards = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.terminalObs = new Float32Array(n * OBS);
    this.t = new Int32Array(n);
    for (let i = 0; i < n; i++) this.reset(i);
  }

  step(actions: Float32Array): void {
    for (let i = 0; i < this.n; i++) {
      const o = i * OBS;
      this.obs[o] = this.obs[o]! + 0.1 * Math.max(-1, Math.min(1, actions[i * ACT]!));
      this.obs[o + 1] = this.obs[o + 1]! + 0.1 * Math.max(-1, Math.min(1, actions[i * ACT + 1]!));
      this.obs[o + 2] = ++this.t[i]! / 6;
      this.rewards[i] = -(this.obs[o]! ** 2 + this.obs[o + 1]! ** 2);
      this.terminated[i] = Math.abs(this.obs[o]!) > 2 ? 1 : 0;
      this.truncated[i] = !this.terminated[i] && this.t[i]! >= 6 ? 1 : 0;
      if (this.terminated[i] || this.truncated[i]) {
        this.terminalObs.set(this.obs.subarray(o, o + OBS), o);
        this.reset(i);
      }
    }
  }

  /** An independent copy in the same state. */
  clone(): PointEnv {
    const c = new PointEnv(this.n);
    for (const k of ['obs', 'rewards', 'terminated', 'truncated', 'terminalObs', 't'] as const) c[k].set(this[k] as never);
    return c;
  }

  private reset(i: number): void {
    this.t[i] = 0;
    this.obs.set([Math.sin(i + 1), Math.cos(3 * i), 0], i * OBS);
  }
}

/** A small PPO on `PointEnv` (4 envs × 8 steps, minibatches of 8). */
export function smallPpo(backend: Backend, overrides: Record<string, unknown> = {}, seed = 7): { ppo: PPO; env: PointEnv; cfg: PpoConfig } {
  const cfg = validatePpoConfig({ num_envs: 4, num_steps: 8, minibatch_size: 8, num_epochs: 3, actor_hidden: [16, 16], critic_hidden: [16], ...overrides }, 'test');
  const env = new PointEnv(cfg.num_envs);
  return { ppo: new PPO(backend, { obsDim: OBS, actDim: ACT, numEnvs: cfg.num_envs }, cfg, new Rng(seed)), env, cfg };
}

/** One rollout + update. */
export async function iterate(ppo: PPO, env: PointEnv): Promise<UpdateStats> {
  for (let t = 0; t < ppo.cfg.num_steps; t++) {
    env.step(await ppo.act(env.obs));
    await ppo.processEnvStep(env.rewards, env.terminated, env.truncated, env.terminalObs);
  }
  await ppo.computeReturns(env.obs);
  return ppo.update();
}

/**
 * Trains a small PPO on the point-mass task for 40 iterations and returns the mean per-step
 * reward of the first three and of the last three iterations (both negative: a cost).
 */
export async function pointMassLearning(backend: Backend, seed: number): Promise<{ first: number; last: number }> {
  const { ppo, env } = smallPpo(backend, { num_steps: 32, minibatch_size: 32, learning_rate: 3e-3, lr_schedule: 'fixed' }, seed);
  const meanReward = () => env.rewards.reduce((s, r) => s + r, 0) / env.n;
  let first = 0, last = 0;
  for (let it = 0; it < 40; it++) {
    let sum = 0;
    for (let t = 0; t < 32; t++) {
      env.step(await ppo.act(env.obs));
      sum += meanReward();
      await ppo.processEnvStep(env.rewards, env.terminated, env.truncated, env.terminalObs);
    }
    await ppo.computeReturns(env.obs);
    const s = await ppo.update();
    if (s.nonfinite) throw new Error(`point-mass training: update ${it} was non-finite (seed ${seed})`);
    if (it < 3) first += sum / 3;
    if (it >= 37) last += sum / 3;
  }
  return { first, last };
}
