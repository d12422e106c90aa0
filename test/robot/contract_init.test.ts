/**
 * `sim2real urdf --init`'s engine-free half (src/robot/contract_init/): on the real A1 and
 * ANYmal C descriptions, the project's quadruped, and randomly rescaled ones it finds the legs and feet in URDF order,
 * a standing pose with every foot below its hip inside the joint limits, gains near legged_gym's,
 * and a contract that validates; an arm gets a fixed-base contract; a floating robot without
 * legs is refused with a message.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadUrdf, parseUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import type { RobotModel } from '../../src/robot/robot_model.ts';
import { validateRobotSpec } from '../../src/robot/robot_spec.ts';
import { checkRobotAgainstUrdf } from '../../src/robot/robot_check.ts';
import { planRobot } from '../../src/robot/robot_plan.ts';
import { ContractInitError, draftContract, type ContractDraft } from '../../src/robot/contract_init/init_contract.ts';
import { formatContract } from '../../src/robot/contract_init/contract_json.ts';
import { PlanKinematics } from '../../src/robot/contract_init/plan_kinematics.ts';
import { requiredClearance } from '../../src/robot/contract_init/standing_pose.ts';
import { realUrdf } from './real_robots.ts';
import { scaleLegs } from './scaled_legs.ts';

/** Gains must land within this factor of legged_gym's (A1 Kp 20 / Kd 0.5, ANYmal C 80 / 2). */
const GAIN_BAND = 1.5;
/** Feet below their hips and on the ground: to this distance (m; default_pos is rounded to 1e-3 rad). */
const FOOT_TOL_M = 3e-3;

const ROBOTS = [
  { name: 'a1', legs: ['FR', 'FL', 'RR', 'RL'], feet: ['FR_foot', 'FL_foot', 'RR_foot', 'RL_foot'], kp: 20, kd: 0.5 },
  { name: 'anymal_c', legs: ['LF', 'RF', 'LH', 'RH'], feet: ['LF_FOOT', 'RF_FOOT', 'LH_FOOT', 'RH_FOOT'], kp: 80, kd: 2 },
  // the project's own A1-class robot (robots/quadruped.json: Kp 20, Kd 0.5)
  { name: 'quadruped', legs: ['FL', 'FR', 'RL', 'RR'], feet: ['FL_foot', 'FR_foot', 'RL_foot', 'RR_foot'], kp: 20, kd: 0.5 },
];

/** The draft, checked as `loadRobotSpec` checks a contract file. */
function draftAndValidate(model: RobotModel): ContractDraft {
  const d = draftContract(model, 'robot.urdf');
  const spec = validateRobotSpec(JSON.parse(formatContract(d.contract)), 'draft.json');
  checkRobotAgainstUrdf(spec, model, (field, msg) => new Error(`${field}: ${msg}`));
  return d;
}

/** Asserts the standing pose: inside the limits with clearance, legs bent, every sole below its zero-pose point on one ground plane. */
function expectStandingPose(model: RobotModel, d: ContractDraft, what: string): void {
  const loco = d.contract.locomotion;
  if (loco === undefined) throw new Error(`${what}: no locomotion section`);
  for (const leg of d.legs) {
    for (const j of leg.joints) {
      for (const q of [j.default_pos, j.stand_pos]) {
        const c = requiredClearance(j.lower, j.upper) - 1e-3; // rounding to 1e-3
        expect(q, `${what}: ${j.name} ${q} in [${j.lower}, ${j.upper}]`).toBeGreaterThanOrEqual(j.lower + c);
        expect(q, `${what}: ${j.name}`).toBeLessThanOrEqual(j.upper - c);
      }
    }
    const knee = leg.joints.find((j) => j.name === leg.knee);
    expect(Math.abs(knee?.stand_pos ?? 0), `${what}: leg ${leg.name} bent at the knee`).toBeGreaterThan(0.3);
  }
  const kin = new PlanKinematics(planRobot(model, d.contract));
  const bodyOf = (joint: string) => kin.plan.bodies.findIndex((b) => b.joint?.name === joint);
  const zero = loco.legs.map((l) => kin.sole(l.foot));
  for (const leg of d.legs) for (const j of leg.joints) kin.q[bodyOf(j.name)] = j.stand_pos;
  kin.update();
  loco.legs.forEach((l, i) => {
    const s = kin.sole(l.foot);
    const z0 = zero[i] as number[];
    expect(Math.hypot(s[0] - (z0[0] as number), s[1] - (z0[1] as number)), `${what}: ${l.foot} below its hip`).toBeLessThan(FOOT_TOL_M);
    expect(Math.abs(s[2] + loco.nominal_base_height_m), `${what}: ${l.foot} on the ground with the base at nominal height`).toBeLessThan(FOOT_TOL_M);
  });
}

