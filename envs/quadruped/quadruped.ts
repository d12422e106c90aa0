/**
 * quadruped: legged_gym-style velocity tracking on flat ground, for any legged robot whose
 * contract has a `locomotion` section (docs/robots.md): `robots/quadruped.json` by default, any
 * other with `--robot FILE.json`. The policy sees the base velocities, projected gravity, the
 * velocity command, joint state and its last action (12 + 3 × joints numbers, legged_gym's
 * order and scales) and sets joint position offsets from the default pose; the reward is
 * legged_gym's sum of weighted terms (A1 configuration), each multiplied by the control period.
 * Episodes last 20 s and end early when a terminating link touches the ground, the base drops
 * below a fraction of its nominal height, or roll or pitch exceeds 1 rad. Every joint and link
 * name, the gains, the default pose and the nominal height come from the robot contract.
 */
import type { SignalSpec, TaskSpec } from '../../src/task/task.ts';
import { loadRobotSpec, type LoadedRobotSpec, type LocomotionSpec } from '../../src/robot/robot_spec.ts';
import { randomization, signal } from '../common.ts';
import { QuadrupedEnv } from './quadruped_env.ts';
import { QUADRUPED_COMMANDS, QUADRUPED_NOISE, QUADRUPED_OBS_SCALES, QUADRUPED_REWARD_TERMS } from './config.ts';

const S = QUADRUPED_OBS_SCALES;
const N = QUADRUPED_NOISE;

/**
 * An observed quantity in `unit`, times legged_gym's observation `scale`; `noise` is given in
 * `unit` (legged_gym's noise_scales) and declared in observed units, noise × scale, as
 * legged_gym's noise vector has it.
 */
function scaled(name: string, unit: string, scale: number, noise = 0): SignalSpec {
  return signal(name, unit, { scale, noise: noise * scale });
}

const xyz = ['x', 'y', 'z'] as const;

/** The observed numbers, legged_gym's order: 12 base and command numbers, then 3 per joint. */
export function observations(joints: readonly string[]): SignalSpec[] {
  return [
    ...xyz.map((a) => scaled(`base_lin_vel_${a}`, 'm/s', S.linVel, N.linVel)),
    ...xyz.map((a) => scaled(`base_ang_vel_${a}`, 'rad/s', S.angVel, N.angVel)),
    ...xyz.map((a) => scaled(`projected_gravity_${a}`, '1', 1, N.gravity)),
    scaled('command_vx', 'm/s', S.linVel),
    scaled('command_vy', 'm/s', S.linVel),
    scaled('command_yaw_rate', 'rad/s', S.angVel),
    ...joints.map((j) => scaled(`${j}_pos`, 'rad', S.dofPos, N.dofPos)),
    ...joints.map((j) => scaled(`${j}_vel`, 'rad/s', S.dofVel, N.dofVel)),
    // the policy's own previous action as it produced it (dimensionless): not a target in rad,
    // which the joint limits may have clamped
    ...joints.map((j) => signal(`${j}_last_action`, '1')),
  ];
}

/** The robot's locomotion section; a robot without one cannot run this task. */
export function requireLocomotion(spec: LoadedRobotSpec): LocomotionSpec {
  if (spec.control_mode !== 'position') throw new Error(`task quadruped: robot ${spec.name} (${spec.specPath}) uses ${spec.control_mode} control; the task sets joint position targets`);
  if (!spec.locomotion) throw new Error(`task quadruped: robot ${spec.name} (${spec.specPath}) has no "locomotion" section (base link, legs and feet, contact links, nominal base height: docs/robots.md)`);
  return spec.locomotion;
}

/**
 * The task on robot `robot` (a name in `robots/` or a contract's path): observation and action
 * layout from the contract's joints, pushes on its base link.
 */
export function quadrupedOn(robot: string): TaskSpec {
  const spec = loadRobotSpec(robot);
  const loco = requireLocomotion(spec);
  const joints = spec.joints.map((j) => j.name);
  return {
    name: 'quadruped',
    description: 'A legged robot (robots/quadruped.json, or --robot) tracks random (vx, vy, yaw rate) commands on flat ground (legged_gym flat)',
    robot,
    maxEpisodeSteps: 1000,
    observations: observations(joints),
    // joint target offsets from the default pose: rad = the joint's action_scale × action
    actions: spec.joints.map((j) => signal(`${j.name}_target_offset`, 'rad', { scale: j.action_scale })),
    rewardTerms: QUADRUPED_REWARD_TERMS,
    dr: randomization({
      friction: [0.5, 1.25],
      added_base_mass_kg: [-1, 1],
      motor_strength: [0.9, 1.1],
      latency_steps: [0, 1],
      obs_noise: [1, 1],
      push_interval_s: [8, 8],
      push_velocity: [1, 1],
      // the gap between simulated and real PD gains (Isaac Lab's actuator-gain randomization, ±20 %)
      kp_scale: [0.8, 1.2],
      kd_scale: [0.8, 1.2],
    }),
    commands: QUADRUPED_COMMANDS,
    envSpacingM: 3,
    pushLink: loco.base_link,
    training: {
      // rsl_rl's PPO settings for legged_gym (flat terrain: the 128-64-32 networks of its flat
      // configs); 512 envs instead of 4096 so a 2-core machine turns an iteration over in seconds
      total_env_steps: 30_000_000,
      num_workers: 'auto',
      checkpoint_every: 50,
      ppo: {
        num_envs: 512, num_steps: 24, num_epochs: 5, minibatch_size: 3072,
        actor_hidden: [128, 64, 32], critic_hidden: [128, 64, 32], activation: 'elu',
        learning_rate: 1e-3, lr_schedule: 'adaptive', desired_kl: 0.01,
        gamma: 0.99, gae_lambda: 0.95, clip_coef: 0.2, clip_value_loss: true, value_coef: 1.0,
        entropy_coef: 0.01, max_grad_norm: 1.0, init_log_std: 0,
      },
    },
    forRobot: quadrupedOn,
    create: (ctx) => new QuadrupedEnv(ctx, joints),
  };
}

/** The task on the project's own robot, `robots/quadruped.json`. */
export const quadruped: TaskSpec = quadrupedOn('quadruped');
