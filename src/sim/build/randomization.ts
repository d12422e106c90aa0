/**
 * Domain randomization of a built robot: one apply function per group of the parameters declared
 * in `src/task/randomization_params.ts` (`../randomization_groups.ts` holds which parameter is in
 * which group, for every engine), always relative to the nominal robot, so the nominal sample
 * reproduces the un-randomized robot exactly. Latency, observation noise and pushes are read from
 * the sample by the env group as it steps.
 */
import type { Collider, RigidBody, World } from '../rapier.ts';
import type { Vec3 } from '../../robot/robot_model.ts';
import type { DrSample } from '../../task/randomize.ts';
import { applyOrder, applySample, type ApplyFn } from '../randomization_groups.ts';
import type { RobotPlan } from '../../robot/robot_plan.ts';
import type { Actuators } from './actuators.ts';

/** What randomization changes on one robot, and the values now in force. */
export interface DrState {
  plan: RobotPlan;
  bodies: readonly RigidBody[];
  colliders: readonly (readonly Collider[])[];
  dynamic: readonly boolean[];
  world: World;
  /** Mass now in force per body (kg). */
  massKg: number[];
  /** The mass scale and added root mass now in force (1 and 0 as built). */
  massScale: number;
  addedMassKg: number;
  /** Friction and restitution now on the robot's colliders (1 and 0 as built). */
  friction: number;
  restitution: number;
  /** `g_sample − g_world` now applied as a force on every body. */
  gravityDiff: Vec3;
}

/** The values a `DrState` has in force, for a checkpoint (the Rapier side is in the world snapshot). */
export interface DrValues {
  massKg: Float64Array;
  massScale: number;
  addedMassKg: number;
  friction: number;
  restitution: number;
  gravityDiff: Vec3;
}

/** A copy of the values `dr` has in force. */
export function saveDrValues(dr: DrState): DrValues {
  return {
    massKg: Float64Array.from(dr.massKg), massScale: dr.massScale, addedMassKg: dr.addedMassKg,
    friction: dr.friction, restitution: dr.restitution, gravityDiff: [...dr.gravityDiff],
  };
}

/** Puts saved values back into `dr` without calling Rapier (the restored world already has them). */
export function loadDrValues(dr: DrState, v: DrValues): void {
  if (!(v.massKg instanceof Float64Array) || v.massKg.length !== dr.massKg.length) throw new Error(`randomization state: massKg must be a Float64Array of ${dr.massKg.length}`);
  for (const key of ['massScale', 'addedMassKg', 'friction', 'restitution'] as const) {
    if (typeof v[key] !== 'number') throw new Error(`randomization state: ${key} must be a number`);
  }
  if (!Array.isArray(v.gravityDiff) || v.gravityDiff.length !== 3 || !v.gravityDiff.every((x) => typeof x === 'number')) {
    throw new Error('randomization state: gravityDiff must be 3 numbers');
  }
  dr.massKg = Array.from(v.massKg);
  dr.massScale = v.massScale;
  dr.addedMassKg = v.addedMassKg;
  dr.friction = v.friction;
  dr.restitution = v.restitution;
  dr.gravityDiff = [v.gravityDiff[0], v.gravityDiff[1], v.gravityDiff[2]];
}

/** What an apply function may change: the robot's randomized physical state and its actuators. */
export interface DrTarget {
  dr: DrState;
  actuators: Actuators;
}

const applyMasses: ApplyFn<DrTarget> = (t, s) => setMasses(t.dr, s.mass_scale, s.added_base_mass_kg);

const applyFriction: ApplyFn<DrTarget> = ({ dr }, s) => {
  if (s.friction !== dr.friction) for (const cs of dr.colliders) for (const c of cs) c.setFriction(s.friction);
  dr.friction = s.friction;
};

const applyRestitution: ApplyFn<DrTarget> = ({ dr }, s) => {
  if (s.restitution !== dr.restitution) for (const cs of dr.colliders) for (const c of cs) c.setRestitution(s.restitution);
  dr.restitution = s.restitution;
};

const applyGravity: ApplyFn<DrTarget> = ({ dr }, s) => {
  // in f32, as Rapier applies gravity: a new world reports the f64 it was created with, one
  // restored from a snapshot only its f32, and both must give the same force (0 when nominal)
  const g = dr.world.gravity;
  const f = Math.fround;
  dr.gravityDiff = [f(s.gravity_x) - f(g.x), f(s.gravity_y) - f(g.y), f(s.gravity_z) - f(g.z)];
  applyGravityForces(dr);
};

/** Motor strength, extra damping and the PD gain scales (Isaac Lab's actuator-gain events), then the motors once. */
const applyActuators: ApplyFn<DrTarget> = ({ actuators }, s) => {
  actuators.strength = s.motor_strength;
  actuators.extraDamping = s.joint_damping;
  actuators.kpScale = s.kp_scale;
  actuators.kdScale = s.kd_scale;
  actuators.configure();
};

/** The groups in the order they run (`../randomization_groups.ts`). */
const APPLY_ORDER = applyOrder<DrTarget>({ masses: applyMasses, friction: applyFriction, restitution: applyRestitution, gravity: applyGravity, actuators: applyActuators });

/** Applies sample `s` to a robot; a value outside its declared limits is an error naming the key. */
export function applyRandomizationTo(t: DrTarget, s: DrSample): void {
  applySample(APPLY_ORDER, t, s);
}

/**
 * Body masses and inertias scaled by `scale`; the root gets `addedKg` more at its centre of
 * mass (its inertia is only scaled). Unchanged values are not re-sent to Rapier.
 */
function setMasses(dr: DrState, scale: number, addedKg: number): void {
  if (scale === dr.massScale && addedKg === dr.addedMassKg) return;
  dr.plan.bodies.forEach((b, i) => {
    if (!dr.dynamic[i]) return;
    const m = b.mass.massKg * scale + (i === 0 ? addedKg : 0);
    if (!(m > 0)) throw new Error(`randomization sample: added_base_mass_kg = ${addedKg} leaves root body "${b.name}" with mass ${m} kg`);
    const body = dr.bodies[i] as RigidBody;
    const [ix, iy, iz] = b.mass.inertia;
    const [cx, cy, cz] = b.mass.com;
    const [qx, qy, qz, qw] = b.mass.frame;
    body.setAdditionalMassProperties(m, { x: cx, y: cy, z: cz }, { x: ix * scale, y: iy * scale, z: iz * scale }, { x: qx, y: qy, z: qz, w: qw }, true);
    body.recomputeMassPropertiesFromColliders();
    dr.massKg[i] = m;
  });
  dr.massScale = scale;
  dr.addedMassKg = addedKg;
}

/** Re-applies the per-env gravity difference as a persistent force `m·(g_sample − g_world)` on each body. */
function applyGravityForces(dr: DrState): void {
  const [gx, gy, gz] = dr.gravityDiff;
  const zero = gx === 0 && gy === 0 && gz === 0;
  dr.bodies.forEach((body, i) => {
    if (!dr.dynamic[i]) return;
    body.resetForces(true);
    const m = dr.massKg[i] as number;
    if (!zero) body.addForce({ x: m * gx, y: m * gy, z: m * gz }, true);
  });
}
