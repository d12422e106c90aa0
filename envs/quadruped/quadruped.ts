/**
 * quadruped: legged_gym-style velocity tracking on flat ground for the 12-DoF A1-class robot
 * in `robots/quadruped.urdf`. The policy sees the base velocities, projected gravity, the
 * velocity command, joint state and its last action (48 numbers, legged_gym's order and
 * scales) and sets joint position offsets from the default pose; the reward is legged_gym's
 * sum of weighted terms (A1 configuration), each multiplied by the control period.
 * Episodes last 20 s and end early when the trunk touches the ground, the base drops below
 * 0.15 m, or roll or pitch exceeds 1 rad.
 */
import type { SignalSpec, TaskSpec } from '../../src/task/task.ts';
import { jointSignals, randomization, signal } from '../common.ts';
import { QuadrupedEnv } from './quadruped_env.ts';
import { QUADRUPED_ACTION_SCALE, QUADRUPED_COMMANDS, QUADRUPED_JOINTS, QUADRUPED_NOISE, QUADRUPED_OBS_SCALES, QUADRUPED_REWARD_TERMS } from './config.ts';

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

/**
 * Actions: joint target offsets from the default pose, rad = 0.25 × action (the joints'
 * `action_scale`, checked when an env is created).
 */
const actions = jointSignals(QUADRUPED_JOINTS, 'target_offset', 'rad', { scale: QUADRUPED_ACTION_SCALE });

/** The 48 observed numbers, legged_gym's order. */
const observations: SignalSpec[] = [
  ...xyz.map((a) => scaled(`base_lin_vel_${a}`, 'm/s', S.linVel, N.linVel)),
  ...xyz.map((a) => scaled(`base_ang_vel_${a}`, 'rad/s', S.angVel, N.angVel)),
  ...xyz.map((a) => scaled(`projected_gravity_${a}`, '1', 1, N.gravity)),
  scaled('command_vx', 'm/s', S.linVel),
  scaled('command_vy', 'm/s', S.linVel),
  scaled('command_yaw_rate', 'rad/s', S.angVel),
  ...QUADRUPED_JOINTS.map((j) => scaled(`${j}_pos`, 'rad', S.dofPos, N.dofPos)),
  ...QUADRUPED_JOINTS.map((j) => scaled(`${j}_vel`, 'rad/s', S.dofVel, N.dofVel)),
  // the policy's own previous action as it produced it (dimensionless): not a target in rad,
  // which the joint limits may have clamped
  ...jointSignals(QUADRUPED_JOINTS, 'last_action', '1'),
];

/** The task. */
export const quadruped: TaskSpec = {
  name: 'quadruped',
  description: 'A1-class quadruped tracks random (vx, vy, yaw rate) commands on flat ground (legged_gym flat)',
  robot: 'quadruped',
  maxEpisodeSteps: 1000,
  observations,
  actions,
  rewardTerms: QUADRUPED_REWARD_TERMS,
  dr: randomization({
    friction: [0.5, 1.25],
    added_base_mass_kg: [-1, 1],
    motor_strength: [0.9, 1.1],
    latency_steps: [0, 1],
    obs_noise: [1, 1],
    push_interval_s: [8, 8],
    push_velocity: [1, 1],
  }),
  commands: QUADRUPED_COMMANDS,
  envSpacingM: 3,
  pushLink: 'trunk',
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
  create: (ctx) => new QuadrupedEnv(ctx),
};
