/**
 * Turns a parsed URDF plus its robot spec into Rapier objects: a z-up world, a flat ground, and
 * per env one robot of rigid bodies (links merged across fixed joints), revolute and prismatic
 * impulse joints with limits and force-based PD motors, and colliders that touch the ground
 * only. Many envs share one world, each at its own `origin`.
 *
 * Rapier facts this relies on (rapier3d-simd-compat 0.20): a new body's mass properties only
 * apply at its next step unless recomputed (an impulse before that is lost); a motor with zero
 * stiffness and damping locks its joint (so "off" is a zero force limit); `JointData` limits
 * are ignored (`setLimits` on the joint); `ColliderDesc.convexHull` never returns null, the
 * hull fails inside `createCollider`; cylinders and capsules lie along y.
 */
import type { Collider, Rapier, RigidBody, World } from '../rapier.ts';
import type { Geometry, RobotModel, Vec3 } from '../../robot/robot_model.ts';
import type { LoadedRobotSpec } from '../../robot/robot_spec.ts';
import { planRobot, type BodyPlan, type ColliderPlan, type RobotPlan } from '../../robot/robot_plan.ts';
import { BuiltRobot, type StepClock } from './built_robot.ts';
import type { UnitJoint } from './actuators.ts';
import { qFromAxisAngle, qMul, qRotate, vAdd, type RigidPose } from '../../robot/math.ts';

export { BuiltRobot, type StepClock } from './built_robot.ts';
export type { UnitJoint } from './actuators.ts';

/** Collision groups (Rapier `InteractionGroups`: membership in the high 16 bits, filter in the low). */
const GROUND_BIT = 0x0001;
const ROBOT_BIT = 0x0002;
/** The ground (and the terrain): member of "ground", collides with "robot". */
export const GROUND_GROUPS = (GROUND_BIT << 16) | ROBOT_BIT;
/** Robot colliders: member of "robot", collide with "ground" only (no self- or env-env contact). */
const ROBOT_GROUPS = (ROBOT_BIT << 16) | GROUND_BIT;

/** Options of {@link createWorld}. */
export interface WorldConfig {
  /** Physics step (s). */
  dtS: number;
  /** Rapier solver iterations per step (default 4). */
  solverIterations?: number;
  /** Gravity (m/s², world frame, z up); default [0, 0, -9.81]. */
  gravity?: Vec3;
}

/** A z-up Rapier world stepping `dtS` per `world.step()`. */
export function createWorld(R: Rapier, opts: WorldConfig): World {
  const { dtS, solverIterations = 4, gravity = [0, 0, -9.81] } = opts;
  if (!(dtS > 0) || !Number.isFinite(dtS)) throw new Error(`createWorld: dtS must be a positive number, got ${dtS}`);
  if (!Number.isInteger(solverIterations) || solverIterations < 1) throw new Error(`createWorld: solverIterations must be an integer >= 1, got ${solverIterations}`);
  if (!gravity.every(Number.isFinite)) throw new Error(`createWorld: gravity must be finite, got [${gravity.join(', ')}]`);
  const world = new R.World({ x: gravity[0], y: gravity[1], z: gravity[2] });
  world.integrationParameters.dt = dtS;
  world.integrationParameters.numSolverIterations = solverIterations;
  return world;
}

/** Options of {@link createGround}. */
export interface GroundConfig {
  /** Half the side of the square ground around the world origin (m); default 100. */
  halfExtentM?: number;
}

/** A fixed flat ground whose top is z = 0: friction 1, restitution 0, touching robots only. */
export function createGround(R: Rapier, world: World, opts: GroundConfig = {}): Collider {
  const h = opts.halfExtentM ?? 100;
  if (!(h > 0) || !Number.isFinite(h)) throw new Error(`createGround: halfExtentM must be a positive number, got ${h}`);
  const thickness = 1;
  const desc = R.ColliderDesc.cuboid(h, h, thickness)
    .setTranslation(0, 0, -thickness)
    .setFriction(1)
    .setRestitution(0)
    .setFrictionCombineRule(R.CoefficientCombineRule.Average)
    .setRestitutionCombineRule(R.CoefficientCombineRule.Average)
    .setCollisionGroups(GROUND_GROUPS);
  return world.createCollider(desc);
}

/** Options of {@link buildRobot}. */
export interface BuildConfig {
  /** Where this env's robot lives in the shared world (m). */
  origin: Vec3;
  /**
   * The world's step counter. When given, joint-state reads between two counts are served from
   * a cache (evaluate, observe and the damping of the next step read once); whoever steps the
   * world must bump it after every `world.step()`. Without it every read asks Rapier.
   */
  clock?: StepClock;
}

/**
 * Builds one robot into `world`: fixed base welded at `origin`, or floating base at
 * `origin` + the spec's spawn height. Joints start at 0 (the URDF zero); position-mode motors
 * hold each joint's `default_pos` clamped to its limits until the first action.
 */
