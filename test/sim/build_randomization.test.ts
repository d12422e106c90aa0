/**
 * The Rapier builder's randomization and bookkeeping as a user meets them: each randomized
 * parameter changes exactly what it names (the nominal sample changes nothing), and replays
 * from a seed or a saved state are bit-identical.
 * Random inputs use a fresh seed per run, printed in failure messages.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.ts';
import { buildRobot, createGround, createWorld } from '../../src/sim/build/build.ts';
import { NOMINAL, sampleRandomization } from '../../src/task/randomize.ts';
import { Rng } from '../../src/task/rng.ts';
import type { RobotModel, Vec3 } from '../../src/robot/robot_model.ts';
import { makeSpec } from '../fixtures/build/helpers.ts';
import { bitEqual, fixture, nominal, pendulumSpec, rollout, stepAll } from '../fixtures/build/sim_helpers.ts';

let R: Rapier;
beforeAll(async () => {
  R = await loadRapier();
});

const seed = Math.floor(Math.random() * 2 ** 31);

function world(dtS = 0.002, gravity?: Vec3) {
  return createWorld(R, { dtS, gravity });
}

const steps = stepAll;

describe('randomization', () => {
  const cartSpec = makeSpec('cartpole', [{ name: 'slider', action_scale: 10 }, { name: 'hinge', action_scale: 1 }], { mode: 'effort', dtS: 0.01, clip: 1 });
  const boxSpec = makeSpec('box_bot', [{ name: 'flag_hinge', kp: 1, kd: 0.1 }], { floating: 0.1, dtS: 0.01 });

  it('the nominal sample reproduces the un-randomized robot bit for bit', () => {
    const rng = new Rng(seed, 7);
    const acts = Array.from({ length: 200 }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
    for (const [file, spec] of [['cartpole.urdf', cartSpec], ['box_bot.urdf', boxSpec]] as const) {
      const make = (dr: boolean) => () => {
        const w = world(0.01);
        createGround(R, w);
        const robots = [0, 1].map((e) => buildRobot(R, w, fixture(file), spec, { origin: [3 * e, 0, 0] }));
        for (const r of robots) {
          if (dr) r.applyRandomization(nominal());
          r.setJoints(spec.joints.map(() => 0.1), spec.joints.map(() => 0));
          r.push(0, [0.3, 0, 0]);
        }
        return { w, robots };
      };
      const act = (s: number) => acts[s]!.slice(0, spec.joints.length);
      expect(bitEqual(rollout(make(false), 200, act), rollout(make(true), 200, act)), file).toBe(true);
    }
  });

  it('mass scale 2 doubles every mass (and leaves a pendulum period alone); added base mass lands on the root', () => {
    const w = world();
    const r = buildRobot(R, w, fixture('cartpole.urdf'), cartSpec, { origin: [0, 0, 0] });
    const before = r.bodies.map((b) => b.mass());
    r.applyRandomization({ ...nominal(), mass_scale: 2 });
    r.bodies.forEach((b, i) => expect(b.mass()).toBeCloseTo(2 * before[i]!, 5));
    const box = buildRobot(R, w, fixture('box_bot.urdf'), boxSpec, { origin: [5, 0, 0] });
    box.applyRandomization({ ...nominal(), mass_scale: 2, added_base_mass_kg: 0.7 });
    expect(box.bodies[0]!.mass()).toBeCloseTo(2 * 1 + 0.7, 5);
    expect(box.massesKg()[1]).toBeCloseTo(0.02, 12);
    const period = (scale: number) => {
      const pw = world(1 / 500);
      const p = buildRobot(R, pw, fixture('pendulum.urdf'), pendulumSpec('position', {}, 1 / 500), { origin: [0, 0, 0] });
      p.applyRandomization({ ...nominal(), mass_scale: scale });
      p.setJoints([0.05], [0]);
      const pos = new Float64Array(1), vel = new Float64Array(1);
      for (let i = 0; i < 300; i++) {
        pw.step();
        p.readJoints(pos, vel);
        if (pos[0]! <= 0) return i;
      }
      return -1;
    };
    expect(period(2)).toBe(period(1));
  });

  it('gravity tilt makes a free-falling robot accelerate along the sampled gravity (1%, 1 mrad)', () => {
    const rng = new Rng(seed, 8);
    const dr = { ...NOMINAL, gravity: [8, 12] as [number, number], gravity_tilt_deg: [10, 40] as [number, number] };
    const sample = sampleRandomization(dr, rng);
    const w = world(0.01);
    const r = buildRobot(R, w, fixture('box_bot.urdf'), boxSpec, { origin: [0, 0, 0] });
    r.setBase([0, 0, 100], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
    r.applyRandomization(sample);
    steps(w, [r], 50);
    const base = new Float64Array(13);
    r.readBase(base);
    const g = [sample.gravity_x, sample.gravity_y, sample.gravity_z];
    const v = [base[7]!, base[8]!, base[9]!];
    const gn = Math.hypot(...g), vn = Math.hypot(...v);
    expect(Math.abs(vn / (gn * 0.5) - 1), `seed ${seed}`).toBeLessThan(0.01);
    expect(Math.acos(Math.min(1, v.reduce((s, x, i) => s + x * g[i]!, 0) / (vn * gn))), `seed ${seed}`).toBeLessThan(1e-3);
    r.applyRandomization(nominal());
    steps(w, [r], 1);
    r.readBase(base);
    expect(base[7]! / v[0]!).toBeCloseTo(1, 3);
  });

  it('motor strength scales effort commands and limits; friction μ makes a sliding box stop after v²/(2μg) (2%)', () => {
    const w = world(0.002, [0, 0, 0]);
    const p = buildRobot(R, w, fixture('pendulum.urdf'), pendulumSpec('effort'), { origin: [0, 0, 0] });
    p.applyRandomization({ ...nominal(), gravity_z: 0, motor_strength: 0.5 });
    const tq = new Float64Array(1);
    p.setAction([3]);
    p.readTorques(tq);
    expect(tq[0]).toBe(1.5);
    p.setAction([1000]);
    p.readTorques(tq);
    expect(tq[0]).toBe(25);
    for (const mu of [0.3, 0.6]) {
      const gw = world(0.002);
      createGround(R, gw);
      const box = buildRobot(R, gw, fixture('box_bot.urdf'), makeSpec('b', [{ name: 'flag_hinge' }], { floating: 0.1 }), { origin: [0, 0, 0] });
      box.applyRandomization({ ...nominal(), friction: mu });
      box.setBase([0, 0, 0.1], [0, 0, 0, 1], [2, 0, 0], [0, 0, 0]);
      steps(gw, [box], 1000);
      const base = new Float64Array(13);
      box.readBase(base);
      expect(Math.abs(base[0]! / (4 / (2 * mu * 9.81)) - 1), `friction ${mu}`).toBeLessThan(0.02);
    }
  });
});

describe('PD gain randomization', () => {
  it('kp_scale and kd_scale scale the position and velocity gains: τ = Kp·s·p·(target − q) − (Kd·c + d)·q̇, and the motor follows them', () => {
    const rng = new Rng(seed, 11);
    const kp = rng.uniform(5, 50), kd = rng.uniform(0.1, 2), p = rng.uniform(0.5, 1.5), c = rng.uniform(0.5, 1.5), strength = rng.uniform(0.8, 1.2), d = rng.uniform(0, 0.3);
    const w = world(0.002, [0, 0, 0]);
    const robot = buildRobot(R, w, fixture('pendulum.urdf'), pendulumSpec('position', { kp, kd }), { origin: [0, 0, 0] });
    robot.applyRandomization({ ...nominal(), gravity_z: 0, motor_strength: strength, joint_damping: d, kp_scale: p, kd_scale: c });
    const target = rng.uniform(-0.5, 0.5);
    robot.setJoints([0], [0]);
    robot.setAction([target]);
    steps(w, [robot], 20);
    const q = new Float64Array(1), qd = new Float64Array(1), tq = new Float64Array(1);
    robot.readJoints(q, qd);
    robot.readTorques(tq);
    const urdfDamping = fixture('pendulum.urdf').joints.find((j) => j.name === 'hinge')!.dynamics.damping;
    const want = kp * strength * p * (target - q[0]!) - (kd * c + d + urdfDamping) * qd[0]!;
    expect(tq[0]! / want, `seed ${seed}`).toBeCloseTo(1, 9);
    // the same motion as a robot built with those gains and no scales (the motor applies the scaled gains)
    const w2 = world(0.002, [0, 0, 0]);
    const plain = buildRobot(R, w2, fixture('pendulum.urdf'), pendulumSpec('position', { kp: kp * p, kd: kd * c }), { origin: [0, 0, 0] });
    plain.applyRandomization({ ...nominal(), gravity_z: 0, motor_strength: strength, joint_damping: d });
    plain.setJoints([0], [0]);
    plain.setAction([target]);
    steps(w2, [plain], 20);
    const q2 = new Float64Array(1), qd2 = new Float64Array(1);
    plain.readJoints(q2, qd2);
    expect(q2[0]! - q[0]!, `seed ${seed}`).toBeCloseTo(0, 6);
    expect(qd2[0]! - qd[0]!, `seed ${seed}`).toBeCloseTo(0, 5);
  });
});

describe('randomization limits', () => {
  const boxSpec = makeSpec('box_bot', [{ name: 'flag_hinge', kp: 1, kd: 0.1 }], { floating: 0.1, dtS: 0.01 });

  it('restitution lands on every collider; a sample outside a declared limit is refused naming the key and changes nothing', () => {
    const w = world(0.01);
    const r = buildRobot(R, w, fixture('box_bot.urdf'), boxSpec, { origin: [0, 0, 0] });
    const rng = new Rng(seed, 10);
    const e = rng.uniform(0.1, 0.9);
    r.applyRandomization({ ...nominal(), restitution: e });
    for (const cs of r.colliders) for (const c of cs) expect(c.restitution(), `seed ${seed}`).toBeCloseTo(e, 6);
    const masses = r.massesKg();
    expect(() => r.applyRandomization({ ...nominal(), mass_scale: 40, restitution: 0 })).toThrow('randomization sample: mass_scale = 40: outside the allowed [0.05, 20]');
    expect(() => r.applyRandomization({ ...nominal(), restitution: 1.5 })).toThrow(/restitution = 1\.5: outside the allowed \[0, 1\]/);
    expect(() => r.applyRandomization({ ...nominal(), latency_steps: 0.5 })).toThrow(/latency_steps = 0\.5: must be a whole number/);
    expect(r.massesKg()).toEqual(masses);
    for (const cs of r.colliders) for (const c of cs) expect(c.restitution()).toBeCloseTo(e, 6);
  });
});

describe('replay and bookkeeping', () => {
  it('the same actions on two fresh worlds give bit-identical joint states', () => {
    const rng = new Rng(seed, 9);
    const acts = Array.from({ length: 300 }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
    const spec = makeSpec('cartpole', [{ name: 'slider', action_scale: 10 }, { name: 'hinge' }], { mode: 'effort', dtS: 0.01, clip: 1 });
    const make = () => {
      const w = world(0.01);
      createGround(R, w);
      const robots = [0, 1, 2].map((e) => buildRobot(R, w, fixture('cartpole.urdf'), spec, { origin: [0, 3 * e, 0] }));
      robots.forEach((r, e) => r.setJoints([0, 0.1 * e], [0, 0]));
      return { w, robots };
    };
    const act = (s: number, e: number) => acts[s]!.map((a) => a * (e + 1) / 3);
    expect(bitEqual(rollout(make, 300, act), rollout(make, 300, act)), `seed ${seed}`).toBe(true);
  });

  it('with a step clock, cached joint reads equal fresh ones after every step and after setJoints', () => {
    const rng = new Rng(seed, 9);
    const clock = { steps: 0 };
    const w = world(0.002);
    const spec = pendulumSpec('effort');
    const cached = buildRobot(R, w, fixture('pendulum.urdf'), spec, { origin: [0, 0, 0], clock });
    const w2 = world(0.002); // same origin as `cached`, own world: replays must be bit-identical
    const plain = buildRobot(R, w2, fixture('pendulum.urdf'), spec, { origin: [0, 0, 0] });
    const a = [new Float64Array(1), new Float64Array(1)] as const, b = [new Float64Array(1), new Float64Array(1)] as const;
    for (let s = 0; s < 200; s++) {
      if (s % 50 === 0) {
        const q = rng.uniform(-1, 1), qd = rng.uniform(-2, 2);
        cached.readJoints(a[0], a[1]); // fill the cache, then teleport: the next read must see the new state
        cached.setJoints([q], [qd]);
        plain.setJoints([q], [qd]);
        cached.readJoints(a[0], a[1]);
        expect(Math.abs(a[0][0]! - q)).toBeLessThan(1e-6); // Rapier keeps f32 poses
      }
      const u = rng.uniform(-1, 1);
      cached.setAction([u]);
      plain.setAction([u]);
      w.step();
      w2.step();
      clock.steps++;
      cached.readJoints(a[0], a[1]);
      cached.readJoints(a[0], a[1]); // second read in the same step: from the cache
      plain.readJoints(b[0], b[1]);
      expect(a[0][0], `seed ${seed} step ${s}`).toBe(b[0][0]);
      expect(a[1][0], `seed ${seed} step ${s}`).toBe(b[1][0]);
    }
  });

  it('setAction rejects non-finite entries naming the index; dispose removes the robot', () => {
    const w = world();
    const spec = makeSpec('cartpole', [{ name: 'slider' }, { name: 'hinge' }], { mode: 'effort' });
    const r = buildRobot(R, w, fixture('cartpole.urdf'), spec, { origin: [0, 0, 0] });
    expect(() => r.setAction([0, NaN])).toThrow(/action\[1\].*hinge/);
    expect(() => r.setAction([Infinity, 0])).toThrow(/action\[0\]/);
    const n = w.bodies.len();
    r.dispose();
    expect(w.bodies.len()).toBe(n - r.links.length);
    expect(w.impulseJoints.len()).toBe(0);
  });

  it('a "world" root link is the world: the first real link names the fixed root body', () => {
    const r = buildRobot(R, world(), fixture('pendulum.urdf'), pendulumSpec(), { origin: [1, 2, 0] });
    expect(r.links.map((l) => l.name)).toEqual(['support', 'rod']);
    expect(r.linkIndex('world')).toBe(0);
    expect(r.linkIndex('nope')).toBe(-1);
    const pose = new Float64Array(7);
    r.readLinkPose(0, pose);
    expect([...pose]).toEqual([0, 0, 1.5, 0, 0, 0, 1]);
  });

  it('errors name what is wrong: undriveable spec joints, degenerate convex hulls', () => {
    const model = fixture('cartpole.urdf');
    expect(() => buildRobot(R, world(), model, makeSpec('c', [{ name: 'world_to_rail' }]), { origin: [0, 0, 0] })).toThrow(/world_to_rail.*fixed/);
    expect(() => buildRobot(R, world(), model, makeSpec('c', [{ name: 'nope' }]), { origin: [0, 0, 0] })).toThrow(/"nope" is not a joint/);
    const flat: RobotModel = structuredClone(model);
    flat.links.find((l) => l.name === 'pole')!.collisions = [{
      origin: { xyz: [0, 0, 0], rpy: [0, 0, 0], quat: [0, 0, 0, 1] },
      geometry: { kind: 'convex', vertices: new Float32Array([0, 0, 0, 1, 0, 0, 2, 0, 0]), source: 'line.stl' },
    }];
    expect(() => buildRobot(R, world(), flat, makeSpec('c', [{ name: 'slider' }]), { origin: [0, 0, 0] })).toThrow(/link "pole".*line\.stl/);
  });
});
