/**
 * The MuJoCo robot behind `--engine mujoco`: its model carries the plan's masses, inertias,
 * limits and damping exactly; its `SimRobot` readouts keep the interface's conventions (world-frame
 * base velocities, revolute angles in (−π, π]); pushes and randomization reach its dynamics as
 * they reach Rapier's; an env group and `evaluatePolicy` run on it unchanged; and what MuJoCo
 * cannot build or model is a one-line error that says why.
 */
import { describe, expect, it } from 'vitest';
import { compileModel, loadMujoco } from '../../src/mujoco/mujoco_wasm.ts';
import { robotMjcf } from '../../src/mujoco/mjcf.ts';
import { mujocoIndex } from '../../src/mujoco/mujoco_index.ts';
import { MUJOCO_ENGINE, MujocoScene } from '../../src/mujoco/mujoco_scene.ts';
import { RAPIER_ENGINE } from '../../src/sim/rapier_scene.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { evaluatePolicy } from '../../src/sim/evaluate.ts';
import type { PhysicsEngine } from '../../src/sim/physics_scene.ts';
import { planRobot } from '../../src/robot/robot_plan.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { qFromAxisAngle, vNormalize } from '../../src/robot/math.ts';
import type { Vec3 } from '../../src/robot/robot_model.ts';
import { NOMINAL, resolveRandomization, sampleRandomization } from '../../src/task/randomize.ts';
import { Rng } from '../../src/task/rng.ts';
import { cartpole } from '../../envs/cartpole.ts';
import { quadruped } from '../../envs/quadruped/quadruped.ts';

const ENGINES: [string, PhysicsEngine][] = [['rapier', RAPIER_ENGINE], ['mujoco', MUJOCO_ENGINE]];
const rnd = (lo: number, hi: number) => lo + (hi - lo) * Math.random();
const randomVec = (s: number): Vec3 => [rnd(-s, s), rnd(-s, s), rnd(-s, s)];

/** A lone robot of `name` on `engine` at nominal gravity. */
async function single(engine: PhysicsEngine, name: string) {
  const spec = loadRobotSpec(name);
  const model = loadUrdf(spec.urdfPath);
  const scene = await engine.createScene({ model, spec, numEnvs: 1, envSpacingM: 0, gravity: [0, 0, -9.81] });
  return { spec, scene, robot: scene.addRobot([0, 0, 0]) };
}

/** A randomization sample: nominal but for `overrides` (ranges [v, v]). */
function sample(overrides: Record<string, [number, number]>) {
  return sampleRandomization(resolveRandomization(NOMINAL, overrides), new Rng(7, 0));
}

