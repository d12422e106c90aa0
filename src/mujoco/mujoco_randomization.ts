/**
 * Domain randomization of a MuJoCo robot: one apply function per group of the parameters declared
 * in `src/task/randomization_params.ts` (`src/sim/randomization_groups.ts` holds the groups for
 * both engines), written into the robot's own model copy relative to the nominal robot. MuJoCo has no restitution coefficient (its contacts are soft constraints, not
 * impulses), so `restitution` is the one parameter it does not model: only its nominal 0 is
 * taken, and `MUJOCO_UNMODELLED` says so to the env group and the command line.
 */
import type { Mujoco, MjData, MjModel } from './mujoco_wasm.ts';
import type { RobotPlan } from '../robot/robot_plan.ts';
import type { DrParam, DrSample } from '../task/randomize.ts';
import { applyOrder, applySample, type ApplyFn } from '../sim/randomization_groups.ts';
import type { MujocoActuators } from './mujoco_actuators.ts';

/** Randomization parameters MuJoCo does not model, with why. */
export const MUJOCO_UNMODELLED: Readonly<Partial<Record<DrParam, string>>> = {
  restitution: 'its contacts are soft constraints with no restitution coefficient',
};

/** What randomization changes on one MuJoCo robot, and the values now in force. */
export interface MujocoDrTarget {
  mj: Mujoco;
  m: MjModel;
  d: MjData;
  plan: RobotPlan;
  /** MuJoCo body id per plan body. */
  bodyIds: Int32Array;
  /** Whether each plan body moves (a fixed root does not). */
  dynamic: readonly boolean[];
  /** The robot's geoms (the ground's friction is not randomized). */
  robotGeoms: Int32Array;
  actuators: MujocoActuators;
  /** Mass now in force per plan body (kg). */
  massKg: number[];
  /** The mass scale, added root mass and friction now in force (1, 0, 1 as built). */
  massScale: number;
  addedMassKg: number;
  friction: number;
}

const applyMasses: ApplyFn<MujocoDrTarget> = (t, s) => setMasses(t, s.mass_scale, s.added_base_mass_kg);

const applyFriction: ApplyFn<MujocoDrTarget> = (t, s) => {
  if (s.friction === t.friction) return;
  const friction = t.m.geom_friction as Float64Array;
  for (const g of t.robotGeoms) friction[3 * g] = s.friction;
  t.friction = s.friction;
};

const refuseRestitution: ApplyFn<MujocoDrTarget> = (_t, s) => {
  if (s.restitution !== 0) throw new Error(`randomization sample: restitution = ${s.restitution}: MuJoCo does not model it (${MUJOCO_UNMODELLED.restitution})`);
};

const applyGravity: ApplyFn<MujocoDrTarget> = (t, s) => {
  const g = t.m.opt.gravity as Float64Array;
  g[0] = s.gravity_x;
  g[1] = s.gravity_y;
  g[2] = s.gravity_z;
};

/** Motor strength, extra damping and the PD gain scales, then the actuators once. */
const applyActuators: ApplyFn<MujocoDrTarget> = ({ actuators, m }, s) => {
  actuators.strength = s.motor_strength;
  actuators.extraDamping = s.joint_damping;
  actuators.kpScale = s.kp_scale;
  actuators.kdScale = s.kd_scale;
  actuators.configure(m);
};

/** The groups in the order they run (`src/sim/randomization_groups.ts`, shared with Rapier). */
const APPLY_ORDER = applyOrder<MujocoDrTarget>({ masses: applyMasses, friction: applyFriction, restitution: refuseRestitution, gravity: applyGravity, actuators: applyActuators });

/** Applies sample `s` to a robot; a value outside its declared limits, or a restitution MuJoCo cannot model, is an error naming the key. */
export function applyMujocoRandomization(t: MujocoDrTarget, s: DrSample): void {
  applySample(APPLY_ORDER, t, s);
}

/**
 * Body masses and inertias scaled by `scale`; the root gets `addedKg` more at its centre of
 * mass (its inertia is only scaled). MuJoCo's constants that depend on masses are recomputed
 * (`mj_setConst`), with the robot's state kept.
 */
function setMasses(t: MujocoDrTarget, scale: number, addedKg: number): void {
  if (scale === t.massScale && addedKg === t.addedMassKg) return;
  const mass = t.m.body_mass as Float64Array, inertia = t.m.body_inertia as Float64Array;
  t.plan.bodies.forEach((b, i) => {
    if (!t.dynamic[i]) return;
    const kg = b.mass.massKg * scale + (i === 0 ? addedKg : 0);
    if (!(kg > 0)) throw new Error(`randomization sample: added_base_mass_kg = ${addedKg} leaves root body "${b.name}" with mass ${kg} kg`);
    const id = t.bodyIds[i] as number;
    mass[id] = kg;
    for (let a = 0; a < 3; a++) inertia[3 * id + a] = (b.mass.inertia[a] as number) * scale;
    t.massKg[i] = kg;
  });
  keepingState(t, () => t.mj.mj_setConst(t.m, t.d));
  t.massScale = scale;
  t.addedMassKg = addedKg;
}

/** Runs `fn` (which may overwrite the data, as `mj_setConst` does) and puts the robot's state back. */
function keepingState(t: MujocoDrTarget, fn: () => void): void {
  const { d } = t;
  const qpos = Float64Array.from(d.qpos as Float64Array), qvel = Float64Array.from(d.qvel as Float64Array);
  const ctrl = Float64Array.from(d.ctrl as Float64Array), time = d.time;
  fn();
  (d.qpos as Float64Array).set(qpos);
  (d.qvel as Float64Array).set(qvel);
  (d.ctrl as Float64Array).set(ctrl);
  d.time = time;
  t.mj.mj_forward(t.m, t.d);
}
