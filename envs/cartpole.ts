/**
 * Cart-pole balancing (gym CartPole, continuous force): keep an unactuated 1 m pole upright by
 * pushing its cart along a rail with up to 10 N. +1 per step alive; the episode ends when the
 * pole leans past 12° or the cart leaves ±2.4 m, and is truncated after 500 steps of 20 ms.
 *
 * Signs: x and the force are positive toward +x; the pole angle is the hinge's rotation about
 * +y, 0 upright and positive when the tip leans toward +x, so a positive angle is corrected by
 * a positive force (the cart is driven under the pole).
 */
import type { TaskContext, TaskEnv, TaskSpec, TaskStepResult } from '../src/sim/task.ts';
import type { Vec3 } from '../src/sim/robot_model.ts';
import { expectJoints, jointAxisInBody, randomization, relativeQuat, requireLink, signal, sumTerms, twistAngle, wrapAngle } from './common.ts';

/** Termination thresholds and reset ranges, shared with the tests and docs/tasks.md. */
export const CARTPOLE_LIMITS = {
  /** Terminated when |pole angle| exceeds this (rad): 12°. */
  poleAngleRad: (12 * Math.PI) / 180,
  /** Terminated when |cart position| exceeds this (m). */
  cartPosM: 2.4,
  /** Every state variable starts uniform in ± this (m, m/s, rad, rad/s). */
  resetNoise: 0.05,
} as const;

/**
 * Reads and sets the pole's hinge, which the robot spec does not drive. `SimRobot` offers no
 * state access for unactuated joints, so the angle is read off the cart's and the pole's
 * orientations, the rate is the angle's change over the last control step (exact for
 * Rapier's symplectic integration at one physics step per control step), and a reset velocity
 * is given as a push on the pole. `setJoints` puts the hinge at 0, so the reset angle is 0.
 * Everything that works around the missing access lives here, to be replaced by plain joint
 * reads and writes once `SimRobot` covers unactuated joints.
 */
class PoleHinge {
  readonly cart: number;
  readonly pole: number;
  private readonly axis: Vec3;
  private readonly pose = new Float64Array(7);
  private readonly cartQuat = new Float64Array(4);
  private readonly rel = new Float64Array(4);
  /** Δθ̇ / Δv and Δẋ / Δv of a push Δv on the pole (see the constructor). */
  private readonly pushGain: number;
  private readonly cartPushGain: number;

  constructor(private readonly ctx: TaskContext) {
    const { robot } = ctx;
    this.cart = requireLink(robot, 'cartpole', 'cart');
    this.pole = requireLink(robot, 'cartpole', 'pole');
    this.axis = jointAxisInBody(robot.model, 'hinge');
    // An impulsive push Δv on the pole's COM (height l over the hinge, pole mass m, inertia I
    // about its COM; cart mass M) gives the pole Δθ̇ = m·Δv·l·M/D and the cart Δẋ = m·Δv·I/D,
    // D = (M+m)(I+m·l²) − m²l². Scaling every mass leaves both ratios unchanged. This robot's
    // hinge turns about y with the pole along +z, so a push along +x turns it positively.
    const poleLink = robot.model.links.find((l) => l.name === 'pole');
    const cartLink = robot.model.links.find((l) => l.name === 'cart');
    const m = poleLink?.inertial?.massKg ?? 0.1;
    const I = poleLink?.inertial?.iyy ?? m / 12;
    const l = poleLink?.inertial?.origin.xyz[2] ?? 0.5;
    const M = cartLink?.inertial?.massKg ?? 1;
    const D = (M + m) * (I + m * l * l) - m * m * l * l;
    this.pushGain = (m * l * M) / D;
    this.cartPushGain = (m * I) / D;
  }

  /** The hinge angle (rad, wrapped) from the bodies' orientations. */
  angle(): number {
    const robot = this.ctx.robot;
    robot.readLinkPose(this.cart, this.pose);
    this.cartQuat.set(this.pose.subarray(3, 7));
    robot.readLinkPose(this.pole, this.pose);
    relativeQuat(this.cartQuat, this.pose, this.rel, 0, 3);
    return twistAngle(this.rel, this.axis);
  }

  /**
   * Starts the pole upright turning at `rateRadS`, the cart at `x` moving at `v` (the push on
   * the pole moves the cart a little too; the cart's set velocity compensates).
   */
  reset(x: number, v: number, rateRadS: number, pos: Float64Array, vel: Float64Array): void {
    const dv = rateRadS / this.pushGain;
    pos[0] = x;
    vel[0] = v - this.cartPushGain * dv;
    this.ctx.robot.setJoints(pos, vel);
    if (dv !== 0) this.ctx.robot.push(this.pole, [dv, 0, 0]);
  }
}

class CartpoleEnv implements TaskEnv {
  private readonly pos = new Float64Array(1);
  private readonly vel = new Float64Array(1);
  private readonly hinge: PoleHinge;
  private readonly dtS: number;
  /** State as of the last reset or evaluate: x, ẋ, θ, θ̇. */
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;

  constructor(private readonly ctx: TaskContext) {
    expectJoints(ctx.robot, 'cartpole', ['slider']);
    this.hinge = new PoleHinge(ctx);
    this.dtS = ctx.controlDtS;
  }

  reset(): void {
    const { rng } = this.ctx;
    const n = CARTPOLE_LIMITS.resetNoise;
    const x = rng.uniform(-n, n);
    const v = rng.uniform(-n, n);
    const rate = rng.uniform(-n, n);
    this.hinge.reset(x, v, rate, this.pos, this.vel);
    this.x = x;
    this.xDot = v;
    this.theta = this.hinge.angle();
    this.thetaDot = rate;
  }

  observe(out: Float32Array): void {
    out[0] = this.x;
    out[1] = this.xDot;
    out[2] = this.theta;
    out[3] = this.thetaDot;
  }

  evaluate(out: TaskStepResult): void {
    this.ctx.robot.readJoints(this.pos, this.vel);
    const theta = this.hinge.angle();
    this.thetaDot = wrapAngle(theta - this.theta) / this.dtS;
    this.theta = theta;
    this.x = this.pos[0] as number;
    this.xDot = this.vel[0] as number;
    out.terms[0] = 1;
    sumTerms(out);
    const L = CARTPOLE_LIMITS;
    out.terminated = !(Math.abs(theta) <= L.poleAngleRad && Math.abs(this.x) <= L.cartPosM);
  }
}

export const cartpole: TaskSpec = {
  name: 'cartpole',
  description: 'balance a pole on a cart pushed with up to 10 N (gym CartPole with a continuous force)',
  robot: 'cartpole',
  maxEpisodeSteps: 500,
  observations: [
    signal('cart_pos', 'm', 0.005),
    signal('cart_vel', 'm/s', 0.02),
    signal('pole_angle', 'rad', 0.002),
    signal('pole_angvel', 'rad/s', 0.02),
  ],
  actions: [signal('slider_force', 'N')],
  rewardTerms: ['alive'],
  dr: randomization({
    mass_scale: [0.8, 1.2],
    motor_strength: [0.9, 1.1],
    latency_steps: [0, 1],
    obs_noise: [0, 1],
    gravity: [9.7, 9.9],
  }),
  envSpacingM: 7,
  pushLink: 'pole',
  create: (ctx) => new CartpoleEnv(ctx),
};
