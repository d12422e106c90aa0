/**
 * The cartpole and pendulum tasks driven directly on robots built in Rapier (reacher: its own
 * file): layouts, reset distributions, sign conventions (a hand-written controller only works if
 * they are right), termination, reward terms, and one pass of all three through the env runner.
 */
import { describe, expect, it } from 'vitest';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { Rng } from '../../src/task/rng.ts';
import { resolveRandomization } from '../../src/task/randomize.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { cartpole, CARTPOLE_LIMITS } from '../../envs/cartpole.ts';
import { pendulum, PENDULUM_RESET } from '../../envs/pendulum.ts';
import { reacher } from '../../envs/reacher.ts';
import { rotateVec } from '../../envs/common.ts';
import { Driver, driver, harness } from './task_harness.ts';

/** Fresh seeds every run; printed in failure messages. */
const SEED = Math.floor(Math.random() * 1e9);
const TASKS = [cartpole, pendulum, reacher];

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
