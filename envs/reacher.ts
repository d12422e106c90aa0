/**
 * Reacher (MuJoCo Reacher-v4 in Rapier): a two-link arm in the horizontal plane brings its
 * fingertip to a random target in the reachable annulus. Reward is minus the fingertip–target
 * distance minus a small weight times the squared action; 50 steps of 20 ms, never terminates.
 *
 * Frame: the env frame with its origin moved to the shoulder axis (x, y horizontal, z up). Joint
 * angles 0 = arm stretched along +x; positive angles turn counter-clockwise seen from above.
 */
import type { TaskContext, TaskEnv, TaskSpec, TaskStepResult } from '../src/task/task.ts';
import type { Vec3 } from '../src/robot/robot_model.ts';
import {
  cosSinSignals, expectActionScales, expectJoints, jointSignals, loadStateArrays, offsetInOwner, randomization, requireLink, rotateVec, signal, sumTerms, scaledRewardTraining } from './common.ts';

const JOINTS = ['shoulder', 'elbow'] as const;

/** Reset and target ranges, shared with the tests and docs/tasks.md. */
export const REACHER_RESET = {
  /** Shoulder angle (rad), uniform in ±. */
  shoulderRad: Math.PI,
  /** Elbow angle (rad), uniform in ±. */
  elbowRad: 2.5,
  /** Joint velocities (rad/s), uniform in ±. */
  velRadS: 0.1,
  /** Target distance from the shoulder axis (m): uniform over the annulus's area. */
  targetMinM: 0.05,
  targetMaxM: 0.2,
} as const;

/**
 * Weight of the control term. MuJoCo Reacher-v4 weighs distance (m) and Σa² 1:1; on this arm
 * that makes full torque on one joint cost as much as a 1 m miss for that step, and trained
 * policies crept up on the target and stopped 2–3 cm short (35–46% of episodes within 2 cm after
 * 1M steps). At 0.02 it costs as much as a 2 cm miss: the arm moves briskly and still settles at
 * the target with zero torque (bench/RESULTS.md, "Learning").
 */
export const REACHER_CONTROL_WEIGHT = 0.02;

/** Torques (N·m) = action × the joints' `action_scale` in `robots/reacher.json`. */
const ACTIONS = [signal('shoulder_torque', 'N·m', { scale: 0.3 }), signal('elbow_torque', 'N·m', { scale: 0.1 })];

class ReacherEnv implements TaskEnv {
  private readonly pos = new Float64Array(2);
  private readonly vel = new Float64Array(2);
  private readonly pose = new Float64Array(7);
  private readonly tipWorld: Vec3 = [0, 0, 0];
  private readonly tipBody: number;
  private readonly tipOffset: Vec3;
  private readonly shoulderBody: number;
  /** Shoulder axis position in the env frame (m). */
  private readonly shoulder: Vec3 = [0, 0, 0];
  /** Target relative to the shoulder axis (m). */
  private targetX = 0;
  private targetY = 0;
  /** Fingertip minus target (m), from the last `measure`. */
  private dx = 0;
  private dy = 0;
  private ctrlCost = 0;

  constructor(private readonly ctx: TaskContext) {
    expectJoints(ctx.robot, 'reacher', JOINTS);
    expectActionScales(ctx.robot, 'reacher', ACTIONS);
    this.tipBody = requireLink(ctx.robot, 'reacher', 'fingertip');
    this.tipOffset = offsetInOwner(ctx.robot, 'reacher', 'fingertip');
    this.shoulderBody = requireLink(ctx.robot, 'reacher', 'upper_arm');
  }

  reset(): void {
    const { rng, robot } = this.ctx;
    const R = REACHER_RESET;
    this.pos[0] = rng.uniform(-R.shoulderRad, R.shoulderRad);
    this.pos[1] = rng.uniform(-R.elbowRad, R.elbowRad);
    this.vel[0] = rng.uniform(-R.velRadS, R.velRadS);
    this.vel[1] = rng.uniform(-R.velRadS, R.velRadS);
    const r = Math.sqrt(rng.uniform(R.targetMinM ** 2, R.targetMaxM ** 2));
    const phi = rng.uniform(-Math.PI, Math.PI);
    this.targetX = r * Math.cos(phi);
    this.targetY = r * Math.sin(phi);
    robot.setJoints(this.pos, this.vel);
    robot.readLinkPose(this.shoulderBody, this.pose);
    this.shoulder[0] = this.pose[0] as number;
    this.shoulder[1] = this.pose[1] as number;
    this.shoulder[2] = this.pose[2] as number;
    this.ctrlCost = 0;
  }

