/**
 * The cartpole, pendulum and reacher tasks driven directly on robots built in Rapier: layouts,
 * reset distributions, sign conventions (a hand-written controller only works if they are
 * right), termination, reward terms, and one pass through the env runner.
 */
import { describe, expect, it } from 'vitest';
import { loadRapier, type World } from '../../src/sim/rapier.ts';
import { buildRobot, createGround, createWorld } from '../../src/sim/build.ts';
import { loadUrdf } from '../../src/sim/urdf.ts';
import { loadRobotSpec, type LoadedRobotSpec } from '../../src/sim/robot_spec.ts';
import { Rng } from '../../src/sim/rng.ts';
import { NOMINAL, resolveRandomization, sampleRandomization, type DomainRandomization } from '../../src/sim/randomize.ts';
import type { TaskEnv, TaskSpec, TaskStepResult } from '../../src/sim/task.ts';
import type { SimRobot } from '../../src/sim/sim_robot.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { cartpole, CARTPOLE_LIMITS } from '../../envs/cartpole.ts';
import { pendulum, PENDULUM_RESET } from '../../envs/pendulum.ts';
import { reacher, REACHER_CONTROL_WEIGHT, REACHER_RESET } from '../../envs/reacher.ts';
import { rotateVec, wrapAngle } from '../../envs/common.ts';

/** Fresh seeds every run; printed in failure messages. */
const SEED = Math.floor(Math.random() * 1e9);
const TASKS = [cartpole, pendulum, reacher];

/** One robot in its own world, with the runner's per-step sequence done by hand. */
interface Harness {
  world: World;
  robot: SimRobot;
  spec: LoadedRobotSpec;
  /** A task env on `robot` with its own RNG seeded by `seed`. */
  create(seed: number): TaskEnv;
}

async function harness(task: TaskSpec): Promise<Harness> {
  const R = await loadRapier();
  const spec = loadRobotSpec(task.robot);
  const model = loadUrdf(spec.urdfPath);
  const world = createWorld(R, { dtS: spec.physics_dt_s, solverIterations: spec.solver_iterations ?? 4 });
  createGround(R, world);
  const robot = buildRobot(R, world, model, spec, { origin: [0, 0, 0] });
  return { world, robot, spec, create: (seed) => task.create({ robot, rng: new Rng(seed, 0), envIndex: 0, controlDtS: spec.control_dt_s }) };
}

/** A task env ready to step: reset (after a randomization sample, like the runner), observe, step. */
class Driver {
  readonly obs: Float32Array;
  readonly res: TaskStepResult;
  private readonly act: Float32Array;
  private readonly rng: Rng;

  constructor(readonly h: Harness, readonly task: TaskSpec, readonly env: TaskEnv, seed: number, private readonly dr: DomainRandomization = NOMINAL) {
    this.obs = new Float32Array(task.observations.length);
    this.res = { reward: 0, terminated: false, terms: new Float64Array(task.rewardTerms.length) };
    this.act = new Float32Array(task.actions.length);
    this.rng = new Rng(seed, 1);
  }

  reset(): Float32Array {
    this.h.robot.applyRandomization(sampleRandomization(this.dr, this.rng));
    this.env.reset();
    this.env.observe(this.obs);
    return this.obs;
  }

  /** One control step with `action` clipped to ±action_clip (no latency). */
  step(action: ArrayLike<number>): TaskStepResult {
    const clip = this.h.spec.action_clip;
    for (let i = 0; i < this.act.length; i++) this.act[i] = Math.max(-clip, Math.min(clip, action[i] as number));
    this.env.onAction?.(this.act);
    this.h.robot.setAction(this.act);
    for (let k = 0; k < this.h.spec.decimation; k++) {
      this.h.robot.prePhysicsStep(this.h.spec.physics_dt_s);
      this.h.world.step();
    }
    this.res.reward = NaN;
    this.res.terminated = false;
    this.res.terms.fill(NaN);
    this.env.evaluate(this.res);
    this.env.observe(this.obs);
    return this.res;
  }
}

async function driver(task: TaskSpec, seed: number, dr: DomainRandomization = NOMINAL): Promise<Driver> {
  const h = await harness(task);
  return new Driver(h, task, h.create(seed), seed, dr);
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0);
const deg = (d: number) => (d * Math.PI) / 180;

