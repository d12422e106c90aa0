/**
 * Sim-to-sim consistency: Rapier and MuJoCo (mujoco-js), each built from the same URDF and
 * contract, pinned to physics rather than to each other — a passive pendulum's small-angle
 * period and a free fall's drop time against their analytic values, a cart-pole's unstable
 * fall against the linearized solution — and then to each other where physics gives no number:
 * each shipped robot stands 5 s on its default PD targets at the same height (within 2 cm) on
 * its feet only, and moving one joint moves the same link the same way in both.
 */
import { describe, expect, it } from 'vitest';
import { loadRobotSpec, type LoadedRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { RAPIER_ENGINE } from '../../src/sim/rapier_scene.ts';
import { MUJOCO_ENGINE } from '../../src/mujoco/mujoco_scene.ts';
import type { PhysicsEngine, PhysicsScene } from '../../src/sim/physics_scene.ts';
import type { SimRobot } from '../../src/task/sim_robot.ts';
import { standCheck } from '../../src/sim/stand_check.ts';
import { NOMINAL, resolveRandomization, sampleRandomization } from '../../src/task/randomize.ts';
import { Rng } from '../../src/task/rng.ts';
import { qConj, qMul, qNormalize } from '../../src/robot/math.ts';
import type { Quat, RobotModel, Vec3 } from '../../src/robot/robot_model.ts';

const ENGINES: [string, PhysicsEngine][] = [['rapier', RAPIER_ENGINE], ['mujoco', MUJOCO_ENGINE]];
const G = 9.81;

/** One robot of `name` on `engine`, alone in its scene, at its contract's physics step or `dtS` (dispose the scene when done). */
async function single(engine: PhysicsEngine, name: string, dtS?: number): Promise<{ spec: LoadedRobotSpec; model: RobotModel; scene: PhysicsScene; robot: SimRobot }> {
  const contract = loadRobotSpec(name);
  const spec = dtS === undefined ? contract : { ...contract, physics_dt_s: dtS, decimation: Math.round(contract.control_dt_s / dtS) };
  const model = loadUrdf(spec.urdfPath);
  const scene = await engine.createScene({ model, spec, numEnvs: 1, envSpacingM: 0, gravity: [0, 0, -G] });
  return { spec, model, scene, robot: scene.addRobot([0, 0, 0]) };
}

/** `steps` physics steps of a lone robot holding `action`, calling `each` after every step with the time reached. */
function run(scene: PhysicsScene, robot: SimRobot, spec: LoadedRobotSpec, steps: number, action: ArrayLike<number>, each: (tS: number) => void): void {
  robot.setAction(action);
  for (let s = 1; s <= steps; s++) {
    robot.prePhysicsStep(spec.physics_dt_s);
    scene.step();
    each(s * spec.physics_dt_s);
  }
}

describe.each(ENGINES)('%s against analytic physics', (_name, engine) => {
  it('a passive pendulum swings at its small-angle period 2π√(I/(m·g·d)) within 1%', async () => {
    const { spec, model, scene, robot } = await single(engine, 'pendulum');
    try {
      // the rod's inertia about the hinge, from the URDF: I_cm + m·d²
      const rod = model.links.find((l) => l.name === 'rod')!.inertial!;
      const d = rod.origin.xyz[2], m = rod.massKg;
      const period = 2 * Math.PI * Math.sqrt((rod.iyy + m * d * d) / (m * G * d));
      const amplitude = 0.02 + 0.03 * Math.random();
      robot.setAllJoints([0, Math.PI - amplitude], [0, 0]); // angle 0 is straight up: hang it, tilted
      const pos = new Float64Array(2), vel = new Float64Array(2);
      const crossings: number[] = [];
      let prev = -amplitude, prevT = 0;
      run(scene, robot, spec, Math.round((5.5 * period) / spec.physics_dt_s), [0], (t) => {
        robot.readAllJoints(pos, vel);
        const dev = Math.atan2(Math.sin((pos[1] as number) - Math.PI), Math.cos((pos[1] as number) - Math.PI));
        if (prev < 0 && dev >= 0) crossings.push(prevT + ((t - prevT) * -prev) / (dev - prev));
        prev = dev;
        prevT = t;
      });
      expect(crossings.length).toBeGreaterThanOrEqual(5);
      const measured = ((crossings.at(-1) as number) - (crossings[0] as number)) / (crossings.length - 1);
      expect(Math.abs(measured / period - 1), `period ${measured.toFixed(5)} s, analytic ${period.toFixed(5)} s`).toBeLessThan(0.01);
    } finally {
      scene.dispose();
    }
  });

  it('a free-falling robot drops 1 m in √(2/g) s, within one physics step', async () => {
    const { spec, scene, robot } = await single(engine, 'quadruped');
    try {
      const q = spec.joints.map((j) => j.default_pos);
      robot.setJoints(q, q.map(() => 0));
      const z0 = 2 + Math.random();
      robot.setBase([0, 0, z0], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
      const base = new Float64Array(13);
      let dropT = NaN;
      run(scene, robot, spec, Math.round(0.6 / spec.physics_dt_s), new Float32Array(q.length), (t) => {
        robot.readBase(base);
        if (Number.isNaN(dropT) && z0 - (base[2] as number) >= 1) dropT = t;
      });
      expect(Math.abs(dropT - Math.sqrt(2 / G)), `dropped 1 m at ${dropT} s`).toBeLessThanOrEqual(spec.physics_dt_s);
      // straight down (MuJoCo's joints drift by tens of µm in the fall)
      expect(Math.hypot(base[0] as number, base[1] as number)).toBeLessThan(1e-4);
    } finally {
      scene.dispose();
    }
  });

  it('an unpushed cart-pole falls as θ₀·cosh(λt), the linearized solution, within 1% after 0.4 s (at a 2 ms physics step)', async () => {
    // at the contract's 20 ms a semi-implicit Euler step's velocity leads by half a step, up to
    // λ·dt/2 ≈ 4% here: a finer step pins the coupled cart and pole dynamics, not the integrator
    const { spec, model, scene, robot } = await single(engine, 'cartpole', 0.002);
    try {
      const link = (n: string) => model.links.find((l) => l.name === n)!.inertial!;
      const pole = link('pole'), M = link('cart').massKg, m = pole.massKg, d = pole.origin.xyz[2];
      // (M+m)ẍ + m·d·θ̈ = 0 and m·d·ẍ + (I + m·d²)·θ̈ = m·g·d·θ
      const lambda = Math.sqrt((m * G * d) / (pole.iyy + m * d * d - (m * m * d * d) / (M + m)));
      const theta0 = 0.005 + 0.01 * Math.random();
      robot.setAllJoints([0, 0, theta0], [0, 0, 0]);
      const pos = new Float64Array(3), vel = new Float64Array(3);
      run(scene, robot, spec, Math.round(0.4 / spec.physics_dt_s), [0], () => robot.readAllJoints(pos, vel));
      const want = theta0 * Math.cosh(lambda * 0.4);
      expect(Math.abs((pos[2] as number) / want - 1), `θ(0.4 s) = ${pos[2]}, linearized ${want}`).toBeLessThan(0.01);
    } finally {
      scene.dispose();
    }
  });
});

describe('Rapier and MuJoCo side by side', () => {
  it.each(['quadruped', 'a1', 'anymal_c'])('%s stands 5 s on its default PD targets at the same height (within 2 cm) in both, on its feet only', async (name) => {
    const spec = loadRobotSpec(name);
    const model = loadUrdf(spec.urdfPath);
    const loco = spec.locomotion!;
    const cfg = { feet: loco.legs.map((l) => l.foot), nominalHeightM: loco.nominal_base_height_m };
    const [rapier, mujoco] = await Promise.all(ENGINES.map(([, e]) => standCheck(model, spec, cfg, e)));
    for (const r of [rapier!, mujoco!]) {
      expect(r.failures).toEqual([]);
      expect(r.other_contacts).toEqual([]);
    }
    expect(Math.abs(rapier!.final_height_m - mujoco!.final_height_m), `rapier ${rapier!.final_height_m} m, mujoco ${mujoco!.final_height_m} m`).toBeLessThan(0.02);
  });

  it('the cart-pole rests upright on zero force for 5 s in both, its fixed base where the contract puts it, touching nothing', async () => {
    for (const [name, engine] of ENGINES) {
      const { spec, scene, robot } = await single(engine, 'cartpole');
      try {
        robot.setAllJoints([0, 0, 0], [0, 0, 0]);
        const pos = new Float64Array(3), vel = new Float64Array(3), base = new Float64Array(13);
        let touched = false;
        run(scene, robot, spec, Math.round(5 / spec.physics_dt_s), [0], () => {
          for (let i = 0; i < robot.links.length; i++) touched ||= robot.inContact(i);
        });
        robot.readAllJoints(pos, vel);
        robot.readBase(base);
        expect([...pos, ...vel].every((x) => Math.abs(x) < 1e-9), `${name}: ${[...pos, ...vel]}`).toBe(true);
        expect(Array.from(base)).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        expect(touched, name).toBe(false);
      } finally {
        scene.dispose();
      }
    }
  });

  describe.each(['quadruped', 'a1', 'anymal_c', 'cartpole'])('%s: joint order, signs and limits', (name) => {
    it('the same limits; setting any one joint puts every link at the same pose in both (10 µm, 0.1 mrad: Rapier holds poses in f32)', async () => {
      const [r, m] = await Promise.all(ENGINES.map(([, e]) => single(e, name)));
      try {
        expect(m!.robot.jointLimits).toEqual(r!.robot.jointLimits);
        expect(m!.robot.movableJointNames).toEqual(r!.robot.movableJointNames);
        const spec = r!.spec;
        const pr = new Float64Array(7), pm = new Float64Array(7), qr = new Float64Array(spec.joints.length), qm = new Float64Array(spec.joints.length), v = new Float64Array(spec.joints.length);
        for (let k = 0; k < spec.joints.length; k++) {
          const q = spec.joints.map((j, i) => clampToLimit(r!.robot, i, j.default_pos));
          const lim = r!.robot.jointLimits[k]!;
          const step = 0.1 + 0.3 * Math.random();
          q[k] = clampToLimit(r!.robot, k, (q[k] as number) + (q[k]! + step <= lim.upper ? step : -step));
          for (const { robot } of [r!, m!]) {
            robot.setBase([0.1, -0.2, 1], [0, 0, Math.sin(0.3), Math.cos(0.3)], [0, 0, 0], [0, 0, 0]);
            robot.setJoints(q, q.map(() => 0));
          }
          r!.robot.readJoints(qr, v);
          m!.robot.readJoints(qm, v);
          expect(Array.from(qm)).toEqual(Array.from(qr).map((x) => expect.closeTo(x, 5)));
          for (let b = 0; b < r!.robot.links.length; b++) {
            r!.robot.readLinkPose(b, pr);
            m!.robot.readLinkPose(b, pm);
            const where = `${name}: joint ${spec.joints[k]!.name} at ${q[k]}, link ${r!.robot.links[b]!.name}`;
            for (let a = 0; a < 3; a++) expect(Math.abs(pm[a]! - pr[a]!), where).toBeLessThan(1e-5);
            // cos of half the angle between the orientations (Rapier's f32 quaternions are unit to ~1e-7 only)
            const dot = (pm[3]! * pr[3]! + pm[4]! * pr[4]! + pm[5]! * pr[5]! + pm[6]! * pr[6]!) / (Math.hypot(...pm.subarray(3)) * Math.hypot(...pr.subarray(3)));
            expect(Math.abs(dot), where).toBeGreaterThan(1 - 1e-9);
          }
        }
      } finally {
        r!.scene.dispose();
        m!.scene.dispose();
      }
    });
  });

  it.each(['quadruped', 'a1', 'anymal_c'])('a joint driven by its action moves the same way in both: every %s joint, weightless, turns toward its target and turns its link alike', async (name) => {
    const [r, m] = await Promise.all(ENGINES.map(([, e]) => single(e, name)));
    try {
      const spec = r!.spec, n = spec.joints.length;
      const weightless = sampleRandomization(resolveRandomization(NOMINAL, { gravity: [0, 0] }), new Rng(1, 0));
      for (const { robot } of [r!, m!]) robot.applyRandomization(weightless);
      for (let k = 0; k < n; k++) {
        const action = new Float32Array(n);
        action[k] = 1;
        const [mr, mm] = [r!, m!].map(({ scene, robot }) => {
          const q = spec.joints.map((j) => j.default_pos);
          robot.setBase([0, 0, 1], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
          robot.setJoints(q, q.map(() => 0));
          const child = robot.movableJointNames.indexOf(spec.joints[k]!.name);
          const before = linkInRoot(robot, child);
          run(scene, robot, spec, Math.round(0.1 / spec.physics_dt_s), action, () => {});
          const pos = new Float64Array(n), vel = new Float64Array(n);
          robot.readJoints(pos, vel);
          return { dq: (pos[k] as number) - (q[k] as number), turn: rotationVector(qMul(linkInRoot(robot, child), qConj(before))) };
        }) as [{ dq: number; turn: Vec3 }, { dq: number; turn: Vec3 }];
        const target = spec.joints[k]!.action_scale, what = `${spec.joints[k]!.name}: rapier ${mr.dq} rad, mujoco ${mm.dq} rad`;
        for (const d of [mr, mm]) expect(d.dq, what).toBeGreaterThan(0.5 * target);
        // as far within 20% of the step (Rapier's motors, 4 solver iterations, track ANYmal's heavy legs more softly)
        expect(Math.abs(mm.dq - mr.dq), what).toBeLessThan(0.2 * target);
        // the link turned about the same axis, by about the same angle
        const cos = mr.turn.reduce((s, x, a) => s + x * (mm.turn[a] as number), 0) / (Math.hypot(...mr.turn) * Math.hypot(...mm.turn));
        expect(cos, what).toBeGreaterThan(0.99);
        expect(Math.abs(Math.hypot(...mm.turn) - Math.hypot(...mr.turn)), what).toBeLessThan(0.2 * target);
      }
    } finally {
      r!.scene.dispose();
      m!.scene.dispose();
    }
  });

  it('limits hold in both: the cart pushed at full force stops at its rail end (3 m); an A1 calf thrown at 10 rad/s stops at its limit', async () => {
    for (const [name, engine] of ENGINES) {
      const cp = await single(engine, 'cartpole');
      try {
        const upper = cp.robot.jointLimits[0]!.upper;
        cp.robot.setAllJoints([0, upper - 0.1, 0], [0, 0, 0]);
        const pos = new Float64Array(3), vel = new Float64Array(3);
        let most = -Infinity;
        run(cp.scene, cp.robot, cp.spec, Math.round(1 / cp.spec.physics_dt_s), [1], () => {
          cp.robot.readAllJoints(pos, vel);
          most = Math.max(most, pos[1] as number);
        });
        expect(most, name).toBeLessThan(upper + 0.03);
        expect(pos[1], name).toBeGreaterThan(upper - 0.03);
      } finally {
        cp.scene.dispose();
      }
      const a1 = await single(engine, 'a1');
      try {
        const k = a1.spec.joints.findIndex((j) => j.name === 'FL_calf_joint');
        const upper = a1.robot.jointLimits[k]!.upper;
        const q = a1.spec.joints.map((j) => j.default_pos), v = q.map(() => 0);
        q[k] = upper - 0.05;
        v[k] = 10;
        a1.robot.setBase([0, 0, 1], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
        a1.robot.setJoints(q, v);
        const pos = new Float64Array(q.length), vel = new Float64Array(q.length);
        let most = -Infinity;
        run(a1.scene, a1.robot, a1.spec, Math.round(0.1 / a1.spec.physics_dt_s), new Float32Array(q.length), () => {
          a1.robot.readJoints(pos, vel);
          most = Math.max(most, pos[k] as number);
        });
        expect(most - upper, name).toBeLessThan(0.03);
      } finally {
        a1.scene.dispose();
      }
    }
  });
});

/** Spec joint `k`'s position `x` inside its limits. */
function clampToLimit(robot: SimRobot, k: number, x: number): number {
  const lim = robot.jointLimits[k]!;
  return Math.min(lim.upper, Math.max(lim.lower, x));
}

/** Orientation of body `b`'s link frame in the root link's frame. */
function linkInRoot(robot: SimRobot, b: number): Quat {
  const root = new Float64Array(7), link = new Float64Array(7);
  robot.readLinkPose(0, root);
  robot.readLinkPose(b, link);
  return qMul(qConj([root[3]!, root[4]!, root[5]!, root[6]!]), [link[3]!, link[4]!, link[5]!, link[6]!]);
}

/** Axis × angle of a rotation. */
function rotationVector(q: Quat): Vec3 {
  const n = qNormalize(q[3] < 0 ? [-q[0], -q[1], -q[2], -q[3]] : q);
  const s = Math.hypot(n[0], n[1], n[2]);
  const angle = 2 * Math.atan2(s, n[3]);
  return s === 0 ? [0, 0, 0] : [(n[0] * angle) / s, (n[1] * angle) / s, (n[2] * angle) / s];
}
