/**
 * The quadruped task's constants: observation scales and noise, reward weights, command
 * ranges, reset distribution and termination thresholds (legged_gym's flat-terrain A1
 * configuration unless a comment says otherwise). Nothing here names a robot's joint or link:
 * those, the gains, the default pose and the nominal base height come from the robot
 * contract's `locomotion` section (docs/robots.md). Shared by `quadruped.ts` (the task
 * declaration) and `quadruped_env.ts` (the per-env logic).
 */
import type { CommandSpec } from '../../src/task/task.ts';

/**
 * Observation scales (legged_gym `normalization.obs_scales`): each observed number is the
 * physical quantity times its scale.
 */
export const QUADRUPED_OBS_SCALES = { linVel: 2.0, angVel: 0.25, dofPos: 1.0, dofVel: 0.05 } as const;

/**
 * Observation noise at noise level 1 in physical units (legged_gym `noise.noise_scales`). The
 * runner adds uniform noise in ±`SignalSpec.noise` to the observed (scaled) numbers, so the
 * signals below carry these times the observation scale, as legged_gym's noise vector does.
 */
export const QUADRUPED_NOISE = { linVel: 0.1, angVel: 0.2, gravity: 0.05, dofPos: 0.01, dofVel: 1.5 } as const;

/** Reward weights per term (legged_gym defaults with its A1 overrides), before × control dt. */
export const QUADRUPED_REWARD_WEIGHTS = {
  /** exp(−|v_xy,cmd − v_xy|² / σ), base frame. */
  tracking_lin_vel: 1.0,
  /** exp(−(ω_z,cmd − ω_z)² / σ). */
  tracking_ang_vel: 0.5,
  /** v_z² (base frame). */
  lin_vel_z: -2.0,
  /** ω_x² + ω_y² (base frame). */
  ang_vel_xy: -0.05,
  /** g_x² + g_y² of projected gravity (legged_gym default: off). */
  orientation: 0,
  /**
   * Σ τ² — legged_gym's A1 value (−2e-4; the generic default is −1e-5): keeps standing torques
   * low on a 12 kg robot. Scaled per robot by (`torqueReferenceEffortNm` / mean effort limit)²,
   * so a robot with stronger motors pays for its torques relative to what they can give.
   */
  torques: -2e-4,
  /** Σ q̈², finite difference over one control step. */
  dof_acc: -2.5e-7,
  /** Σ (a_prev − a)². */
  action_rate: -0.01,
  /** Σ over feet touching down this step of (air time − 0.5 s); only while |cmd_xy| > 0.1. */
  feet_air_time: 1.0,
  /** Thighs and calves touching the ground (count). */
  collision: -1.0,
  /** Σ distance beyond the soft joint limits (90% of the URDF range; legged_gym A1). */
  dof_pos_limits: -10.0,
  /**
   * (base height − target)², target from the contract's nominal height (legged_gym default: off;
   * its later robots' configs turn it on). Sized on the crouched policy this term is against:
   * shipped quadruped.onnx walks at vx 0.75 with the trunk at 65% of nominal, (h − target)² ≈
   * 0.0088 m², so −30 costs that gait 0.26 per second, about all its other penalties together
   * (0.22/s) and a sixth of its tracking reward (1.48/s). −10 would be under the torque and
   * air-time terms alone; −100 would outweigh tracking. 200k-step runs at 0, −10, −30, −100
   * (seed 1) showed no difference in early learning beyond seed noise.
   */
  base_height: -30,
  /** 1 on a terminal step (legged_gym default: −0, i.e. off). */
  termination: 0,
} as const;

/** Named reward terms with weights. */
export type QuadrupedWeightedTerm = keyof typeof QUADRUPED_REWARD_WEIGHTS;

/**
 * Reward terms in `evaluate`'s order: the weighted terms, then `positive_clip`, legged_gym's
 * `only_positive_rewards` written as a term so the total stays the sum of its parts: it adds
 * back whatever takes the step's sum of the other terms below 0 (the termination term is
 * added after the clip, as in legged_gym).
 */
