/**
 * The deployment contract: what metadata_props carry survives the file round trip, the graph has
 * the documented signature, and a policy is refused, with the mismatch named, by an env it was
 * not trained for or when its file contradicts itself.
 */
import { afterAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import { exportPolicy } from '../../src/onnx/export.ts';
import { decodeModel, encodeModel, metadataOf, OPSET_VERSION } from '../../src/onnx/graph.ts';
import { decodeMetadata, encodeMetadata, POLICY_FORMAT, POLICY_FORMAT_VERSION } from '../../src/onnx/metadata.ts';
import { OnnxPolicy, PolicyMismatchError } from '../../src/onnx/onnx_policy.ts';
import { getTask } from '../../envs/index.ts';
import { freshSeed, randomPpo, sourcesFor } from './helpers.ts';

const seed = freshSeed();
const opened: OnnxPolicy[] = [];
afterAll(async () => Promise.all(opened.map((p) => p.dispose())));

async function exportFor(task: string, postprocess: boolean) {
  const src = sourcesFor(task);
  const ppo = randomPpo(src.task.observations.length, src.task.actions.length, 'elu', seed);
  return { src, ...exportPolicy(await ppo.actorWeights(), src, { postprocess }) };
}

async function load(bytes: Uint8Array, name = 'test.onnx'): Promise<OnnxPolicy> {
  const p = await OnnxPolicy.fromBytes(bytes, name);
  opened.push(p);
  return p;
}

/** Re-encodes `bytes` with some metadata entries replaced (undefined removes the key). */
function withMetadata(bytes: Uint8Array, patch: Record<string, string | undefined>): Uint8Array {
  const model = decodeModel(bytes);
  const meta: Record<string, string | undefined> = { ...metadataOf(model), ...patch };
  model.metadataProps = Object.entries(meta).filter(([, v]) => v !== undefined).map(([key, value]) => onnxProto.onnx.StringStringEntryProto.create({ key, value }));
  return encodeModel(model);
}

describe(`policy contract (seed ${seed})`, () => {
  it('metadata round trip: every field the robot needs comes back from the file as written', async () => {
    for (const [task, postprocess] of [['quadruped', true], ['cartpole', false]] as const) {
      const { src, bytes, contract } = await exportFor(task, postprocess);
      const p = await load(bytes);
      expect(p.contract).toEqual(contract);
      const c = p.contract;
      const { task: t, robot: r } = src;
      expect(c).toMatchObject({ task: t.name, robot: r.name, obsDim: t.observations.length, actDim: t.actions.length, postprocess });
      expect(c.observations).toEqual(t.observations.map((o) => ({ name: o.name, unit: o.unit, scale: o.scale ?? 1 })));
      expect(c.actions).toEqual(t.actions.map((a) => ({ name: a.name, unit: a.unit, scale: a.scale ?? 1 })));
      expect(c.jointOrder).toEqual(r.joints.map((j) => j.name));
      expect(c.defaultJointPositions).toEqual(r.joints.map((j) => j.default_pos));
      expect(c.actionOffsets).toEqual(r.joints.map((j) => (r.control_mode === 'position' ? j.default_pos : 0)));
      expect(c).toMatchObject({ actionClip: r.action_clip, controlMode: r.control_mode, controlDtS: r.control_dt_s });
      expect(c.drRanges).toEqual(t.dr);
      expect(c).toMatchObject({ configHash: '0123456789abcdef', packageVersion: '0.1.0-test', gitRevision: 'deadbeef', trainingIterations: 7, trainingEnvSteps: 7168 });
      expect(c).toMatchObject({ activation: 'elu', hiddenSizes: [64, 48], obsNormalization: { clip: 10, eps: 1e-8 } });
      // the raw strings a non-sim2real reader sees
      const meta = metadataOf(decodeModel(bytes));
      expect(meta).toEqual(encodeMetadata(contract));
      expect(meta).toMatchObject({ format: POLICY_FORMAT, format_version: String(POLICY_FORMAT_VERSION), task: t.name, postprocess_baked: String(postprocess) });
      expect(JSON.parse(meta.observation_names!)).toEqual(t.observations.map((o) => o.name));
      expect(JSON.parse(meta.output_units!)).toEqual(postprocess ? t.actions.map((a) => a.unit) : t.actions.map(() => '1'));
    }
  });

  it('the graph: opset 17, input obs [batch, obs_dim] and output actions [batch, act_dim] float32', async () => {
    const { bytes } = await exportFor('reacher', false);
    const model = decodeModel(bytes);
    expect(model.opsetImport.map((o) => [o.domain ?? '', Number(o.version)])).toEqual([['', OPSET_VERSION]]);
    const graph = model.graph!;
    const sig = (v: onnx.IValueInfoProto) => [v.name, v.type?.tensorType?.elemType, v.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue))];
    const FLOAT = onnxProto.onnx.TensorProto.DataType.FLOAT;
    expect(graph.input!.map(sig)).toEqual([['obs', FLOAT, ['batch', 10]]]);
    expect(graph.output!.map(sig)).toEqual([['actions', FLOAT, ['batch', 2]]]);
    expect(graph.node!.map((n) => n.opType)).toEqual(['Sub', 'Div', 'Clip', 'Gemm', 'Elu', 'Gemm', 'Elu', 'Gemm']);
    const post = decodeModel((await exportFor('reacher', true)).bytes).graph!.node!.map((n) => n.opType);
    expect(post.slice(-3)).toEqual(['Clip', 'Mul', 'Add']);
    const p = await load(bytes);
    await expect(p.run(new Float32Array(7))).rejects.toThrow(/7 values is not a whole number of 10-wide observation rows/);
  });

  it('refuses an env it was not trained for, naming the mismatch', async () => {
    const p = await load((await exportFor('cartpole', false)).bytes, 'cartpole.onnx');
    const cartpole = getTask('cartpole');
    expect(() => p.checkEnv(cartpole)).not.toThrow();
    expect(() => p.checkEnv(getTask('reacher'))).toThrow(PolicyMismatchError);
    expect(() => p.checkEnv(getTask('reacher'))).toThrow('policy was trained for task cartpole (obs_dim 4, act_dim 1) but env reacher has obs_dim 10, act_dim 2');
    // same task name, other layout (e.g. a task file edited since training)
    const wider = { ...cartpole, observations: [...cartpole.observations, { name: 'pole_tip_x', unit: 'm' }] };
    expect(() => p.checkEnv(wider)).toThrow('policy for task cartpole has obs_dim 4 but env cartpole has obs_dim 5');
    const renamed = { ...cartpole, observations: cartpole.observations.map((o, i) => (i === 2 ? { ...o, name: 'pole_angle_deg' } : o)) };
    expect(() => p.checkEnv(renamed)).toThrow('observation 2 is pole_angle in the policy but pole_angle_deg in env cartpole');
    expect(() => p.checkEnv({ ...cartpole, robot: 'cartpole_v2' })).toThrow('policy was trained on robot cartpole but env cartpole uses robot cartpole_v2');
  });

  it('refuses a file whose graph contradicts its metadata, or that is not a sim2real policy', async () => {
    const { bytes } = await exportFor('cartpole', false);
    const five = JSON.stringify(['a', 'b', 'c', 'd', 'e']);
    const lying = withMetadata(bytes, { obs_dim: '5', observation_names: five, observation_units: five, observation_scales: '[1,1,1,1,1]' });
    await expect(OnnxPolicy.fromBytes(lying, 'lying.onnx')).rejects.toThrow('policy lying.onnx: input "obs" has shape [batch, 4], metadata says [batch, 5]');
    await expect(OnnxPolicy.fromBytes(withMetadata(bytes, { action_names: undefined }), 'x.onnx')).rejects.toThrow('policy x.onnx: policy metadata action_names: missing');
    await expect(OnnxPolicy.fromBytes(withMetadata(bytes, { format_version: '2' }), 'x.onnx')).rejects.toThrow(/format_version: 2 is newer than this sim2real reads \(1\)/);
    await expect(OnnxPolicy.fromBytes(withMetadata(bytes, { format: undefined }), 'x.onnx')).rejects.toThrow(/metadata format: missing/);
    expect(() => decodeMetadata({ ...metadataOf(decodeModel(bytes)), joint_order: '["slider","hinge"]' })).toThrow(/joint_order: expected 1 strings/);
    await expect(OnnxPolicy.fromBytes(new TextEncoder().encode('not a model at all'), 'junk.onnx')).rejects.toThrow(/policy junk\.onnx: /);
    await expect(OnnxPolicy.load('/nonexistent/p.onnx')).rejects.toThrow('policy /nonexistent/p.onnx: file not found or unreadable');
  });
});