describe.each(TASKS)('task $name: declaration', (task) => {
  it('declares unique, unit-carrying signals that match its robot and observe() fills exactly obs_dim values', async () => {
    for (const list of [task.observations, task.actions]) {
      expect(new Set(list.map((s) => s.name)).size).toBe(list.length);
      for (const s of list) {
        expect(s.unit.length, s.name).toBeGreaterThan(0);
        expect(s.noise ?? 0, s.name).toBeGreaterThanOrEqual(0);
      }
    }
    expect(new Set(task.rewardTerms).size).toBe(task.rewardTerms.length);
    expect(resolveRandomization(task.dr)).toEqual(task.dr);
    const spec = loadRobotSpec(task.robot);
    expect(task.actions.length).toBe(spec.joints.length);
    expect(spec.control_mode).toBe('effort');
    // effort actions: quantity (N or N·m) = scale · action, the joint's action_scale
    task.actions.forEach((a, j) => expect(a.scale, a.name).toBe(spec.joints[j]?.action_scale));
    for (const s of task.observations) expect(s.scale ?? 1, s.name).toBe(1);

    const h = await harness(task);
    const env = h.create(SEED);
    env.reset();
    const n = task.observations.length;
    const out = new Float32Array(n + 3).fill(NaN);
    env.observe(out);
    for (let i = 0; i < n; i++) expect(Number.isFinite(out[i]), task.observations[i]?.name).toBe(true);
    expect(Array.from(out.subarray(n)).every(Number.isNaN)).toBe(true);
  });

  it('reports a reward equal to the sum of its terms under random actions and randomization', async () => {
    const d = await driver(task, SEED, task.dr);
    const rng = new Rng(SEED, 2);
    d.reset();
    for (let t = 0; t < 150; t++) {
      const r = d.step(task.actions.map(() => rng.uniform(-1.2, 1.2)));
      for (const x of r.terms) expect(Number.isFinite(x), `seed ${SEED} step ${t}`).toBe(true);
      expect(r.reward).toBeCloseTo(sum(r.terms), 12);
      for (const x of d.obs) expect(Number.isFinite(x), `seed ${SEED} step ${t}`).toBe(true);
      if (r.terminated) d.reset();
    }
  });
});

