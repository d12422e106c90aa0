/** The optional `bridge` object of robots/<name>.json: defaults when absent, each field checked and named. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadRobotSpec, validateRobotSpec } from '../../src/robot/robot_spec.ts';

const base = () => JSON.parse(readFileSync('robots/pendulum.json', 'utf8')) as Record<string, unknown>;
const withBridge = (bridge: unknown) => validateRobotSpec({ ...base(), bridge }, 'test.json');

describe('robot spec bridge settings', () => {
  it('is optional, and the shipped robots load', () => {
    expect(validateRobotSpec(base(), 'pendulum.json').bridge).toBeUndefined();
    for (const name of ['cartpole', 'pendulum', 'reacher', 'quadruped']) expect(loadRobotSpec(name).name).toBe(name);
    expect(loadRobotSpec('cartpole').bridge?.observation_sources?.pole_angle).toBe('position[hinge]');
  });

  it('accepts every field', () => {
    const b = {
      observation_topic: '/robot/joint_states', command_topic: '/robot/cmd', command_type: 'trajectory_msgs/JointTrajectory',
      imu_topic: '/imu/data', base_velocity_topic: '/odom_twist', cmd_vel_topic: '/cmd_vel', estop_topic: '/estop',
      observation_sources: { theta: 'position[hinge]' }, max_command_step: [0.5], max_abs_observation: 50,
    };
    expect(withBridge(b).bridge).toEqual(b);
    expect(withBridge({ max_command_step: 2 }).bridge).toEqual({ max_command_step: 2 });
  });

  it('names the field at fault', () => {
    expect(() => withBridge([])).toThrow(/bridge: must be an object/);
    expect(() => withBridge({ topic: '/x' })).toThrow(/bridge\.topic: unknown key/);
    expect(() => withBridge({ command_topic: 'joint_commands' })).toThrow(/bridge\.command_topic: must be a ROS topic name/);
    expect(() => withBridge({ command_type: 'std_msgs/String' })).toThrow(/bridge\.command_type/);
    expect(() => withBridge({ observation_sources: { a: 3 } })).toThrow(/bridge\.observation_sources/);
    expect(() => withBridge({ max_command_step: [1, 2] })).toThrow(/bridge\.max_command_step: must be a number > 0 or 1 numbers/);
    expect(() => withBridge({ max_command_step: -1 })).toThrow(/bridge\.max_command_step/);
    expect(() => withBridge({ max_abs_observation: 0 })).toThrow(/bridge\.max_abs_observation/);
  });
});
