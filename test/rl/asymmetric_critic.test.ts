/**
 * An asymmetric critic (`PpoDims.criticObsDim`): the critic's network takes the critic's own
 * observations and its values follow them, not the actor's; the actor, its weights for export
 * and its actions are the actor's alone; an asymmetric trainer resumes bit for bit and refuses
 * to run without its critic observations.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { PPO } from '../../src/rl/ppo.ts';
import { validatePpoConfig } from '../../src/rl/ppo_config.ts';
import { Rng } from '../../src/task/rng.ts';
import { ACT, OBS, PointEnv } from './ppo_helpers.ts';

/** Privileged critic input: the actor's 3 numbers plus the squared distance and 4 numbers set by `extra`. */
const CRITIC = OBS + 5;

function criticRows(env: PointEnv, extra = 0): Float32Array {
  const out = new Float32Array(env.n * CRITIC);
  for (let i = 0; i < env.n; i++) {
    for (let k = 0; k < OBS; k++) out[i * CRITIC + k] = env.obs[i * OBS + k]!;
    out[i * CRITIC + OBS] = env.obs[i * OBS]! ** 2 + env.obs[i * OBS + 1]! ** 2;
    for (let k = 1; k < 5; k++) out[i * CRITIC + OBS + k] = Math.sin(i * k + extra);
  }
  return out;
}

function make(seed: number) {
  const cfg = validatePpoConfig({ num_envs: 4, num_steps: 8, minibatch_size: 8, num_epochs: 3, actor_hidden: [16, 16], critic_hidden: [16] }, 'test');
  return { ppo: new PPO(new CpuBackend(), { obsDim: OBS, actDim: ACT, numEnvs: 4, criticObsDim: CRITIC }, cfg, new Rng(seed)), env: new PointEnv(4) };
}

async function iterate(ppo: PPO, env: PointEnv) {
  for (let t = 0; t < ppo.cfg.num_steps; t++) {
    // terminal critic rows: the terminal observation with its own distance
    const term = new PointEnv(env.n);
    term.obs.set(env.terminalObs);
    env.step(await ppo.act(env.obs, criticRows(env)));
    term.obs.set(env.terminalObs);
    await ppo.processEnvStep(env.rewards, env.terminated, env.truncated, env.terminalObs, criticRows(term));
  }
  await ppo.computeReturns(env.obs, criticRows(env));
  return ppo.update();
}

const seed = () => Math.floor(Math.random() * 1e9);

describe('asymmetric critic', () => {
  it('sizes the critic by its group and the actor (and what export gets) by the actor\'s', async () => {
    const { ppo } = make(seed());
    expect(ppo.ac.critic.layers[0]!.inDim).toBe(CRITIC);
    expect(ppo.ac.actor.layers[0]!.inDim).toBe(OBS);
    const w = await ppo.actorWeights();
    expect(w.layers[0]!.inDim).toBe(OBS);
    expect(w.obsNormalizer!.mean.length).toBe(OBS);
  });

  it('takes values from the critic observations: same actions, other values when only they change', async () => {
    const s = seed();
    const a = make(s), b = make(s);
    const actA = await a.ppo.act(a.env.obs, criticRows(a.env, 0));
    const actB = await b.ppo.act(b.env.obs, criticRows(b.env, 3));
    expect(Array.from(actB)).toEqual(Array.from(actA));
    const [va, vb] = [await a.ppo.backend.download(a.ppo.storage.data.values), await b.ppo.backend.download(b.ppo.storage.data.values)];
    expect(Array.from(vb.subarray(0, 4))).not.toEqual(Array.from(va.subarray(0, 4)));
  });

  it('trains, and resumes bit for bit with the critic\'s statistics', async () => {
    const s = seed();
    const a = make(s);
    await iterate(a.ppo, a.env);
    const state = await a.ppo.getState();
    expect(state.criticObsNormalizer!.mean.length).toBe(CRITIC);
    const envCopy = a.env.clone();
    const b = make(s + 1);
    b.ppo.setState(structuredClone(state));
    const [sa, sb] = [await iterate(a.ppo, a.env), await iterate(b.ppo, envCopy)];
    expect(sa.nonfinite).toBe(false);
    expect(sb).toEqual(sa);
    expect(Array.from((await b.ppo.getState()).params)).toEqual(Array.from((await a.ppo.getState()).params));
  });

  it('refuses to act or bootstrap without critic observations, and a state of another critic', async () => {
    const { ppo, env } = make(seed());
    await expect(ppo.act(env.obs)).rejects.toThrow(/critic observations/);
    const cfg = validatePpoConfig({ num_envs: 4, num_steps: 8, minibatch_size: 8, num_epochs: 3, actor_hidden: [16, 16], critic_hidden: [16] }, 'test');
    const plain = new PPO(new CpuBackend(), { obsDim: OBS, actDim: ACT, numEnvs: 4 }, cfg, new Rng(1));
    const [asym, sym] = [await ppo.getState(), await plain.getState()];
    expect(() => plain.setState(asym)).toThrow(/critic observations/);
    expect(() => ppo.setState(sym)).toThrow(/critic observations/);
  });
});
