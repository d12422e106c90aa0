/**
 * Small helpers the task files share: angle and quaternion arithmetic for reading joint angles
 * off body poses, builders for named observation/action signals, the randomization defaults a
 * task starts from, and checks that a robot is the one a task expects. Nothing here knows a
 * particular task or the physics engine.
 */
import type { SignalSpec, TaskStepResult } from '../src/sim/task.ts';
import type { SimRobot } from '../src/sim/sim_robot.ts';
import type { Quat, RobotModel, Vec3 } from '../src/sim/robot_model.ts';
import { NOMINAL, type DomainRandomization } from '../src/sim/randomize.ts';

// -- angles and quaternions (xyzw, as SimRobot reports them)

/** `a` wrapped into (-π, π]. */
export function wrapAngle(a: number): number {
  const w = a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
  return w === -Math.PI ? Math.PI : w;
}

/**
 * The angle (rad, in (-π, π]) of the rotation `q` about the unit `axis`: the twist part of a
 * swing–twist split, exact when `q` turns about `axis` only. `q` is read at `offset`, xyzw.
 */
export function twistAngle(q: ArrayLike<number>, axis: Readonly<Vec3>, offset = 0): number {
  const proj = (q[offset] as number) * axis[0] + (q[offset + 1] as number) * axis[1] + (q[offset + 2] as number) * axis[2];
  return wrapAngle(2 * Math.atan2(proj, q[offset + 3] as number));
}

/** `conj(a) ⊗ b`: the rotation of `b` seen from frame `a` (e.g. a child body relative to its parent). */
export function relativeQuat(a: ArrayLike<number>, b: ArrayLike<number>, out: Quat | Float64Array = [0, 0, 0, 1], aOffset = 0, bOffset = 0): Quat | Float64Array {
  const ax = -(a[aOffset] as number), ay = -(a[aOffset + 1] as number), az = -(a[aOffset + 2] as number), aw = a[aOffset + 3] as number;
  const bx = b[bOffset] as number, by = b[bOffset + 1] as number, bz = b[bOffset + 2] as number, bw = b[bOffset + 3] as number;
  out[0] = aw * bx + ax * bw + ay * bz - az * by;
  out[1] = aw * by - ax * bz + ay * bw + az * bx;
  out[2] = aw * bz + ax * by - ay * bx + az * bw;
  out[3] = aw * bw - ax * bx - ay * by - az * bz;
  return out;
}

/** Rotates `v` by the quaternion `q` (read at `qOffset`), writing into `out`. */
export function rotateVec(q: ArrayLike<number>, v: Readonly<Vec3>, out: Vec3 | Float64Array = [0, 0, 0], qOffset = 0, inverse = false): Vec3 | Float64Array {
  const s = inverse ? -1 : 1;
  const x = s * (q[qOffset] as number), y = s * (q[qOffset + 1] as number), z = s * (q[qOffset + 2] as number), w = q[qOffset + 3] as number;
  // v + 2w(u×v) + 2u×(u×v), u = (x, y, z)
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  out[0] = v[0] + w * tx + (y * tz - z * ty);
  out[1] = v[1] + w * ty + (z * tx - x * tz);
  out[2] = v[2] + w * tz + (x * ty - y * tx);
  return out;
}

/** Gravity's direction (unit, pointing down) in the frame of a body with orientation `q`: legged robots' "projected gravity". */
export function projectedGravity(q: ArrayLike<number>, out: Vec3 | Float64Array = [0, 0, 0], qOffset = 0): Vec3 | Float64Array {
  return rotateVec(q, [0, 0, -1], out, qOffset, true);
}

// -- signals

/** One named signal. */
export function signal(name: string, unit: string, noise = 0): SignalSpec {
  return noise > 0 ? { name, unit, noise } : { name, unit };
}

/** One signal per joint, named `<joint>_<suffix>` (e.g. `elbow_vel`), all with the same unit and noise. */
export function jointSignals(joints: readonly string[], suffix: string, unit: string, noise = 0): SignalSpec[] {
  return joints.map((j) => signal(`${j}_${suffix}`, unit, noise));
}