describe('cartpole', () => {
  const L = CARTPOLE_LIMITS;
  /** Discrete LQR gains (Q = diag(1, 1, 10, 1), R = 0.1 N⁻², 50 Hz) of the nominal linearized cart-pole, in action units (10 N). */
  const lqr = (o: ArrayLike<number>) => 0.278 * (o[0] as number) + 0.522 * (o[1] as number) + 4.53 * (o[2] as number) + 1.17 * (o[3] as number);

  it('resets x, ẋ, θ and θ̇ uniformly within ±0.05, the bodies where the joints say, with θ > 0 leaning the tip toward +x', async () => {
    const h = await harness(cartpole);
    const cart = h.robot.linkIndex('cart');
    const pole = h.robot.linkIndex('pole');
    const pose = new Float64Array(7);
    const seen: number[][] = [[], [], [], []];
    for (let k = 0; k < 200; k++) {
      const d = new Driver(h, cartpole, h.create(SEED + k), SEED + k);
      const o = Array.from(d.reset());
      const msg = `seed ${SEED + k}`;
      o.forEach((v, i) => seen[i]?.push(v));
      h.robot.readLinkPose(cart, pose);
      expect(pose[0] as number, msg).toBeCloseTo(o[0] as number, 6);
      h.robot.readLinkPose(pole, pose);
      const up = rotateVec(pose, [0, 0, 1], [0, 0, 0], 3);
      expect(up[0] as number, msg).toBeCloseTo(Math.sin(o[2] as number), 6);
      expect(up[2] as number, msg).toBeCloseTo(Math.cos(o[2] as number), 6);
      if (k < 20) {
        // one free step (20 ms) moves x and θ by about dt × their mean rate: the reset velocities are the physics'
        d.step([0]);
        const dt = h.spec.control_dt_s;
        expect((d.obs[0] as number) - (o[0] as number), msg).toBeCloseTo((dt * ((o[1] as number) + (d.obs[1] as number))) / 2, 4);
        expect((d.obs[2] as number) - (o[2] as number), msg).toBeCloseTo((dt * ((o[3] as number) + (d.obs[3] as number))) / 2, 4);
      }
    }
    for (const v of seen) {
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(L.resetNoise + 1e-6);
      expect(Math.min(...v)).toBeLessThan(-0.8 * L.resetNoise);
      expect(Math.max(...v)).toBeGreaterThan(0.8 * L.resetNoise);
    }
  });

  it('moves the cart toward +x under a positive force, and the pole lags behind (its angle goes down)', async () => {
    const d = await driver(cartpole, SEED);
    const o0 = Array.from(d.reset());
    for (let t = 0; t < 5; t++) d.step([1]);
    // 10 N on 1.1 kg for 0.1 s: about 0.9 m/s and 5 cm
    expect((d.obs[0] as number) - (o0[0] as number), `seed ${SEED}`).toBeGreaterThan(0.03);
    expect((d.obs[1] as number) - (o0[1] as number), `seed ${SEED}`).toBeGreaterThan(0.6);
    expect((d.obs[2] as number) - (o0[2] as number) - 0.1 * (o0[3] as number), `seed ${SEED}`).toBeLessThan(-0.02);
    expect((d.obs[3] as number) - (o0[3] as number), `seed ${SEED}`).toBeLessThan(-0.2);
  });

  it('lets the pole fall past 12° under zero force, toward the side its start state points to', async () => {
    // the free (zero-force) cart-pole linearized about upright: θ = θ₀ cosh ωt + (θ̇₀/ω) sinh ωt,
    // ω² = (M+m)·m·g·l / ((M+m)(I+m·l²) − m²l²) with the robot's M = 1, m = 0.1 kg, l = 0.5 m, I = 0.008347 kg·m²
    const [M, m, l, I] = [1, 0.1, 0.5, 0.008347];
    const omega = Math.sqrt(((M + m) * m * 9.81 * l) / ((M + m) * (I + m * l * l) - m * m * l * l));
    for (let k = 0; k < 10; k++) {
      const d = await driver(cartpole, SEED + k);
      const o0 = Array.from(d.reset());
      const lean = (o0[2] as number) + (o0[3] as number) / omega;
      let steps = 0;
      while (!d.res.terminated && steps < 500) {
        d.step([0]);
        steps++;
      }
      const msg = `seed ${SEED + k}, θ₀ ${o0[2]}, θ̇₀ ${o0[3]}`;
      expect(d.res.terminated, msg).toBe(true);
      // ≥ 0.4 s from the most tilted start; a start pointing nearly at upright takes longer
      expect(steps, msg).toBeGreaterThan(20);
      expect(steps, msg).toBeLessThan(300);
      expect(Math.abs(d.obs[2] as number), msg).toBeGreaterThan(L.poleAngleRad);
      expect(Math.abs(d.obs[2] as number), msg).toBeLessThan(L.poleAngleRad + 0.05);
      expect(Math.abs(d.obs[0] as number), msg).toBeLessThan(L.cartPosM);
      if (Math.abs(lean) > 0.005) expect(Math.sign(d.obs[2] as number), msg).toBe(Math.sign(lean));
    }
  });

  it('is kept up for all 500 steps by a hand-written linear controller on (x, ẋ, θ, θ̇), under randomized physics', async () => {
    for (let k = 0; k < 5; k++) {
      const d = await driver(cartpole, SEED + k, cartpole.dr);
      const angle0 = Math.abs(d.reset()[2] as number);
      let maxAngle = 0;
      let lateAngle = 0;
      for (let t = 0; t < cartpole.maxEpisodeSteps; t++) {
        d.step([lqr(d.obs)]);
        expect(d.res.terminated, `seed ${SEED + k} step ${t}`).toBe(false);
        expect(d.res.reward).toBe(1);
        maxAngle = Math.max(maxAngle, Math.abs(d.obs[2] as number));
        if (2 * t >= cartpole.maxEpisodeSteps) lateAngle = Math.max(lateAngle, Math.abs(d.obs[2] as number));
      }
      // from a start up to 2.9° the pole leans at most ~0.7° further (300 randomized starts), then settles
      expect(maxAngle, `seed ${SEED + k}`).toBeLessThan(angle0 + deg(1.5));
      expect(lateAngle, `seed ${SEED + k}`).toBeLessThan(deg(0.5));
    }
  });

  it('terminates when the balanced cart is driven past 2.4 m', async () => {
    const d = await driver(cartpole, SEED);
    d.reset();
    let steps = 0;
    while (!d.res.terminated && steps < 1000) {
      const o = d.obs;
      d.step([lqr([Math.min(1, Math.max(-1, (o[0] as number) - 3.5)), o[1] as number, o[2] as number, o[3] as number])]);
      steps++;
    }
    expect(d.res.terminated, `seed ${SEED}`).toBe(true);
    expect(d.obs[0] as number).toBeGreaterThan(L.cartPosM);
    expect(Math.abs(d.obs[2] as number)).toBeLessThan(L.poleAngleRad);
  });
});