describe('the MJCF of a robot', () => {
  it.each(['quadruped', 'a1', 'anymal_c', 'cartpole', 'pendulum', 'reacher'])('%s: MuJoCo compiles the plan with its masses, inertias, joint limits and damping unchanged', async (name) => {
    const mj = await loadMujoco();
    const spec = loadRobotSpec(name);
    const plan = planRobot(loadUrdf(spec.urdfPath), spec);
    const damping = plan.bodies.map(() => rnd(0, 0.1));
    const n = spec.joints.length;
    const actuation = { kp: Array.from({ length: n }, () => rnd(1, 50)), kv: Array.from({ length: n }, () => rnd(0, 2)), forceLimit: Array.from({ length: n }, () => rnd(1, 30)), dofDamping: damping };
    const m = compileModel(mj, robotMjcf({ plan, spec, gravity: [0, 0, -9.81], actuation }), name);
    try {
      const ix = mujocoIndex(mj, m, plan);
      const mass = m.body_mass as Float64Array, inertia = m.body_inertia as Float64Array, range = m.jnt_range as Float64Array;
      plan.bodies.forEach((b, i) => {
        const id = ix.bodyIds[i]!;
        if (i > 0 || !plan.rootFixed) {
          expect(mass[id], b.name).toBeCloseTo(b.mass.massKg, 12);
          for (let a = 0; a < 3; a++) expect(inertia[3 * id + a], b.name).toBeCloseTo(b.mass.inertia[a]!, 12);
        }
        if (b.joint === null) return;
        const j = mj.mj_name2id(m, 3, `joint${i}`);
        expect((m.jnt_limited as Uint8Array)[j], b.joint.name).toBe(b.joint.enforceLimits ? 1 : 0);
        if (b.joint.enforceLimits) expect([range[2 * j], range[2 * j + 1]]).toEqual([b.joint.limit.lower, b.joint.limit.upper]);
        expect((m.dof_damping as Float64Array)[ix.dofAdr[i]!]).toBeCloseTo(damping[i]!, 12);
      });
      expect(m.nu).toBe(n);
      expect(m.ngeom).toBe(1 + plan.bodies.reduce((s, b) => s + b.colliders.length, 0));
    } finally {
      m.delete();
    }
  });

  it('a model MuJoCo refuses is one error line quoting MuJoCo', async () => {
    const mj = await loadMujoco();
    const bad = () => compileModel(mj, '<mujoco><worldbody><bogus/></worldbody></mujoco>', 'robot test');
    expect(bad).toThrow(/^robot test: MuJoCo could not compile the model: the MJCF does not follow MuJoCo's schema \(mjXError\)$/);
    try { bad(); } catch (e) { expect((e as Error).message).not.toMatch(/\n/); }
  });
});

describe('a MuJoCo robot as tasks see it', () => {
  it('setBase then readBase gives the pose and the world-frame velocities back, as Rapier does', async () => {
    for (const [name, engine] of ENGINES) {
      const { scene, robot } = await single(engine, 'quadruped');
      try {
        const q = qFromAxisAngle(vNormalize(randomVec(1)), rnd(-3, 3));
        const pos: Vec3 = [rnd(-1, 1), rnd(-1, 1), rnd(1, 2)], lin = randomVec(2), ang = randomVec(3);
        robot.setBase(pos, q, lin, ang);
        const b = new Float64Array(13);
        robot.readBase(b);
        const sign = Math.sign(b[6]!) === Math.sign(q[3]) ? 1 : -1;
        const want = [...pos, ...q.map((x) => sign * x), ...lin, ...ang];
        expect(Array.from(b).map((x, i) => Math.abs(x - want[i]!)).every((d) => d < 1e-5), `${name}: ${Array.from(b)} vs ${want}`).toBe(true);
      } finally {
        scene.dispose();
      }
    }
  });

  it('reports a continuous joint in (−π, π], however far it has turned', async () => {
    const { scene, robot } = await single(MUJOCO_ENGINE, 'pendulum');
    try {
      const turns = Math.floor(rnd(1, 5)), angle = rnd(-Math.PI + 0.01, Math.PI);
      robot.setAllJoints([0, angle + 2 * Math.PI * turns], [0, 0]);
      const p = new Float64Array(2), v = new Float64Array(2);
      robot.readAllJoints(p, v);
      expect(p[1]).toBeCloseTo(angle, 9);
    } finally {
      scene.dispose();
    }
  });

  it('a push adds the same velocity to a weightless robot in both engines (an impulse m·Δv at the pushed body)', async () => {
    const after = await Promise.all(ENGINES.map(async ([, engine]) => {
      const { spec, scene, robot } = await single(engine, 'quadruped');
      try {
        robot.applyRandomization(sample({ gravity: [0, 0] }));
        const q = spec.joints.map((j) => j.default_pos);
        robot.setBase([0, 0, 1], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
        robot.setJoints(q, q.map(() => 0));
        robot.setAction(new Float32Array(q.length));
        robot.push(0, [0.8, -0.5, 0]);
        for (let s = 0; s < spec.decimation; s++) {
          robot.prePhysicsStep(spec.physics_dt_s);
          scene.step();
        }
        const b = new Float64Array(13);
        robot.readBase(b);
        return [b[7]!, b[8]!, b[9]!];
      } finally {
        scene.dispose();
      }
    }));
    const [r, m] = after as [number[], number[]];
    expect(Math.hypot(...r)).toBeGreaterThan(0.2);
    for (let a = 0; a < 3; a++) expect(Math.abs(m[a]! - r[a]!), `rapier ${r}, mujoco ${m}`).toBeLessThan(0.05 * Math.hypot(...r));
  });

  it('randomization reaches the dynamics: gravity sets the fall, mass the masses, friction the slide; restitution is refused by name', async () => {
    const { spec, scene, robot } = await single(MUJOCO_ENGINE, 'quadruped');
    try {
      const g = rnd(2, 6);
      robot.applyRandomization(sample({ gravity: [g, g], mass_scale: [1.5, 1.5] }));
      expect((scene as MujocoScene).robots[0]!.massesKg()).toEqual(robot.links.map((l) => expect.closeTo(1.5 * l.massKg, 9)));
      const q = spec.joints.map((j) => j.default_pos), zero = new Float32Array(q.length), b = new Float64Array(13);
      robot.setBase([0, 0, 3], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
      robot.setJoints(q, q.map(() => 0));
      robot.setAction(zero);
      const steps = Math.round(Math.sqrt(2 / g) / spec.physics_dt_s);
      for (let s = 0; s < steps; s++) { robot.prePhysicsStep(spec.physics_dt_s); scene.step(); }
      robot.readBase(b);
      expect(3 - b[2]!).toBeCloseTo(1, 1);
      // slide: a 0.3 m/s sideways start goes ~0.2 m on ice (Rapier: the same) and stops at once on rubber
      const slide = (friction: number) => {
        robot.applyRandomization(sample({ friction: [friction, friction] }));
        robot.setBase([0, 0, 0.3], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
        robot.setJoints(q, q.map(() => 0));
        for (let s = 0; s < 200; s++) { robot.prePhysicsStep(spec.physics_dt_s); scene.step(); }
        robot.readBase(b);
        const y0 = b[1]!;
        robot.setBase([b[0]!, y0, b[2]!], [b[3]!, b[4]!, b[5]!, b[6]!], [0, 0.3, 0], [0, 0, 0]);
        for (let s = 0; s < 200; s++) { robot.prePhysicsStep(spec.physics_dt_s); scene.step(); }
        robot.readBase(b);
        return b[1]! - y0;
      };
      expect(slide(0.02)).toBeGreaterThan(0.15);
      expect(Math.abs(slide(1))).toBeLessThan(0.05);
      expect(() => robot.applyRandomization(sample({ restitution: [0.3, 0.3] }))).toThrow(/^randomization sample: restitution = 0\.3: MuJoCo does not model it/);
    } finally {
      scene.dispose();
    }
  });
});

describe('env groups and evaluation on MuJoCo', () => {
  it('evaluatePolicy balances the cart-pole with a scripted controller under the task\'s randomization on both engines, with the same statistics', async () => {
    const k = [0.5, 1, 8, 1.5];
    const policy = async (obs: Float32Array) => Float32Array.from({ length: obs.length / 4 }, (_, i) => k.reduce((a, g, j) => a + g * obs[4 * i + j]!, 0));
    const seed = Math.floor(rnd(0, 1e6));
    const results = await Promise.all(ENGINES.map(([, engine]) => evaluatePolicy({ task: cartpole, policy, episodes: 3, seed, dr: cartpole.dr, engine })));
    for (const r of results) {
      expect(Object.keys(r).sort()).toEqual(['episodes', 'lengths', 'mean_length', 'mean_return', 'returns', 'std_length', 'std_return']);
      expect(r.mean_return, `seed ${seed}`).toBeGreaterThanOrEqual(475);
    }
  });

  it('a quadruped group on MuJoCo holds commands and reports tracking; a range MuJoCo does not model is refused before anything is built', async () => {
    const r = await evaluatePolicy({
      task: quadruped, policy: async (obs) => new Float32Array((obs.length / quadruped.observations.length) * quadruped.actions.length),
      episodes: 2, seed: 3, dr: NOMINAL, engine: MUJOCO_ENGINE, tracking: { commands: Float64Array.from([0, 0, 0]), settleS: 1 },
    });
    expect(r.tracking!.terminated).toBe(0);
    expect(r.tracking!.commands.vx!.mean_abs_error).toBeLessThan(0.1);
    expect(r.base_height!.ratio).toBeGreaterThan(0.9);
    const dr = resolveRandomization(NOMINAL, { restitution: [0, 0.4] });
    await expect(EnvGroup.create({ task: cartpole, numEnvs: 1, firstEnvIndex: 0, seed: 1, dr }, MUJOCO_ENGINE))
      .rejects.toThrow(/^restitution: the mujoco engine does not model it \(.*\); it must stay at its nominal 0, got \[0, 0\.4\]$/);
  });
});