export function buildRobot(R: Rapier, world: World, model: RobotModel, spec: LoadedRobotSpec, opts: BuildConfig): BuiltRobot {
  const plan = planRobot(model, spec);
  const origin = opts.origin;
  if (origin.length !== 3 || !origin.every(Number.isFinite)) throw new Error(`buildRobot: origin must be 3 finite numbers, got [${origin.join(', ')}]`);
  const rootPose: RigidPose = { p: vAdd(plan.rootPose.p, origin), q: plan.rootPose.q };
  const bodies: RigidBody[] = [];
  const colliders: Collider[][] = [];
  try {
    plan.bodies.forEach((b, i) => {
      const body = world.createRigidBody(bodyDesc(R, b, rootPose, i === 0 && plan.rootFixed));
      bodies.push(body);
      colliders.push(b.colliders.map((c) => createCollider(R, world, c, b.name, body)));
      // Rapier applies a new body's mass properties at its next step; impulses before that would be lost.
      body.recomputeMassPropertiesFromColliders();
    });
  } catch (e) {
    for (const b of bodies) world.removeRigidBody(b);
    throw e;
  }
  const joints = plan.bodies.map((b, i) => (b.joint === null ? null : createJoint(R, world, plan, i, bodies)));
  return new BuiltRobot({ world, model, spec, origin: [...origin], plan, bodies, joints, colliders, forceBased: R.MotorModel.ForceBased, clock: opts.clock ?? null });
}

function bodyDesc(R: Rapier, b: BodyPlan, rootPose: RigidPose, fixed: boolean) {
  const p = vAdd(rootPose.p, qRotate(rootPose.q, b.refPos));
  const [qx, qy, qz, qw] = rootPose.q;
  const desc = (fixed ? R.RigidBodyDesc.fixed() : R.RigidBodyDesc.dynamic())
    .setTranslation(p[0], p[1], p[2])
    .setRotation({ x: qx, y: qy, z: qz, w: qw })
    .setCanSleep(false);
  if (!fixed) {
    const { massKg, com, inertia, frame } = b.mass;
    desc.setAdditionalMassProperties(massKg, { x: com[0], y: com[1], z: com[2] }, { x: inertia[0], y: inertia[1], z: inertia[2] }, { x: frame[0], y: frame[1], z: frame[2], w: frame[3] });
  }
  return desc;
}

/** Rapier's cylinders and capsules lie along y, URDF's along z: rotate +90° about x. */
const Y_TO_Z = qFromAxisAngle([1, 0, 0], Math.PI / 2);

/** The link a collider comes from, for messages (and the body it was merged into). */
function linkLabel(c: ColliderPlan, bodyName: string): string {
  return c.link === bodyName ? `link "${c.link}"` : `link "${c.link}" (merged into "${bodyName}")`;
}

function convexError(c: ColliderPlan, bodyName: string): Error {
  const g = c.collision.geometry;
  const what = g.kind === 'convex' ? `${g.source} (${g.vertices.length / 3} vertices)` : g.kind;
  return new Error(`${linkLabel(c, bodyName)}: the convex hull of ${what} could not be built (fewer than 4 points off one plane?)`);
}

/** Creates one robot collider; a convex hull Rapier cannot build is an error naming the link. */
function createCollider(R: Rapier, world: World, c: ColliderPlan, bodyName: string, body: RigidBody): Collider {
  const desc = colliderDesc(R, c, bodyName);
  if (c.collision.geometry.kind !== 'convex') return world.createCollider(desc, body);
  try {
    return world.createCollider(desc, body);
  } catch {
    // rapier.js 0.20 computes the hull here and fails with a bare wasm-bindgen type error.
    throw convexError(c, bodyName);
  }
}

function shapeDesc(R: Rapier, g: Geometry, c: ColliderPlan, bodyName: string) {
  switch (g.kind) {
    case 'box':
      return R.ColliderDesc.cuboid(g.size[0] / 2, g.size[1] / 2, g.size[2] / 2);
    case 'sphere':
      return R.ColliderDesc.ball(g.radius);
    case 'cylinder':
      return R.ColliderDesc.cylinder(g.length / 2, g.radius);
    case 'capsule':
      return R.ColliderDesc.capsule(g.length / 2, g.radius);
    case 'convex': {
      const d = R.ColliderDesc.convexHull(g.vertices);
      if (d === null) throw convexError(c, bodyName);
      return d;
    }
  }
}

function colliderDesc(R: Rapier, c: ColliderPlan, bodyName: string) {
  const g = c.collision.geometry;
  const q = g.kind === 'cylinder' || g.kind === 'capsule' ? qMul(c.pose.q, Y_TO_Z) : c.pose.q;
  const desc = shapeDesc(R, g, c, bodyName);
  return desc
    .setTranslation(c.pose.p[0], c.pose.p[1], c.pose.p[2])
    .setRotation({ x: q[0], y: q[1], z: q[2], w: q[3] })
    .setDensity(0)
    .setFriction(1)
    .setRestitution(0)
    .setFrictionCombineRule(R.CoefficientCombineRule.Multiply)
    .setRestitutionCombineRule(R.CoefficientCombineRule.Max)
    .setCollisionGroups(ROBOT_GROUPS);
}

function createJoint(R: Rapier, world: World, plan: RobotPlan, i: number, bodies: RigidBody[]): UnitJoint {
  const b = plan.bodies[i] as BodyPlan;
  const j = b.joint;
  if (j === null) throw new Error(`body ${b.name} has no joint`);
  const [ax, ay, az] = j.axis;
  const a1 = { x: j.anchor1[0], y: j.anchor1[1], z: j.anchor1[2] };
  const a2 = { x: 0, y: 0, z: 0 };
  const axis = { x: ax, y: ay, z: az };
  const data = j.type === 'prismatic' ? R.JointData.prismatic(a1, a2, axis) : R.JointData.revolute(a1, a2, axis);
  const joint = world.createImpulseJoint(data, bodies[b.parent] as RigidBody, bodies[i] as RigidBody, true) as UnitJoint;
  joint.setContactsEnabled(false);
  if (j.enforceLimits) joint.setLimits(j.limit.lower, j.limit.upper);
  return joint;
}