describe('pendulum', () => {
  const angle = (o: Float32Array) => Math.atan2(o[1] as number, o[0] as number);

  it('resets θ uniformly in [-π, π] and θ̇ in [-1, 1], with θ > 0 leaning the tip toward +x', async () => {
    const h = await harness(pendulum);
    const rod = h.robot.linkIndex('rod');
    const pose = new Float64Array(7);
    const th: number[] = [];
    const w: number[] = [];
    for (let k = 0; k < 300; k++) {
      const d = new Driver(h, pendulum, h.create(SEED + k), SEED + k);
      const o = d.reset();
      expect(Math.hypot(o[0] as number, o[1] as number)).toBeCloseTo(1, 6);
      th.push(angle(o));
      w.push(o[2] as number);
      h.robot.readLinkPose(rod, pose);
      const tip = rotateVec(pose, [0, 0, 1], [0, 0, 0], 3);
      expect(tip[0] as number, `seed ${SEED + k}`).toBeCloseTo(o[1] as number, 4);
      expect(tip[2] as number, `seed ${SEED + k}`).toBeCloseTo(o[0] as number, 4);
    }
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(PENDULUM_RESET.velRadS + 1e-6);
    expect(Math.min(...w)).toBeLessThan(-0.8);
    expect(Math.max(...w)).toBeGreaterThan(0.8);
    // every quarter turn is hit about equally (300 draws, expected 75 each)
    const quarters = [0, 0, 0, 0];
    for (const t of th) quarters[Math.min(3, Math.floor(((t + Math.PI) / (2 * Math.PI)) * 4))]! += 1;
    for (const q of quarters) expect(q).toBeGreaterThan(40);
  });

  it('falls from near upright under zero torque, its reward decreasing every step until it swings through the bottom', async () => {
    const d = await driver(pendulum, SEED);
    d.reset();
    const th0 = (new Rng(SEED, 3).next() < 0.5 ? -1 : 1) * 0.1;
    d.h.robot.setJoints([th0], [0]);
    let prev = 0;
    let steps = 0;
    for (; steps < 200; steps++) {
      const r = d.step([0]);
      expect(r.terminated).toBe(false);
      if (Math.abs(angle(d.obs)) > 3) break;
      expect(r.reward, `step ${steps}`).toBeLessThan(prev);
      expect(Math.sign(angle(d.obs))).toBe(Math.sign(th0));
      prev = r.reward;
    }
    expect(steps).toBeGreaterThan(20);
    expect(steps).toBeLessThan(150);
  });

  it('cannot lift the rod from hanging by pushing one way with full torque, but can by swinging', async () => {
    const d = await driver(pendulum, SEED);
    for (const dir of [1, -1]) {
      d.reset();
      d.h.robot.setJoints([Math.PI], [0]);
      let highest = 0;
      for (let t = 0; t < 400; t++) {
        const r = d.step([dir]);
        highest = Math.max(highest, Math.PI - Math.abs(angle(d.obs)));
        expect(r.terms[2]).toBeCloseTo(-0.001 * 2 * 2, 12);
      }
      // a constant 2 N·m against m·g·l/2 = 4.9 N·m settles near 24° and overshoots to ~50°
      expect(highest).toBeGreaterThan(deg(35));
      expect(highest).toBeLessThan(deg(60));
    }
    d.reset();
    d.h.robot.setJoints([Math.PI], [0]);
    // bang-bang on the rate gets within 0.3 rad of upright in ~2.9 s: under half the 10 s episode
    let steps = 0;
    while (Math.abs(angle(d.obs)) > 0.3 && steps < pendulum.maxEpisodeSteps) {
      d.step([(d.obs[2] as number) >= 0 ? 1 : -1]);
      steps++;
    }
    expect(Math.abs(angle(d.obs))).toBeLessThan(0.3);
    expect(steps).toBeLessThan(pendulum.maxEpisodeSteps / 2);
  });

  it('never terminates, is truncated after gym\'s 10 s, and costs θ² + 0.1 θ̇² + 0.001 τ²', async () => {
    const d = await driver(pendulum, SEED);
    expect(pendulum.maxEpisodeSteps * d.h.spec.control_dt_s).toBeCloseTo(10, 9);
    d.reset();
    const r = d.step([0.5]);
    const th = angle(d.obs);
    const w = d.obs[2] as number;
    expect(r.terminated).toBe(false);
    expect(r.terms[0]).toBeCloseTo(-th * th, 5);
    expect(r.terms[1]).toBeCloseTo(-0.1 * w * w, 5);
    expect(r.terms[2]).toBeCloseTo(-0.001 * 1 * 1, 12);
  });
});

