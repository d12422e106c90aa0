/**
 * The Rapier builder against what a user of a URDF expects: masses, frames and joint signs as
 * URDF forward kinematics says, limits that hold, efforts and pendulums that obey Newton
 * (randomization and replays: build_randomization.test.ts).
 * Random inputs use a fresh seed per run, printed in failure messages.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.ts';
import { parseUrdf, totalMassKg } from '../../src/robot/urdf/urdf_loader.ts';
import { buildRobot, createGround, createWorld } from '../../src/sim/build/build.ts';
import { Rng } from '../../src/task/rng.ts';
import type { Vec3 } from '../../src/robot/robot_model.ts';
import { jointXml, makeSpec, maxDiff, poseM4, randomChainUrdf, randomInertial, randomOrigin, urdfFk } from '../fixtures/build/helpers.ts';
import { bodyInertia, builtLinkFrames, combinedInertia, fixture, nominal, pendulumSpec, stepAll } from '../fixtures/build/sim_helpers.ts';

let R: Rapier;
beforeAll(async () => {
  R = await loadRapier();
});

const seed = Math.floor(Math.random() * 2 ** 31);

function world(dtS = 0.002, gravity?: Vec3) {
  return createWorld(R, { dtS, gravity });
}

const steps = stepAll;

describe('masses', () => {
  it('bodies carry exactly the URDF mass (sum of <mass>), fixed-base root included', () => {
    for (const [file, spec] of [['pendulum.urdf', pendulumSpec()], ['cartpole.urdf', makeSpec('cartpole', [{ name: 'slider' }])]] as const) {
      const model = fixture(file);
      const r = buildRobot(R, world(), model, spec, { origin: [0, 0, 0] });
      expect(r.links.reduce((s, l) => s + l.massKg, 0)).toBeCloseTo(totalMassKg(model), 12);
      r.links.forEach((l, i) => {
        if (i > 0) expect(r.bodies[i]!.mass() / l.massKg - 1).toBeLessThan(1e-6);
      });
    }
  });

  it('a body merged across fixed joints has the combined mass, COM and inertia (random links, 1e-5)', () => {
    const rng = new Rng(seed, 1);
    for (let trial = 0; trial < 5; trial++) {
      const ins = [randomInertial(rng), randomInertial(rng), randomInertial(rng)];
      const o1 = randomOrigin(rng), o2 = randomOrigin(rng);
      const xml = `<robot name="merged"><link name="base">${ins[0]!.xml}</link><link name="a">${ins[1]!.xml}</link><link name="b">${ins[2]!.xml}</link>`
        + jointXml('fa', 'fixed', 'base', 'a', o1) + jointXml('fb', 'fixed', 'a', 'b', o2)
        + `<link name="arm">${randomInertial(rng).xml}</link>`
        + jointXml('j', 'revolute', 'b', 'arm', randomOrigin(rng), [0, 1, 0], '<limit lower="-1" upper="1" effort="1" velocity="1"/>') + '</robot>';
      const model = parseUrdf(xml, 'merged.urdf');
      const r = buildRobot(R, world(), model, makeSpec('merged', [{ name: 'j' }], { floating: 1 }), { origin: [0, 0, 0] });
      expect(r.links.length, `seed ${seed}`).toBe(2);
      expect(r.links[0]!.mergedLinks.sort()).toEqual(['a', 'b', 'base']);
      const { M, com, I } = combinedInertia(urdfFk(model, {}), { base: ins[0]!, a: ins[1]!, b: ins[2]! });
      const body = r.bodies[0]!;
      expect(body.mass(), `seed ${seed}`).toBeCloseTo(M, 5);
      const lc = body.localCom();
      expect(Math.max(...[lc.x, lc.y, lc.z].map((x, k) => Math.abs(x - com[k]!))), `seed ${seed}`).toBeLessThan(1e-6);
      const got = bodyInertia(body);
      const scale = Math.max(...I.map(Math.abs));
      expect(Math.max(...got.map((x, k) => Math.abs(x - I[k]!))) / scale, `seed ${seed}`).toBeLessThan(1e-5);
    }
  });

  it('a movable link without mass gets 1 g and a warning', () => {
    const xml = '<robot name="m"><link name="base"><inertial><mass value="1"/><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial></link><link name="arm"/>'
      + jointXml('j', 'revolute', 'base', 'arm', '', [0, 0, 1], '<limit lower="-1" upper="1" effort="1" velocity="1"/>') + '</robot>';
    const r = buildRobot(R, world(), parseUrdf(xml, 'm.urdf'), makeSpec('m', [{ name: 'j' }]), { origin: [0, 0, 0] });
    expect(r.links[1]!.massKg).toBe(1e-3);
    expect(r.warnings.join('\n')).toMatch(/arm.*no mass/);
  });
});

describe('joint frames and signs', () => {
  it('setJoints puts every link where URDF forward kinematics says, and readJoints returns q (random rpy, axes)', () => {
    const rng = new Rng(seed, 2);
    for (let trial = 0; trial < 4; trial++) {
      const { xml, joints } = randomChainUrdf(rng, 4);
      const model = parseUrdf(xml, 'chain.urdf');
      const origin: Vec3 = [rng.uniform(-5, 5), rng.uniform(-5, 5), 0];
      const r = buildRobot(R, world(), model, makeSpec('chain', joints.map((name) => ({ name }))), { origin });
      for (let k = 0; k < 3; k++) {
        const q = joints.map(() => rng.uniform(-2, 2));
        const qd = joints.map(() => rng.uniform(-2, 2));
        r.setJoints(q, qd);
        const want = urdfFk(model, Object.fromEntries(joints.map((j, i) => [j, q[i]!])));
        const got = builtLinkFrames(r);
        for (const [name, t] of want) expect(maxDiff(got.get(name)!, t), `seed ${seed} link ${name}`).toBeLessThan(5e-6);
        const pose = new Float64Array(7);
        r.links.forEach((l, i) => {
          r.readLinkPose(i, pose);
          expect(maxDiff(poseM4(pose), want.get(l.name)!), `seed ${seed} readLinkPose ${l.name}`).toBeLessThan(5e-6);
        });
        const pos = new Float64Array(joints.length), vel = new Float64Array(joints.length);
        r.readJoints(pos, vel);
        pos.forEach((p, i) => expect(Math.abs(p - q[i]!), `seed ${seed} q[${i}]`).toBeLessThan(1e-6));
        vel.forEach((v, i) => expect(Math.abs(v - qd[i]!), `seed ${seed} qd[${i}]`).toBeLessThan(1e-5));
      }
    }
  });

  it('passive joints can be read and set by name order (readAllJoints / setAllJoints)', () => {
    const spec = makeSpec('cartpole', [{ name: 'slider' }], { mode: 'effort' });
    const r = buildRobot(R, world(), fixture('cartpole.urdf'), spec, { origin: [0, 0, 0] });
    expect(r.movableJointNames).toEqual(['', 'slider', 'hinge']);
    r.setAllJoints([0, 0.4, -0.3], [0, 0.2, 1.5]);
    const pos = new Float64Array(3), vel = new Float64Array(3);
    r.readAllJoints(pos, vel);
    [0, 0.4, -0.3].forEach((x, i) => expect(pos[i]).toBeCloseTo(x, 6));
    [0, 0.2, 1.5].forEach((x, i) => expect(vel[i]).toBeCloseTo(x, 5));
    const tip = builtLinkFrames(r).get('pole')!;
    expect(maxDiff(tip, urdfFk(fixture('cartpole.urdf'), { slider: 0.4, hinge: -0.3 }).get('pole')!)).toBeLessThan(5e-6);
  });

  it('setBase moves a floating robot rigidly and readBase returns what was set', () => {
    const rng = new Rng(seed, 3);
    const { xml, joints } = randomChainUrdf(rng, 3);
    const model = parseUrdf(xml, 'chain.urdf');
    const r = buildRobot(R, world(), model, makeSpec('chain', joints.map((name) => ({ name })), { floating: 1 }), { origin: [2, -3, 0] });
    const q = joints.map(() => rng.uniform(-2, 2));
    r.setJoints(q, joints.map(() => 0));
    const p: Vec3 = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.5, 2)];
    const axis = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const n = Math.hypot(...axis), a = rng.uniform(-3, 3);
    const quat = [...axis.map((x) => (x / n) * Math.sin(a / 2)), Math.cos(a / 2)] as [number, number, number, number];
    const v: Vec3 = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const w: Vec3 = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    r.setBase(p, quat, v, w);
    const base = new Float64Array(13);
    r.readBase(base);
    [...p, ...quat, ...v, ...w].forEach((x, i) => expect(Math.abs(base[i]! - x), `seed ${seed} base[${i}]`).toBeLessThan(1e-6));
    const want = urdfFk(model, Object.fromEntries(joints.map((j, i) => [j, q[i]!])), poseM4([...p, ...quat]));
    const got = builtLinkFrames(r);
    for (const [name, t] of want) expect(maxDiff(got.get(name)!, t), `seed ${seed} link ${name}`).toBeLessThan(5e-6);
    const pos = new Float64Array(joints.length), vel = new Float64Array(joints.length);
    r.readJoints(pos, vel);
    pos.forEach((x, i) => expect(Math.abs(x - q[i]!)).toBeLessThan(1e-6));
    vel.forEach((x) => expect(Math.abs(x)).toBeLessThan(1e-5));
  });

  it('a position target drives each joint in the URDF positive direction (gravity off)', () => {
    const rng = new Rng(seed, 4);
    const { xml, joints } = randomChainUrdf(rng, 3);
    const model = parseUrdf(xml, 'chain.urdf');
    for (let k = 0; k < joints.length; k++) {
      const w = world(0.002, [0, 0, 0]);
      const r = buildRobot(R, w, model, makeSpec('chain', joints.map((name) => ({ name, kp: 400, kd: 40 }))), { origin: [0, 0, 0] });
      const action = joints.map((_, i) => (i === k ? 0.3 : 0));
      r.setAction(action);
      steps(w, [r], 1500);
      const pos = new Float64Array(joints.length), vel = new Float64Array(joints.length);
      r.readJoints(pos, vel);
      expect(pos[k]! - 0.3, `seed ${seed} joint ${joints[k]} (${model.joints.find((j) => j.name === joints[k])?.type})`).toBeCloseTo(0, 2);
      const want = urdfFk(model, Object.fromEntries(joints.map((j, i) => [j, pos[i]!])));
      const got = builtLinkFrames(r);
      for (const [name, t] of want) expect(maxDiff(got.get(name)!, t), `seed ${seed} link ${name}`).toBeLessThan(1e-3);
    }
  });
});

describe('limits', () => {
  const limited = (type: 'revolute' | 'prismatic') => parseUrdf(
    `<robot name="lim"><link name="world"/><link name="arm">${'<inertial><origin xyz="0.3 0 0"/><mass value="1"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.03" iyz="0" izz="0.03"/></inertial>'}</link>`
    + jointXml('j', type, 'world', 'arm', '<origin xyz="0 0 1"/>', [0, 1, 0], '<limit lower="-0.5" upper="0.8" effort="200" velocity="5"/>') + '</robot>', 'lim.urdf');

  it('joints stay within their limits under a 200 N·m / 200 N effort pushing past them', () => {
    // Tolerances: settled 1e-3; on impact (~50 rad/s or ~17 m/s at dt 2 ms) about one step of motion, 0.03.
    for (const type of ['revolute', 'prismatic'] as const) {
      for (const sign of [1, -1]) {
        const w = world(0.002);
        const r = buildRobot(R, w, limited(type), makeSpec('lim', [{ name: 'j', action_scale: 1 }], { mode: 'effort', clip: 1000 }), { origin: [0, 0, 0] });
        r.setAction([sign * 1000]);
        const torque = new Float64Array(1);
        r.readTorques(torque);
        expect(torque[0]).toBe(sign * 200);
        const past: number[] = [];
        const pos = new Float64Array(1), vel = new Float64Array(1);
        steps(w, [r], 1000, () => {
          r.readJoints(pos, vel);
          past.push(sign > 0 ? pos[0]! - 0.8 : -0.5 - pos[0]!);
        });
        expect(Math.max(...past), `${type} ${sign > 0 ? 'upper' : 'lower'} on impact`).toBeLessThan(0.03);
        expect(Math.max(...past.slice(500)), `${type} ${sign > 0 ? 'upper' : 'lower'} settled`).toBeLessThan(1e-3);
      }
    }
  });

  it('a motor with Kp 1e4 aimed 2 rad past the upper limit holds at the limit (impact 0.03, settled 1e-3)', () => {
    const w = world(0.002);
    const r = buildRobot(R, w, limited('revolute'), makeSpec('lim', [{ name: 'j', kp: 1e4, kd: 50 }]), { origin: [0, 0, 0] });
    // setAction would clamp the target to the limit: drive the Rapier motor directly.
    r.joints[1]!.configureMotor(2.8, 0, 1e4, 50);
    const pos = new Float64Array(1), vel = new Float64Array(1);
    const past: number[] = [];
    steps(w, [r], 1000, () => {
      r.readJoints(pos, vel);
      past.push(pos[0]! - 0.8);
    });
    expect(Math.max(...past)).toBeLessThan(0.03);
    expect(Math.max(...past.slice(500).map(Math.abs))).toBeLessThan(1e-3);
  });

  it('position targets beyond a limit are clamped to it', () => {
    const r = buildRobot(R, world(), limited('revolute'), makeSpec('lim', [{ name: 'j', kp: 100, kd: 1 }]), { origin: [0, 0, 0] });
    const cmd = new Float64Array(1);
    r.setAction([5]);
    r.readCommands(cmd);
    expect(cmd[0]).toBe(0.8);
    r.setAction([-5]);
    r.readCommands(cmd);
    expect(cmd[0]).toBe(-0.5);
  });
});

describe('dynamics', () => {
  it('effort mode: a constant torque on a free-swinging link gives α = τ/I_pivot (2%, gravity off)', () => {
    const rng = new Rng(seed, 5);
    const tau = rng.uniform(-5, 5);
    const w = world(0.002, [0, 0, 0]);
    const r = buildRobot(R, w, fixture('pendulum.urdf'), pendulumSpec('effort'), { origin: [0, 0, 0] });
    r.setAction([tau]);
    steps(w, [r], 100);
    const pos = new Float64Array(1), vel = new Float64Array(1);
    r.readJoints(pos, vel);
    const alpha = vel[0]! / 0.2;
    expect(Math.abs(alpha / (tau / (0.03 + 1 * 0.3 ** 2)) - 1), `seed ${seed} tau ${tau}`).toBeLessThan(0.02);
  });

  it('effort mode: a constant force on a slider along a random axis gives a = F/m along +axis (2%)', () => {
    const rng = new Rng(seed, 6);
    const axis = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    const n = Math.hypot(...axis);
    const m = rng.uniform(0.5, 5), F = rng.uniform(1, 20);
    const model = parseUrdf(`<robot name="s"><link name="base"/><link name="slider"><inertial><mass value="${m}"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial></link>`
      + jointXml('j', 'prismatic', 'base', 'slider', randomOrigin(rng), axis, '<limit lower="-10" upper="10" effort="100" velocity="100"/>') + '</robot>', 's.urdf');
    const w = world(0.002, [0, 0, 0]);
    const r = buildRobot(R, w, model, makeSpec('s', [{ name: 'j' }], { mode: 'effort' }), { origin: [1, 2, 0] });
    r.setAction([F]);
    const before = builtLinkFrames(r).get('slider')!;
    steps(w, [r], 250);
    const pos = new Float64Array(1), vel = new Float64Array(1);
    r.readJoints(pos, vel);
    expect(Math.abs(vel[0]! / 0.5 / (F / m) - 1), `seed ${seed}`).toBeLessThan(0.02);
    const after = builtLinkFrames(r).get('slider')!;
    const moved = [after[3]! - before[3]!, after[7]! - before[7]!, after[11]! - before[11]!];
    // The axis is given in the joint (= slider link) frame.
    const axisWorld = [0, 1, 2].map((i) => (before[4 * i]! * axis[0]! + before[4 * i + 1]! * axis[1]! + before[4 * i + 2]! * axis[2]!) / n);
    const along = moved.reduce((s, x, i) => s + x * axisWorld[i]!, 0);
    expect(along, `seed ${seed}`).toBeGreaterThan(0);
    expect(Math.abs(along - pos[0]!)).toBeLessThan(1e-4);
  });

  it('effort mode with joint damping d (1e-5 … 2, log-uniform): a slider follows m·v̇ = F − d·v (2%)', () => {
    const rng = new Rng(seed, 7);
    for (let trial = 0; trial < 4; trial++) {
      const m = rng.uniform(0.5, 3), F = rng.uniform(2, 20), d = 10 ** rng.uniform(-5, Math.log10(2));
      const model = parseUrdf(`<robot name="s"><link name="base"/><link name="slider"><inertial><mass value="${m}"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial></link>`
        + jointXml('j', 'prismatic', 'base', 'slider', '<origin xyz="0 0 1"/>', [1, 0, 0], '<limit lower="-100" upper="100" effort="100" velocity="100"/>') + '</robot>', 's.urdf');
      const w = world(0.002, [0, 0, 0]);
      const r = buildRobot(R, w, model, makeSpec('s', [{ name: 'j' }], { mode: 'effort' }), { origin: [0, 0, 0] });
      r.applyRandomization({ ...nominal(), gravity_z: 0, joint_damping: d });
      r.setAction([F]);
      steps(w, [r], 250);
      const pos = new Float64Array(1), vel = new Float64Array(1);
      r.readJoints(pos, vel);
      const theory = (F / d) * (1 - Math.exp((-d * 0.5) / m));
      expect(Math.abs(vel[0]! / theory - 1), `seed ${seed}: m ${m} F ${F} d ${d}`).toBeLessThan(0.02);
    }
  });

  it('a compound pendulum from 0.05 rad swings with period 2π·sqrt(I_pivot/(m·g·d)) (2%, dt 1/500 s)', () => {
    const w = world(1 / 500);
    const r = buildRobot(R, w, fixture('pendulum.urdf'), pendulumSpec('position', {}, 1 / 500), { origin: [0, 0, 0] });
    r.setJoints([0.05], [0]);
    const pos = new Float64Array(1), vel = new Float64Array(1);
    const crossings: number[] = [];
    let prev = 0.05;
    for (let i = 1; i <= 5000; i++) {
      w.step();
      r.readJoints(pos, vel);
      if (prev > 0 && pos[0]! <= 0) crossings.push((i - 1 + prev / (prev - pos[0]!)) / 500);
      prev = pos[0]!;
    }
    const period = (crossings.at(-1)! - crossings[0]!) / (crossings.length - 1);
    const theory = 2 * Math.PI * Math.sqrt((0.03 + 1 * 0.3 ** 2) / (1 * 9.81 * 0.3));
    expect(crossings.length).toBeGreaterThan(5);
    expect(Math.abs(period / theory - 1)).toBeLessThan(0.02);
  });

  it('URDF/randomized joint damping d slows a free wheel as ω0·exp(-d·t/I) (2%)', () => {
    const w = world(0.002, [0, 0, 0]);
    const r = buildRobot(R, w, fixture('pendulum.urdf'), pendulumSpec('effort'), { origin: [0, 0, 0] });
    r.applyRandomization({ ...nominal(), gravity_z: 0, joint_damping: 0.12 });
    r.setJoints([0], [2]);
    steps(w, [r], 500);
    const pos = new Float64Array(1), vel = new Float64Array(1);
    r.readJoints(pos, vel);
    expect(Math.abs(vel[0]! / (2 * Math.exp(-1)) - 1)).toBeLessThan(0.02);
  });

  it('robot colliders rest on the ground (cylinders upright along URDF z) and ignore other robots', () => {
    const w = world(0.005);
    createGround(R, w);
    const cyl = [0, 1].map(() => buildRobot(R, w, fixture('cylinder_bot.urdf'), makeSpec('c', [{ name: 'cap_hinge' }], { floating: 0.3 }), { origin: [0, 0, 0] }));
    const box = [0, 1].map(() => buildRobot(R, w, fixture('box_bot.urdf'), makeSpec('b', [{ name: 'flag_hinge' }], { floating: 0.5 }), { origin: [3, 0, 0] }));
    expect(box[0]!.inContact(0)).toBe(false);
    // Rapier's cylinder-on-box contact rocks a standing cylinder over seconds, so look soon after landing.
    steps(w, [...cyl, ...box], 60);
    const base = new Float64Array(13);
    for (const r of cyl) {
      r.readBase(base);
      expect(base[2]).toBeCloseTo(0.2, 2);
      expect(1 - 2 * (base[3]! ** 2 + base[4]! ** 2), 'cylinder axis stays vertical').toBeGreaterThan(0.99);
      expect(r.inContact(0)).toBe(true);
      const q = r.colliders[0]![0]!.rotation();
      const yAxisZ = 2 * (q.y * q.z + q.x * q.w);
      expect(yAxisZ, "Rapier's cylinder axis (local y) lies along the link's z").toBeGreaterThan(0.99);
    }
    steps(w, [...cyl, ...box], 340);
    for (const r of box) {
      r.readBase(base);
      expect(base[2]).toBeCloseTo(0.1, 2);
      expect(r.inContact(0)).toBe(true);
      expect(r.inContact(1)).toBe(false);
    }
  });
});