export const QUADRUPED_REWARD_TERMS: readonly string[] = [...Object.keys(QUADRUPED_REWARD_WEIGHTS), 'positive_clip'];

/** Every other constant of the task, in one place. */
export const QUADRUPED_CONFIG = {
  /** Command ranges (legged_gym `commands.ranges`, heading mode off): m/s, m/s, rad/s. */
  commandRange: { vx: [-1, 1], vy: [-1, 1], yawRate: [-1, 1] } as Record<'vx' | 'vy' | 'yawRate', [number, number]>,
  /** Linear commands with |(vx, vy)| below this are set to zero (legged_gym), m/s. */
  commandZeroBelowMps: 0.2,
  /** Commands are resampled this often within an episode (legged_gym `resampling_time`), s. */
  commandResampleS: 10,
  /** Tracking reward width σ (legged_gym `tracking_sigma`), (m/s)² or (rad/s)². */
  trackingSigma: 0.25,
  /** Air time subtracted at touch-down (legged_gym), s. */
  feetAirTimeOffsetS: 0.5,
  /** feet_air_time only counts while |cmd_xy| exceeds this, m/s. */
  feetAirTimeMinCommandMps: 0.1,
  /**
   * base_height target as a fraction of the contract's `nominal_base_height_m` (the height the
   * robot stands at in its default pose, PD sag included: legged_gym's A1 target 0.25 m).
   */
  baseHeightTargetFraction: 1.0,
  /**
   * The mean joint effort limit the torque weight is set for (N·m: the A1-class
   * robots/quadruped.urdf, 33.5 on every joint). A robot whose mean effort limit is τ̄ has its
   * torque weight × (33.5 / τ̄)²: legged_gym's A1 (20/55/55 N·m) gets −1.2e-4, ANYmal C (80 N·m)
   * −3.5e-5, next to the −2.5e-5 of legged_gym's own ANYmal C configuration. Without it the
   * standing torques of a 50 kg robot cost more than tracking earns, and with
   * `onlyPositiveRewards` every step's reward is clipped to 0: nothing to learn from.
   */
  torqueReferenceEffortNm: 33.5,
  /** Soft joint limits as a fraction of the URDF range (legged_gym A1 `soft_dof_pos_limit`). */
  softDofPosLimit: 0.9,
  /** Reset joint positions: default × U(lo, hi), clamped into the limits (legged_gym). */
  resetJointScale: [0.5, 1.5] as [number, number],
  /** Reset base linear and angular velocity: each component U(−v, v) (legged_gym `reset_root_states`), m/s and rad/s. */
  resetBaseVel: 0.5,
  /** At reset the base is raised so the lowest foot is at least this far above the ground, m. */
  resetFootClearanceM: 0.005,
  /**
   * Terminate below this fraction of the nominal base height: the trunk is then down on its
   * legs (0.15 m on robots/quadruped.json, nominal 0.27 m).
   */
  minBaseHeightFraction: 0.15 / 0.27,
  /** Terminate beyond this roll or pitch, rad. */
  maxTiltRad: 1.0,
  /** Clip the step's reward (before termination) at 0 (legged_gym `only_positive_rewards`). */
  onlyPositiveRewards: true,
} as const;

/**
 * The commands, in the order of the observation and of `setCommands`: each with the range it is
 * sampled from and the `info()` keys of its value and of the base-frame velocity it asks for.
 */
export const QUADRUPED_COMMANDS: readonly CommandSpec[] = [
  { name: 'vx', unit: 'm/s', range: QUADRUPED_CONFIG.commandRange.vx, commandKey: 'command_vx', measuredKey: 'base_vx' },
  { name: 'vy', unit: 'm/s', range: QUADRUPED_CONFIG.commandRange.vy, commandKey: 'command_vy', measuredKey: 'base_vy' },
  { name: 'yaw_rate', unit: 'rad/s', range: QUADRUPED_CONFIG.commandRange.yawRate, commandKey: 'command_yaw_rate', measuredKey: 'base_yaw_rate' },
];
