/**
 * A policy's robot: its contract carries the joints' gains next to their order and default pose
 * (older files without them still load), and a robot contract that is not the policy's — another
 * robot, or the same robot with its joints in another order — is refused, naming the first
 * difference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { exportPolicy } from '../../src/onnx/export.ts';
import { decodeModel, encodeModel, metadataOf } from '../../src/onnx/graph.ts';
import { decodeMetadata } from '../../src/onnx/metadata.ts';
import { OnnxPolicy, PolicyMismatchError, robotMismatch } from '../../src/onnx/onnx_policy.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { Rng } from '../../src/task/rng.ts';
import { freshSeed, randomPpo, sourcesFor } from './helpers.ts';

const seed = freshSeed();
const opened: OnnxPolicy[] = [];
afterAll(async () => Promise.all(opened.map((p) => p.dispose())));

async function quadrupedPolicy(): Promise<{ bytes: Uint8Array; policy: OnnxPolicy }> {
  const src = sourcesFor('quadruped');
  const ppo = randomPpo(src.task.observations.length, src.task.actions.length, 'elu', seed);
  const { bytes } = exportPolicy(await ppo.actorWeights(), src, { postprocess: false });
  const policy = await OnnxPolicy.fromBytes(bytes, 'q.onnx');
  opened.push(policy);
  return { bytes, policy };
}

describe(`a policy's robot (seed ${seed})`, () => {
  it('the contract carries each joint\'s Kp and Kd in action order; a file without them still loads', async () => {
    const spec = loadRobotSpec('quadruped');
    const { bytes, policy } = await quadrupedPolicy();
    expect(policy.contract.jointKp).toEqual(spec.joints.map((j) => j.kp));
    expect(policy.contract.jointKd).toEqual(spec.joints.map((j) => j.kd));
    const props = metadataOf(decodeModel(bytes));
    expect(JSON.parse(props.joint_kp!)).toEqual(spec.joints.map((j) => j.kp));
    const { joint_kp: _kp, joint_kd: _kd, ...older } = props;
    const model = decodeModel(bytes);
    model.metadataProps = Object.entries(older).map(([key, value]) => onnxProto.onnx.StringStringEntryProto.create({ key, value }));
    const old = decodeMetadata(metadataOf(decodeModel(encodeModel(model))));
    expect(old.jointKp).toBeUndefined();
    expect(old.jointOrder).toEqual(policy.contract.jointOrder);
    expect(() => decodeMetadata({ ...props, joint_kd: '[1, 2]' })).toThrow(/policy metadata joint_kd: expected 12 numbers/);
  });

  it('fits its own robot; another robot is named', async () => {
    const { policy } = await quadrupedPolicy();
    expect(() => policy.checkRobot(loadRobotSpec('quadruped'))).not.toThrow();
    const a1 = loadRobotSpec('a1');
    expect(() => policy.checkRobot(a1)).toThrow(PolicyMismatchError);
    expect(() => policy.checkRobot(a1)).toThrow(`the policy is for robot quadruped, not for robot a1 (${a1.specPath})`);
  });

  it('the same robot with its joints in another order names the first joint that differs', async () => {
    const { policy } = await quadrupedPolicy();
    const rng = new Rng(seed, 2);
    const joints = loadRobotSpec('quadruped').joints.map((j) => ({ name: j.name }));
    // swap two joints i < k drawn fresh: joint i is the first difference
    const i = rng.int(0, 10), k = rng.int(i + 1, 11);
    const swapped = [...joints];
    [swapped[i], swapped[k]] = [swapped[k]!, swapped[i]!];
    const robot = { name: 'quadruped', joints: swapped, control_mode: 'position' };
    expect(() => policy.checkRobot(robot), `i ${i}, k ${k}`).toThrow(`joint ${i} is ${joints[i]!.name} in the policy but ${joints[k]!.name} in robot quadruped: the joint order differs`);
    expect(robotMismatch(policy.contract, { ...robot, joints: joints.slice(0, 11) })).toBe(`joint 11 is ${joints[11]!.name} in the policy but (none) in robot quadruped: the joint order differs`);
    expect(robotMismatch(policy.contract, { name: 'quadruped', joints, control_mode: 'effort' })).toBe('the policy uses position control, robot quadruped effort control');
    expect(robotMismatch(policy.contract, { name: 'quadruped', joints, control_mode: 'position' })).toBeNull();
  });
});
