/**
 * The shared task helpers whose mistakes would reach policy metadata: signal declarations
 * (scale and noise) and the check that declared action scales are the robot's.
 */
import { describe, expect, it } from 'vitest';
import { loadRapier } from '../../src/sim/rapier.ts';
import { buildRobot, createWorld } from '../../src/sim/build/build.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { expectActionScales, jointSignals, requireMovableJoint, signal } from '../../envs/common.ts';

describe('signal', () => {
  it('keeps units physical and carries scale and noise only when they differ from the defaults', () => {
    const scale = 0.01 + Math.random();
    const noise = Math.random();
    expect(signal('v', 'm/s')).toEqual({ name: 'v', unit: 'm/s' });
    expect(signal('v', 'm/s', { scale: 1, noise: 0 })).toEqual({ name: 'v', unit: 'm/s' });
    expect(signal('v', 'm/s', { scale, noise })).toEqual({ name: 'v', unit: 'm/s', scale, noise });
    expect(jointSignals(['a', 'b'], 'pos', 'rad', { scale })).toEqual([
      { name: 'a_pos', unit: 'rad', scale },
      { name: 'b_pos', unit: 'rad', scale },
    ]);
  });

  it('rejects a zero or non-finite scale and a negative noise, naming the signal', () => {
    expect(() => signal('q', 'rad', { scale: 0 })).toThrow(/signal q: scale 0/);
    expect(() => signal('q', 'rad', { scale: NaN })).toThrow(/signal q: scale NaN/);
    expect(() => signal('q', 'rad', { noise: -0.1 })).toThrow(/signal q: noise -0.1/);
  });
});

describe('robot checks', () => {
  it('accepts actions whose scale is the joint action_scale, and names the mismatch otherwise', async () => {
    const R = await loadRapier();
    const spec = loadRobotSpec('reacher');
    const world = createWorld(R, { dtS: spec.physics_dt_s });
    try {
      const robot = buildRobot(R, world, loadUrdf(spec.urdfPath), spec, { origin: [0, 0, 0] });
      expect(() => expectActionScales(robot, 't', [signal('s', 'N·m', { scale: 0.3 }), signal('e', 'N·m', { scale: 0.1 })])).not.toThrow();
      expect(() => expectActionScales(robot, 't', [signal('s', 'N·m', { scale: 0.3 }), signal('e', 'N·m')])).toThrow(/task t: action e declares scale 1.*elbow has action_scale 0.1/);
      expect(requireMovableJoint(robot, 't', 'elbow')).toBe(robot.movableJointNames.indexOf('elbow'));
      expect(() => requireMovableJoint(robot, 't', 'knee')).toThrow(/task t: .*no movable joint "knee"/);
    } finally {
      world.free();
    }
  });
});