describe.each(ROBOTS)('urdf --init on $name', (r) => {
  const file = realUrdf(r.name);

  it.skipIf(file === null)('finds 4 legs × 3 joints in URDF order, the feet, the base and the contact links', () => {
    const model = loadUrdf(file as string);
    const d = draftAndValidate(model);
    const loco = d.contract.locomotion;
    expect(d.kind).toBe('legged');
    expect(loco?.legs.map((l) => l.name)).toEqual(r.legs);
    expect(loco?.legs.map((l) => l.foot)).toEqual(r.feet);
    for (const l of loco?.legs ?? []) expect(l.joints).toHaveLength(3);
    const urdfOrder = model.joints.filter((j) => j.type === 'revolute').map((j) => j.name);
    expect(d.contract.joints.map((j) => j.name)).toEqual(urdfOrder);
    expect(loco?.legs.flatMap((l) => l.joints)).toEqual(urdfOrder);
    expect(loco?.base_link).toBe(model.rootLink);
    expect(loco?.terminating_contacts).toEqual([model.rootLink]);
    expect(loco?.penalized_contacts).toHaveLength(8);
    expect(d.contract.base.type).toBe('floating');
    expect(d.contract.base.spawn_height_m).toBeGreaterThan(loco?.nominal_base_height_m ?? Infinity);
    expect(d.contract).toMatchObject({ control_mode: 'position', control_dt_s: 0.02, physics_dt_s: 0.005, safe_command: { type: 'hold_default' } });
  });

  it.skipIf(file === null)('stands its feet below the hips, legs bent, inside every joint limit', () => {
    const model = loadUrdf(file as string);
    expectStandingPose(model, draftAndValidate(model), r.name);
  });

  it.skipIf(file === null)(`proposes gains within ×${GAIN_BAND} of legged_gym's (Kp ${r.kp}, Kd ${r.kd}), Kd = Kp · 0.025 s`, () => {
    const d = draftAndValidate(loadUrdf(file as string));
    for (const j of d.contract.joints) {
      expect(j.kp, j.name).toBeGreaterThanOrEqual(r.kp / GAIN_BAND);
      expect(j.kp, j.name).toBeLessThanOrEqual(r.kp * GAIN_BAND);
      expect(j.kd, j.name).toBeGreaterThanOrEqual(r.kd / GAIN_BAND);
      expect(j.kd, j.name).toBeLessThanOrEqual(r.kd * GAIN_BAND);
      expect(j.kd / j.kp).toBeCloseTo(0.025, 3);
    }
    // each guess comes with its reason
    for (const g of d.guesses) expect(g.why.length, g.what).toBeGreaterThan(10);
    expect(d.guesses.map((g) => g.what)).toEqual(expect.arrayContaining(['standing pose', 'Kp (N·m/rad)', 'spawn height', 'safe command']));
  });

  it.skipIf(file === null)('still finds a valid standing pose with randomly rescaled thighs, shanks and mass', () => {
    const base = loadUrdf(file as string);
    for (let t = 0; t < 4; t++) {
      const [thigh, shank, mass] = [0.8 + 0.45 * Math.random(), 0.8 + 0.45 * Math.random(), 0.7 + 0.6 * Math.random()];
      const what = `${r.name} thigh ×${thigh.toFixed(3)} shank ×${shank.toFixed(3)} mass ×${mass.toFixed(3)}`;
      const model = scaleLegs(base, thigh, shank, mass);
      const d = draftAndValidate(model);
      expect(d.contract.locomotion?.legs.map((l) => l.foot), what).toEqual(r.feet);
      expectStandingPose(model, d, what);
    }
  });
});

describe('urdf --init on robots without legs', () => {
  const link = (name: string, z: number) => `<link name="${name}"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>`
    + `<collision><origin xyz="0 0 ${z}"/><geometry><sphere radius="0.05"/></geometry></collision></link>`;
  const arm = (root: string) => `<joint name="shoulder" type="revolute"><parent link="${root}"/><child link="upper"/><origin xyz="0 0 0.1"/><axis xyz="0 1 0"/>`
    + `<limit lower="-2" upper="2" effort="10" velocity="3"/></joint>${link('upper', 0.2)}`;

  it('an arm (the reacher) gets a fixed-base contract without a locomotion section, and says why', () => {
    const d = draftAndValidate(loadUrdf(path.resolve(import.meta.dirname, '../../robots/reacher.urdf')));
    expect(d.kind).toBe('fixed');
    expect(d.contract.locomotion).toBeUndefined();
    expect(d.contract.base).toEqual({ type: 'fixed' });
    expect(d.contract.joints.map((j) => j.name)).toEqual(['shoulder', 'elbow']);
    expect(d.message).toMatch(/no legs found .* fixed-base robot/);
  });

  it('an arm welded to a world link gets a fixed-base contract naming the joint', () => {
    const model = parseUrdf(`<robot name="arm"><link name="world"/><joint name="mount" type="fixed"><parent link="world"/><child link="base"/></joint>${link('base', 0)}${arm('base')}</robot>`, 'arm.urdf');
    const d = draftAndValidate(model);
    expect(d.kind).toBe('fixed');
    expect(d.message).toMatch(/"world" holds the robot by fixed joint "mount"/);
  });

  it('a floating base with no legs is refused with a message naming what was looked for', () => {
    const model = parseUrdf(`<robot name="float"><link name="world"/><joint name="free" type="floating"><parent link="world"/><child link="base"/></joint>${link('base', 0)}${arm('base')}</robot>`, 'float.urdf');
    expect(() => draftContract(model, 'float.urdf')).toThrow(ContractInitError);
    expect(() => draftContract(model, 'float.urdf')).toThrow(/floating base \("free"\) but no legs: .*"shoulder" → "upper": ends .* above its first joint/);
  });

  it('a robot with nothing to drive is refused', () => {
    const model = parseUrdf(`<robot name="brick">${link('base', 0)}</robot>`, 'brick.urdf');
    expect(() => draftContract(model, 'brick.urdf')).toThrow(/no movable joint/);
  });
});