describe('reacher', () => {
  async function arm() {
    const h = await harness(reacher);
    const j = (n: string) => h.robot.model.joints.find((x) => x.name === n)?.origin.xyz ?? [0, 0, 0];
    const l1 = Math.hypot(j('elbow')[0], j('elbow')[1]);
    const l2 = Math.hypot(j('fingertip_joint')[0], j('fingertip_joint')[1]);
    const fk = (q1: number, q2: number) => [l1 * Math.cos(q1) + l2 * Math.cos(q1 + q2), l1 * Math.sin(q1) + l2 * Math.sin(q1 + q2)] as const;
    /** Joint angles putting the fingertip on (x, y), elbow on the side of `side`. */
    const ik = (x: number, y: number, side: number) => {
      const c2 = (x * x + y * y - l1 * l1 - l2 * l2) / (2 * l1 * l2);
      const q2 = (side >= 0 ? 1 : -1) * Math.acos(Math.max(-1, Math.min(1, c2)));
      return [Math.atan2(y, x) - Math.atan2(l2 * Math.sin(q2), l1 + l2 * Math.cos(q2)), q2] as const;
    };
    return { h, l1, l2, fk, ik };
  }
  const q = (o: Float32Array, i: number) => Math.atan2(o[2 * i + 1] as number, o[2 * i] as number);

  it('has a 0.1 m and a 0.11 m link, resets within its stated ranges and samples targets over the reachable annulus', async () => {
    const { h, l1, l2, fk } = await arm();
    expect(l1).toBeCloseTo(0.1, 9);
    expect(l2).toBeCloseTo(0.11, 9);
    const R = REACHER_RESET;
    const radii: number[] = [];
    for (let k = 0; k < 300; k++) {
      const env = h.create(SEED + k);
      const d = new Driver(h, reacher, env, SEED + k);
      const o = d.reset();
      const msg = `seed ${SEED + k}`;
      const [q1, q2] = [q(o, 0), q(o, 1)];
      expect(Math.abs(q2), msg).toBeLessThanOrEqual(R.elbowRad + 1e-5);
      expect(Math.abs(o[4] as number), msg).toBeLessThanOrEqual(R.velRadS + 1e-6);
      expect(Math.abs(o[5] as number), msg).toBeLessThanOrEqual(R.velRadS + 1e-6);
      const r = Math.hypot(o[6] as number, o[7] as number);
      expect(r, msg).toBeGreaterThanOrEqual(R.targetMinM - 1e-6);
      expect(r, msg).toBeLessThanOrEqual(R.targetMaxM + 1e-6);
      expect(r, msg).toBeLessThan(l1 + l2);
      radii.push(r);
      // the fingertip the task measures on the bodies is where forward kinematics puts it
      const [x, y] = fk(q1, q2);
      expect(o[8] as number, msg).toBeCloseTo(x - (o[6] as number), 4);
      expect(o[9] as number, msg).toBeCloseTo(y - (o[7] as number), 4);
      const info = env.info?.() ?? {};
      expect(info.target_x, msg).toBeCloseTo(o[6] as number, 5);
      expect(info.target_y, msg).toBeCloseTo(o[7] as number, 5);
    }
    // uniform over the area: about (0.125² − 0.05²) / (0.2² − 0.05²) = 35% inside r < 0.125 m
    const inner = radii.filter((r) => r < 0.125).length / radii.length;
    expect(inner).toBeGreaterThan(0.25);
    expect(inner).toBeLessThan(0.45);
  });

  it('gives a distance term of ≈ 0 with the fingertip put on the target by inverse kinematics, and keeps it there', async () => {
    const { h, ik } = await arm();
    for (let k = 0; k < 50; k++) {
      const d = new Driver(h, reacher, h.create(SEED + k), SEED + k);
      const o = d.reset();
      const sol = ik(o[6] as number, o[7] as number, k % 2 === 0 ? 1 : -1);
      h.robot.setJoints(sol, [0, 0]);
      d.env.evaluate(d.res);
      d.env.observe(d.obs);
      const msg = `seed ${SEED + k}`;
      expect(d.res.terms[0], msg).toBeGreaterThan(-1e-4);
      expect(Math.hypot(d.obs[8] as number, d.obs[9] as number), msg).toBeLessThan(1e-4);
      expect(wrapAngle(q(d.obs, 0) - sol[0]), msg).toBeCloseTo(0, 4);
      for (let t = 0; t < 5; t++) d.step([0, 0]);
      expect(d.res.terms[0], msg).toBeGreaterThan(-1e-3);
      expect(d.res.terms[1], msg).toBeCloseTo(0, 12);
    }
  });

  it('brings the fingertip within 1 cm of any target in under a second with joint PD control, taking a few tenths of a second', async () => {
    const { h, ik } = await arm();
    const times: number[] = [];
    for (let k = 0; k < 40; k++) {
      const d = new Driver(h, reacher, h.create(SEED + k), SEED + k);
      const o = d.reset();
      const [g1, g2] = ik(o[6] as number, o[7] as number, q(o, 1));
      let reached = -1;
      for (let t = 0; t < reacher.maxEpisodeSteps; t++) {
        const r = d.step([3 * wrapAngle(g1 - q(d.obs, 0)) - 0.25 * (d.obs[4] as number), 1.5 * (g2 - q(d.obs, 1)) - 0.05 * (d.obs[5] as number)]);
        expect(r.terminated).toBe(false);
        if (reached < 0 && -(r.terms[0] as number) < 0.01) reached = t + 1;
      }
      expect(reached, `seed ${SEED + k}`).toBeGreaterThan(0);
      expect(-(d.res.terms[0] as number), `seed ${SEED + k}`).toBeLessThan(0.02);
      times.push(reached * d.h.spec.control_dt_s);
    }
    times.sort((a, b) => a - b);
    const median = times[times.length >> 1] as number;
    expect(median).toBeGreaterThan(0.1);
    expect(median).toBeLessThan(0.6);
  });

  it('charges the weighted squared (clipped) action as the control term', async () => {
    const d = await driver(reacher, SEED);
    d.reset();
    expect(d.step([0.5, -1]).terms[1]).toBeCloseTo(-1.25 * REACHER_CONTROL_WEIGHT, 9);
    expect(d.step([2, 0]).terms[1]).toBeCloseTo(-1 * REACHER_CONTROL_WEIGHT, 9);
  });
});