/** `cos_<joint>` and `sin_<joint>` per joint, in that order per joint: a wrap-free angle encoding. */
export function cosSinSignals(joints: readonly string[], noise = 0): SignalSpec[] {
  return joints.flatMap((j) => [signal(`cos_${j}`, '1', noise), signal(`sin_${j}`, '1', noise)]);
}

// -- randomization and rewards

/** The nominal (no randomization) ranges with the given keys replaced: a task's DR defaults. */
export function randomization(ranges: Partial<DomainRandomization>): DomainRandomization {
  return { ...NOMINAL, ...ranges };
}

/** Sets `out.reward` to the sum of `out.terms`, so the total always matches its parts. */
export function sumTerms(out: TaskStepResult): void {
  let r = 0;
  for (let i = 0; i < out.terms.length; i++) r += out.terms[i] as number;
  out.reward = r;
}

// -- robot checks and geometry

/** Throws unless the robot drives exactly `joints`, in this order (the task's action layout). */
export function expectJoints(robot: SimRobot, task: string, joints: readonly string[]): void {
  const got = robot.spec.joints.map((j) => j.name);
  if (got.length !== joints.length || got.some((n, i) => n !== joints[i])) {
    throw new Error(`task ${task}: robot ${robot.spec.name} drives joints [${got.join(', ')}], expected [${joints.join(', ')}]`);
  }
}

/** Index of the body carrying URDF link `name`; throws naming the task when the robot has none. */
export function requireLink(robot: SimRobot, task: string, name: string): number {
  const i = robot.linkIndex(name);
  if (i < 0) throw new Error(`task ${task}: robot ${robot.spec.name} has no link "${name}"`);
  return i;
}

/**
 * Where URDF link `name`'s frame origin sits in the frame of the body that carries it. Body
 * frames are as `src/sim/build_plan.ts` makes them: origin at the owning link's frame, axes
 * those of the root at the reference configuration (all joints at 0). Zero for an owning link.
 */
export function offsetInBody(robot: SimRobot, task: string, name: string): Vec3 {
  const body = robot.links[requireLink(robot, task, name)];
  if (!body) throw new Error(`task ${task}: body of link "${name}" missing`);
  const p = refPose(robot.model, name).p;
  const o = refPose(robot.model, body.name).p;
  return [p[0] - o[0], p[1] - o[1], p[2] - o[2]];
}

/** A joint's unit axis in its bodies' frames (the same in parent and child, see `offsetInBody`). */
export function jointAxisInBody(model: RobotModel, jointName: string): Vec3 {
  const j = model.joints.find((jt) => jt.name === jointName);
  if (!j) throw new Error(`robot ${model.name} has no joint "${jointName}"`);
  const a = rotateVec(refPose(model, j.child).q, j.axis);
  const n = Math.hypot(a[0] as number, a[1] as number, a[2] as number);
  return [(a[0] as number) / n, (a[1] as number) / n, (a[2] as number) / n];
}

/** Pose of URDF link `name`'s frame in the root link's frame with every joint at 0. */
export function refPose(model: RobotModel, name: string): { p: Vec3; q: Quat } {
  let p: Vec3 = [0, 0, 0];
  let q: Quat = [0, 0, 0, 1];
  for (let link = name, guard = 0; link !== model.rootLink; guard++) {
    const j = model.joints.find((jt) => jt.child === link);
    if (!j || guard > model.joints.length) throw new Error(`robot ${model.name}: link "${name}" is not connected to the root`);
    // parent_T_child ∘ (child_T_name)
    const r = rotateVec(j.origin.quat, p);
    p = [r[0] + j.origin.xyz[0], r[1] + j.origin.xyz[1], r[2] + j.origin.xyz[2]];
    q = quatMul(j.origin.quat, q);
    link = j.parent;
  }
  return { p, q };
}

function quatMul(a: Readonly<Quat>, b: Readonly<Quat>): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}
