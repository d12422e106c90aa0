/**
 * The quadruped task on the legged robots the project ships (robots/quadruped, the Unitree A1
 * and ANYbotics ANYmal C from legged_gym): each stands 5 s in its default pose with zero actions
 * at ≥ 90% of its contract's nominal base height, upright, touching the ground with its feet
 * only; and the task takes its whole layout from the robot contract.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.ts';
import { buildRobot, createGround, createWorld } from '../../src/sim/build/build.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { taskOnRobot } from '../../src/task/task_registry.ts';
import { LegContacts } from '../../envs/quadruped/contacts.ts';
import { quadruped } from '../../envs/quadruped/quadruped.ts';
import { Rng } from '../../src/task/rng.ts';

let R: Rapier;
beforeAll(async () => {
  R = await loadRapier();
});

/** Base height and tilt after `seconds` of zero actions from the default pose, and whether anything but the feet touched down in the last second. */
function stand(name: string, seconds: number) {
  const spec = loadRobotSpec(name);
  const world = createWorld(R, { dtS: spec.physics_dt_s, solverIterations: spec.solver_iterations ?? 4 });
  try {
    createGround(R, world, { halfExtentM: 5 });
    const robot = buildRobot(R, world, loadUrdf(spec.urdfPath), spec, { origin: [0, 0, 0] });
    const legs = new LegContacts(robot, 'test', spec.locomotion!);
    const q = spec.joints.map((j) => j.default_pos);
    robot.setJoints(q, q.map(() => 0));
    robot.setBase([0, 0, spec.base.spawn_height_m!], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
    const zero = new Float32Array(spec.joints.length), b = new Float64Array(13);
    const steps = Math.round(seconds / spec.control_dt_s);
    let lowest = Infinity, otherContacts = 0, feetDown = 0;
    for (let s = 0; s < steps; s++) {
      robot.setAction(zero);
      for (let k = 0; k < spec.decimation; k++) {
        robot.prePhysicsStep(spec.physics_dt_s);
        world.step();
      }
      if (s < steps - Math.round(1 / spec.control_dt_s)) continue;
      robot.readBase(b);
      lowest = Math.min(lowest, b[2]!);
      if (legs.penalizedInContact() > 0 || legs.terminatingInContact()) otherContacts++;
      feetDown = Array.from({ length: legs.numFeet }, (_, f) => legs.footInContact(f)).filter(Boolean).length;
    }
    const [x, y] = [b[3]!, b[4]!];
    return { nominal: spec.locomotion!.nominal_base_height_m, lowest, tiltRad: 2 * Math.asin(Math.min(1, Math.hypot(x, y))), otherContacts, feetDown, feet: legs.numFeet };
  } finally {
    world.free();
  }
}

/** −(torque term) / (tracking reward) of robot `name` standing at a zero command in its default pose, seconds 1–3. */
function standingTorqueShare(name: string): number {
  const file = `robots/${name}.json`;
  const spec = loadRobotSpec(file);
  const task = taskOnRobot(quadruped, file);
  const world = createWorld(R, { dtS: spec.physics_dt_s, solverIterations: spec.solver_iterations ?? 4 });
  try {
    createGround(R, world, { halfExtentM: 5 });
    const robot = buildRobot(R, world, loadUrdf(spec.urdfPath), spec, { origin: [0, 0, 0] });
    const env = task.create({ robot, rng: new Rng(Math.floor(Math.random() * 2 ** 31), 0), envIndex: 0, controlDtS: spec.control_dt_s });
    env.reset();
    env.setCommands!(Float64Array.of(0, 0, 0));
    const q = spec.joints.map((j) => j.default_pos);
    robot.setJoints(q, q.map(() => 0));
    robot.setBase([0, 0, spec.base.spawn_height_m!], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
    const out = { reward: 0, terminated: false, terms: new Float64Array(task.rewardTerms.length) };
    const at = (t: string) => task.rewardTerms.indexOf(t);
    const zero = new Float32Array(spec.joints.length);
    let tracking = 0, torques = 0;
    const steps = Math.round(3 / spec.control_dt_s);
    for (let s = 0; s < steps; s++) {
      env.onAction?.(zero);
      robot.setAction(zero);
      for (let k = 0; k < spec.decimation; k++) {
        robot.prePhysicsStep(spec.physics_dt_s);
        world.step();
      }
      out.terms.fill(0);
      env.evaluate(out);
      if (out.terminated) throw new Error(`${name} fell standing`);
      if (s < steps / 3) continue;
      tracking += out.terms[at('tracking_lin_vel')]! + out.terms[at('tracking_ang_vel')]!;
      torques += out.terms[at('torques')]!;
    }
    return -torques / tracking;
  } finally {
    world.free();
  }
}

describe('legged robots', () => {
  for (const name of ['quadruped', 'a1', 'anymal_c']) {
    it(`${name} stands 5 s with zero actions at >= 90% of its nominal base height, on its feet only`, () => {
      const r = stand(name, 5);
      expect(r.lowest / r.nominal, `${name}: lowest base height over the last second ${r.lowest} m, nominal ${r.nominal} m`).toBeGreaterThanOrEqual(0.9);
      expect(r.lowest / r.nominal).toBeLessThanOrEqual(1.1);
      expect(r.tiltRad).toBeLessThan(0.15);
      expect(r.otherContacts).toBe(0);
      expect(r.feetDown).toBe(r.feet);
    });
  }

  it('prices standing torques alike on every robot: the torque weight is sized to the motors', () => {
    // Standing at a zero command for 2 s after 1 s of settling: the torque term against the
    // tracking reward. Without the weight scaled by the mean effort limit, ANYmal C (50 kg on
    // 80 N·m motors) paid 13× the quadruped's share (22% against 1.6%), and about 4× that while
    // walking; with it, every robot is within 3× of the quadruped.
    const share = Object.fromEntries(['quadruped', 'a1', 'anymal_c'].map((name) => [name, standingTorqueShare(name)]));
    for (const [name, s] of Object.entries(share)) {
      expect(s, `${name}: torque term / tracking reward ${s.toFixed(4)}`).toBeGreaterThan(0);
      expect(s / share.quadruped!, `${name} ${s.toFixed(4)} against the quadruped ${share.quadruped!.toFixed(4)}`).toBeGreaterThan(1 / 3);
      expect(s / share.quadruped!, `${name} ${s.toFixed(4)} against the quadruped ${share.quadruped!.toFixed(4)}`).toBeLessThan(3);
    }
  });

  it('the quadruped task on another robot takes its layout, pushes and dims from that robot\'s contract', () => {
    for (const [file, joint] of [['robots/anymal_c.json', 'LF_HAA'], ['robots/a1.json', 'FL_hip_joint']] as const) {
      const spec = loadRobotSpec(file);
      const task = taskOnRobot(quadruped, file);
      expect(task.name).toBe('quadruped');
      expect(task.robot).toBe(spec.specPath);
      expect(task.observations).toHaveLength(12 + 3 * spec.joints.length);
      expect(task.actions.map((a) => a.name)).toEqual(spec.joints.map((j) => `${j.name}_target_offset`));
      expect(task.actions.map((a) => a.scale)).toEqual(spec.joints.map((j) => j.action_scale));
      expect(task.observations.map((o) => o.name)).toContain(`${joint}_vel`);
      expect(task.pushLink).toBe(spec.locomotion!.base_link);
    }
    expect(() => taskOnRobot(quadruped, 'robots/cartpole.json')).toThrow(/task quadruped: robot cartpole \(.*cartpole\.json\) uses effort control/);
  });

  it('runs ANYmal C envs (joints without position limits) through resets and steps with finite observations and rewards', async () => {
    const task = taskOnRobot(quadruped, 'robots/anymal_c.json');
    const group = await EnvGroup.create({ task, numEnvs: 3, firstEnvIndex: 0, seed: Math.floor(Math.random() * 2 ** 31), dr: { ...quadruped.dr } });
    try {
      for (let s = 0; s < 60; s++) {
        group.buffers.actions.fill(0);
        group.step();
        expect(group.buffers.obs.every(Number.isFinite)).toBe(true);
        expect(group.buffers.rewards.every(Number.isFinite)).toBe(true);
      }
    } finally {
      group.dispose();
    }
  });
});
