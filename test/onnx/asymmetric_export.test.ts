/**
 * A task with an asymmetric critic (quadruped_rough) exports the actor alone: the ONNX graph
 * takes the actor's observations, its contract names only them (nothing privileged), and it
 * gives the trainer's deterministic actions.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { exportPolicy } from '../../src/onnx/export.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import { PPO } from '../../src/rl/ppo.ts';
import { validatePpoConfig } from '../../src/rl/ppo_config.ts';
import { Rng } from '../../src/task/rng.ts';
import { sourcesFor } from './helpers.ts';

describe('export with an asymmetric critic', () => {
  const sources = sourcesFor('quadruped_rough');
  const task = sources.task;
  const obsDim = task.observations.length, criticObsDim = task.criticObservations!.length, actDim = task.actions.length;
  const cfg = validatePpoConfig({ num_envs: 2, num_steps: 4, minibatch_size: 4, actor_hidden: [16], critic_hidden: [16] }, 'test');
  const ppo = new PPO(new CpuBackend(), { obsDim, actDim, numEnvs: 2, criticObsDim }, cfg, new Rng(Math.floor(Math.random() * 1e9)));
  const policies: OnnxPolicy[] = [];
  afterAll(async () => { for (const p of policies) await p.dispose(); });

  it('writes the actor on the actor\'s observations only', async () => {
    expect(criticObsDim).toBeGreaterThan(obsDim);
    // a rollout step feeds the normalizers both groups
    await ppo.act(Float32Array.from({ length: 2 * obsDim }, () => Math.random()), Float32Array.from({ length: 2 * criticObsDim }, () => Math.random()));
    const { bytes, contract } = exportPolicy(await ppo.actorWeights(), sources, { postprocess: false });
    expect(contract.obsDim).toBe(obsDim);
    const names = contract.observations.map((o) => o.name);
    expect(names).toEqual(task.observations.map((s) => s.name));
    for (const privileged of ['friction', 'added_base_mass', 'motor_strength']) expect(names).not.toContain(privileged);
    expect(names.some((n) => n.startsWith('height_scan'))).toBe(false);
    const p = await OnnxPolicy.fromBytes(bytes, 'quadruped_rough');
    policies.push(p);
    const obs = Float32Array.from({ length: 3 * obsDim }, () => 2 * Math.random() - 1);
    const [onnx, host] = [await p.run(obs), await ppo.actDeterministic(obs)];
    for (let i = 0; i < host.length; i++) expect(onnx[i]).toBeCloseTo(host[i]!, 4);
  });
});
