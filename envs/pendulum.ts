/**
 * Pendulum swing-up (gym Pendulum-v1 in Rapier): a 1 m, 1 kg rod on a hinge whose 2 N·m torque
 * limit is well under the 4.9 N·m gravity can exert, so the policy has to pump energy by swinging
 * before it can balance the rod upright. Never terminates; 500 steps of 20 ms (10 s, gym's
 * episode time; a bang-bang swing-up takes about 3.6 s, leaving time to hold the rod up).
 *
 * θ is the hinge angle wrapped to (-π, π]: 0 = upright, ±π = hanging; θ > 0 leans the tip toward
 * +x (right-handed about +y), and a positive torque accelerates θ upward.
 */
import type { TaskContext, TaskEnv, TaskSpec, TaskStepResult } from '../src/task/task.ts';
import { cosSinSignals, expectActionScales, expectJoints, randomization, signal, sumTerms, wrapAngle, scaledRewardTraining } from './common.ts';

/** Reset ranges, shared with the tests and docs/tasks.md. */
export const PENDULUM_RESET = {
  /** Initial θ (rad), uniform. */
  angleRad: Math.PI,
  /** Initial θ̇ (rad/s), uniform in ±. */
  velRadS: 1,
} as const;

/** Reward weights of gym's cost θ² + 0.1 θ̇² + 0.001 τ². */
const W_VEL = 0.1;
const W_TORQUE = 0.001;

/** Torque (N·m) = 2 × action: the hinge's `action_scale` in `robots/pendulum.json`. */
const ACTIONS = [signal('hinge_torque', 'N·m', { scale: 2 })];

class PendulumEnv implements TaskEnv {
  private readonly pos = new Float64Array(1);
  private readonly vel = new Float64Array(1);
  private readonly scale: number;
  private readonly effortLimit: number;
  private torqueNm = 0;

  constructor(private readonly ctx: TaskContext) {
    expectJoints(ctx.robot, 'pendulum', ['hinge']);
    expectActionScales(ctx.robot, 'pendulum', ACTIONS);
    this.scale = (ctx.robot.spec.joints[0] as { action_scale: number }).action_scale;
    this.effortLimit = ctx.robot.jointLimits[0]?.effort ?? Infinity;
  }

  reset(): void {
    const { rng, robot } = this.ctx;
    this.pos[0] = rng.uniform(-PENDULUM_RESET.angleRad, PENDULUM_RESET.angleRad);
    this.vel[0] = rng.uniform(-PENDULUM_RESET.velRadS, PENDULUM_RESET.velRadS);
    robot.setJoints(this.pos, this.vel);
    this.torqueNm = 0;
  }

  onAction(action: Float32Array): void {
    const t = (action[0] as number) * this.scale;
    this.torqueNm = Math.max(-this.effortLimit, Math.min(this.effortLimit, t));
  }

  observe(out: Float32Array): void {
    this.ctx.robot.readJoints(this.pos, this.vel);
    const th = this.pos[0] as number;
    out[0] = Math.cos(th);
    out[1] = Math.sin(th);
    out[2] = this.vel[0] as number;
  }

  evaluate(out: TaskStepResult): void {
    this.ctx.robot.readJoints(this.pos, this.vel);
    const th = wrapAngle(this.pos[0] as number);
    const w = this.vel[0] as number;
    out.terms[0] = -th * th;
    out.terms[1] = -W_VEL * w * w;
    out.terms[2] = -W_TORQUE * this.torqueNm * this.torqueNm;
    sumTerms(out);
    out.terminated = false;
  }
}

export const pendulum: TaskSpec = {
  name: 'pendulum',
  description: 'swing a torque-limited rod up from any angle and hold it upright (gym Pendulum-style cost)',
  robot: 'pendulum',
  maxEpisodeSteps: 500,
  observations: [...cosSinSignals(['hinge'], 0.01), signal('hinge_vel', 'rad/s', { noise: 0.05 })],
  actions: ACTIONS,
  rewardTerms: ['angle', 'velocity', 'torque'],
  dr: randomization({
    mass_scale: [0.9, 1.1],
    joint_damping: [0, 0.01],
    motor_strength: [0.9, 1.1],
    latency_steps: [0, 1],
    obs_noise: [0, 1],
    gravity: [9.7, 9.9],
  }),
  envSpacingM: 2.5,
  pushLink: 'rod',
  /**
   * PPO recipe (bench/RESULTS.md, "Learning"): rl-zoo's Pendulum-v1 recipe adapted to 50 Hz.
   * gamma 0.98 (zoo's 0.9 at gym's 20 Hz is 0.96 at 50 Hz; 0.97 swung up too slowly on one seed);
   * reward_scaling is what makes it learn at all (returns of −3000 swamp the critic otherwise);
   * 64 envs × 64 steps, 1M steps (≈ 3.2 min on a 2-core CPU).
   */
  training: scaledRewardTraining(0.98),
  create: (ctx) => new PendulumEnv(ctx),
};