describe.each(TASKS)('task $name in the env runner', (task) => {
  it('steps 4 randomized envs through whole episodes: rewards match terms, episodes end when they should', async () => {
    const g = await EnvGroup.create({ task, numEnvs: 4, firstEnvIndex: 0, seed: SEED, dr: task.dr });
    try {
      const rng = new Rng(SEED, 4);
      const b = g.buffers;
      const nT = task.rewardTerms.length;
      let ended = 0;
      for (let t = 0; t < task.maxEpisodeSteps + 5; t++) {
        for (let i = 0; i < b.actions.length; i++) b.actions[i] = rng.uniform(-1, 1);
        g.step();
        for (let i = 0; i < 4; i++) {
          expect(b.rewards[i]).toBeCloseTo(sum(b.rewardTerms.subarray(i * nT, (i + 1) * nT)), 4);
          if (task !== cartpole) {
            expect(b.terminated[i]).toBe(0);
            expect(b.truncated[i]).toBe(t + 1 === task.maxEpisodeSteps ? 1 : 0);
          }
          if (b.terminated[i] || b.truncated[i]) ended++;
        }
      }
      expect(ended).toBeGreaterThanOrEqual(4);
      expect(g.stats.nonFiniteResets).toBe(0);
    } finally {
      g.dispose();
    }
  });
});
