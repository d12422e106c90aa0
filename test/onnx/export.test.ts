/**
 * The exported graph computes what the trainer's actor computes: ONNX (onnxruntime-node) against
 * PPO's deterministic forward pass on the CPU reference backend, on fresh random observations.
 *
 * Tolerance: |onnx − ts| ≤ 1e-5 · (|ts| + s_k), i.e. 1e-5 relative, with a floor of 1e-5 of the
 * output's typical size s_k (the root mean square of output k over a 1024-row batch), because
 * float32 sums of 64 terms round to ~1e-7 of the terms, not of a result that cancels to near 0.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Activation } from '../../src/backend/backend.ts';
import { Rng } from '../../src/task/rng.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { NOMINAL } from '../../src/task/randomize.ts';
import { exportPolicy } from '../../src/onnx/export.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import type { PPO } from '../../src/rl/ppo.ts';
import { freshSeed, randomObs, randomPpo, sourcesFor } from './helpers.ts';

const RTOL = 1e-5;
const seed = freshSeed();
const policies: OnnxPolicy[] = [];
afterAll(async () => Promise.all(policies.map((p) => p.dispose())));

/** The env's own action arithmetic, from the robot spec: offset + scale · clip(a, ±clip). */
function envCommands(raw: Float32Array, src: ReturnType<typeof sourcesFor>): Float64Array {
  const { robot } = src;
  const A = robot.joints.length, c = robot.action_clip;
  return Float64Array.from(raw, (a, i) => {
    const j = robot.joints[i % A]!;
    return (robot.control_mode === 'position' ? j.default_pos : 0) + j.action_scale * Math.max(-c, Math.min(c, a));
  });
}

/** Root mean square of each of the A columns of y. */
function columnRms(y: ArrayLike<number>, A: number): Float64Array {
  const s = new Float64Array(A), rows = y.length / A;
  for (let i = 0; i < y.length; i++) s[i % A]! += y[i]! ** 2 / rows;
  return s.map(Math.sqrt);
}

/** Largest |a − b| / (|b| + scale_k) over all entries. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>, scale: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + scale[i % scale.length]!));
  return w;
}

async function exported(ppo: PPO, task: string, postprocess: boolean): Promise<OnnxPolicy> {
  const { bytes } = exportPolicy(await ppo.actorWeights(), sourcesFor(task), { postprocess });
  const p = await OnnxPolicy.fromBytes(bytes, `${task}${postprocess ? ' (post-processed)' : ''}`);
  policies.push(p);
  return p;
}

describe(`ONNX export matches the TypeScript actor (seed ${seed})`, () => {
  // cartpole: effort control, clip 1 (often active here); quadruped: position control, default offsets
  const cases = ['cartpole', 'quadruped'].flatMap((task) => (['tanh', 'elu'] as Activation[]).map((activation) => ({ task, activation })));

  it.each(cases)('$task, $activation: batch 1 and 1024, raw and post-processed', async ({ task, activation }) => {
    const src = sourcesFor(task);
    const D = src.task.observations.length, A = src.task.actions.length;
    const ppo = randomPpo(D, A, activation, seed);
    const w = await ppo.actorWeights();
    const raw = await exported(ppo, task, false);
    const post = await exported(ppo, task, true);
    const rng = new Rng(seed, 2);
    const big = randomObs(1024, w.obsNormalizer!.mean, w.obsNormalizer!.var, rng);
    const tsBig = await ppo.actDeterministic(big);
    const rawScale = columnRms(tsBig, A);
    const postScale = columnRms(envCommands(tsBig, src), A);
    for (const obs of [big, randomObs(1, w.obsNormalizer!.mean, w.obsNormalizer!.var, rng)]) {
      const ts = await ppo.actDeterministic(obs);
      expect(worst(await raw.run(obs), ts, rawScale), 'raw actions').toBeLessThanOrEqual(RTOL);
      expect(worst(await post.run(obs), envCommands(ts, src), postScale), 'post-processed actions').toBeLessThanOrEqual(RTOL);
      // undoing the baked post-processing gives the env the raw action (clipped: the env clips anyway)
      const clipped = ts.map((a) => Math.max(-src.robot.action_clip, Math.min(src.robot.action_clip, a)));
      expect(worst(await post.envActions(obs), clipped, rawScale), 'post-processing undone').toBeLessThanOrEqual(RTOL);
    }
  });

  it('without a normalizer the graph starts at the MLP and still matches', async () => {
    const ppo = randomPpo(10, 2, 'tanh', seed, false);
    const p = await exported(ppo, 'reacher', false);
    const obs = Float32Array.from({ length: 64 * 10 }, () => Math.random() * 4 - 2);
    const ts = await ppo.actDeterministic(obs);
    expect(p.contract.obsNormalization).toBeNull();
    expect(worst(await p.run(obs), ts, columnRms(ts, 2))).toBeLessThanOrEqual(RTOL);
  });

  it.each([
    { task: 'cartpole', what: 'effort commands (N), clipped at ±1 action' },
    { task: 'quadruped', what: 'joint position targets (rad) around the default pose' },
  ])('$task: the post-processed output is the motor command the simulator applies ($what)', async ({ task }) => {
    const src = sourcesFor(task);
    const D = src.task.observations.length, A = src.task.actions.length;
    const ppo = randomPpo(D, A, 'tanh', seed);
    if (task === 'quadruped') {
      // keep the targets inside the joint limits (the robot clamps targets there; the policy does not)
      const s = await ppo.getState();
      const head = ppo.ac.actor.layers.at(-1)!;
      for (let i = head.wOffset; i < head.bOffset + head.outDim; i++) s.params[i] = s.params[i]! * 0.05;
      ppo.loadWeights(s);
    }
    const raw = await exported(ppo, task, false);
    const post = await exported(ppo, task, true);
    const group = await EnvGroup.create({ task: src.task, numEnvs: 4, firstEnvIndex: 0, seed, dr: { ...NOMINAL } });
    try {
      const obs = group.buffers.obs.slice();
      group.buffers.actions.set(await raw.run(obs));
      group.step();
      const applied = new Float64Array(4 * A);
      for (let i = 0; i < 4; i++) group.robot(i).readCommands(applied.subarray(i * A, (i + 1) * A));
      const scale = src.robot.joints.map((j) => j.action_scale * 1e-2);
      const out = await post.run(obs);
      expect(worst(out, applied, scale)).toBeLessThanOrEqual(RTOL);
    } finally {
      group.dispose();
    }
  });
});