  onAction(action: Float32Array): void {
    let c = 0;
    for (let j = 0; j < action.length; j++) c += (action[j] as number) ** 2;
    this.ctrlCost = c;
  }

  observe(out: Float32Array): void {
    this.measure();
    const p = this.pos, v = this.vel;
    out[0] = Math.cos(p[0] as number);
    out[1] = Math.sin(p[0] as number);
    out[2] = Math.cos(p[1] as number);
    out[3] = Math.sin(p[1] as number);
    out[4] = v[0] as number;
    out[5] = v[1] as number;
    out[6] = this.targetX;
    out[7] = this.targetY;
    out[8] = this.dx;
    out[9] = this.dy;
  }

  evaluate(out: TaskStepResult): void {
    this.measure();
    out.terms[0] = -Math.hypot(this.dx, this.dy);
    out.terms[1] = -REACHER_CONTROL_WEIGHT * this.ctrlCost;
    sumTerms(out);
    out.terminated = false;
  }

  /** The target and the shoulder axis position (set at reset). */
  saveState(): unknown {
    return { target: Float64Array.of(this.targetX, this.targetY), shoulder: Float64Array.from(this.shoulder) };
  }

  loadState(state: unknown): void {
    const s = { target: new Float64Array(2), shoulder: new Float64Array(3) };
    loadStateArrays('reacher', state, s);
    this.targetX = s.target[0] as number;
    this.targetY = s.target[1] as number;
    for (let k = 0; k < 3; k++) this.shoulder[k] = s.shoulder[k] as number;
  }

  info(): Record<string, number> {
    return { target_x: this.shoulder[0] + this.targetX, target_y: this.shoulder[1] + this.targetY, target_z: this.shoulder[2] };
  }

  /** Reads joints and the fingertip's position; updates the fingertip–target vector. */
  private measure(): void {
    const robot = this.ctx.robot;
    robot.readJoints(this.pos, this.vel);
    robot.readLinkPose(this.tipBody, this.pose);
    const tip = rotateVec(this.pose, this.tipOffset, this.tipWorld, 3);
    this.dx = (this.pose[0] as number) + (tip[0] as number) - this.shoulder[0] - this.targetX;
    this.dy = (this.pose[1] as number) + (tip[1] as number) - this.shoulder[1] - this.targetY;
  }
}

export const reacher: TaskSpec = {
  name: 'reacher',
  description: 'bring a two-link planar arm\'s fingertip to a random target (MuJoCo Reacher-style reward)',
  robot: 'reacher',
  maxEpisodeSteps: 50,
  observations: [
    ...cosSinSignals(JOINTS, 0.005),
    ...jointSignals(JOINTS, 'vel', 'rad/s', { noise: 0.05 }),
    signal('target_x', 'm'),
    signal('target_y', 'm'),
    signal('fingertip_minus_target_x', 'm', { noise: 0.002 }),
    signal('fingertip_minus_target_y', 'm', { noise: 0.002 }),
  ],
  actions: ACTIONS,
  rewardTerms: ['distance', 'control'],
  dr: randomization({
    mass_scale: [0.8, 1.2],
    joint_damping: [0, 0.002],
    motor_strength: [0.9, 1.1],
    latency_steps: [0, 1],
    obs_noise: [0, 1],
  }),
  envSpacingM: 0.6,
  pushLink: 'forearm',
  /**
   * PPO recipe (bench/RESULTS.md, "Learning"): gamma 0.99 over the 50-step episode, reward_scaling
   * (per-step rewards are centimetres, tiny next to the critic's init), 64 envs × 64 steps, 1M
   * steps (≈ 4 min on a 2-core CPU).
   */
  training: scaledRewardTraining(0.99),
  create: (ctx) => new ReacherEnv(ctx),
};
