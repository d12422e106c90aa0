/**
 * Domain randomization of a built robot: the physical parameters a `DrSample` sets (masses,
 * friction, restitution, joint damping, motor strength, per-env gravity), always relative to
 * the nominal robot, so the nominal sample reproduces the un-randomized robot exactly.
 * Motor strength and joint damping go to the actuators; latency, observation noise and pushes
 * are the env runner's.
 */
import type { Collider, RigidBody, World } from '../rapier.ts';
import type { Vec3 } from '../../robot/robot_model.ts';
import type { DrSample } from '../../task/randomize.ts';
import type { RobotPlan } from '../../robot/robot_plan.ts';

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

/** Applies `s`'s masses, contact coefficients and gravity; errors name the sample key out of range. */
export function applyRandomizationTo(dr: DrState, s: DrSample): void {
  check(s);
  setMasses(dr, s.mass_scale, s.added_base_mass_kg);
  if (s.friction !== dr.friction) for (const cs of dr.colliders) for (const c of cs) c.setFriction(s.friction);
  dr.friction = s.friction;
  if (s.restitution !== dr.restitution) for (const cs of dr.colliders) for (const c of cs) c.setRestitution(s.restitution);
  dr.restitution = s.restitution;
  // in f32, as Rapier applies gravity: a new world reports the f64 it was created with, one
  // restored from a snapshot only its f32, and both must give the same force (0 when nominal)
  const g = dr.world.gravity;
  const f = Math.fround;
  dr.gravityDiff = [f(s.gravity_x) - f(g.x), f(s.gravity_y) - f(g.y), f(s.gravity_z) - f(g.z)];
  applyGravityForces(dr);
}

function check(s: DrSample): void {
  const bad = (key: string, v: number, why: string) => new Error(`randomization sample: ${key} = ${v}: ${why}`);
  for (const [k, v] of Object.entries(s)) if (!Number.isFinite(v)) throw bad(k, v, 'must be finite');
  if (!(s.mass_scale > 0)) throw bad('mass_scale', s.mass_scale, 'must be > 0');
  if (s.friction < 0) throw bad('friction', s.friction, 'must be >= 0');
  if (s.restitution < 0 || s.restitution > 1) throw bad('restitution', s.restitution, 'must be in [0, 1]');
  if (s.joint_damping < 0) throw bad('joint_damping', s.joint_damping, 'must be >= 0');
  if (!(s.motor_strength > 0)) throw bad('motor_strength', s.motor_strength, 'must be > 0');
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
export function applyGravityForces(dr: DrState): void {
  const [gx, gy, gz] = dr.gravityDiff;
  const zero = gx === 0 && gy === 0 && gz === 0;
  dr.bodies.forEach((body, i) => {
    if (!dr.dynamic[i]) return;
    body.resetForces(true);
    const m = dr.massKg[i] as number;
    if (!zero) body.addForce({ x: m * gx, y: m * gy, z: m * gz }, true);
  });
}
