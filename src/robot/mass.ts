/**
 * Mass properties of a rigid body made of several URDF links welded by fixed joints: total
 * mass, combined centre of mass and the inertia tensor about it (parallel-axis theorem), given
 * to Rapier as principal moments and the rotation of the principal axes.
 */
import type { Link, Quat, Vec3 } from './robot_model.ts';
import { m3Add, m3Rotate, qFromMat3, qMul, qToMat3, qRotate, symEigen3, vAdd, vScale, vSub, type Mat3, type RigidPose } from './math.ts';

/** Mass properties in a body's frame, in the form Rapier's `setAdditionalMassProperties` takes. */
export interface MassPlan {
  massKg: number;
  /** Centre of mass in the body frame. */
  com: Vec3;
  /** Principal moments of inertia about the centre of mass (kg·m²). */
  inertia: Vec3;
  /** Rotation from the principal axes to the body frame. */
  frame: Quat;
}

/** Mass given to a movable body that has none in the URDF (kg). */
const TINY_MASS_KG = 1e-3;
/** Principal moments of inertia of such a body (kg·m²). */
const TINY_INERTIA = 1e-6;

/** The inertia tensor (about the COM, in the body frame) and COM of one link's `<inertial>`. */
function linkInertia(link: Link, pose: RigidPose): { massKg: number; com: Vec3; tensor: Mat3 } | null {
  const inr = link.inertial;
  if (inr === undefined || !(inr.massKg > 0)) return null;
  const local: Mat3 = [inr.ixx, inr.ixy, inr.ixz, inr.ixy, inr.iyy, inr.iyz, inr.ixz, inr.iyz, inr.izz];
  const rot = qToMat3(qMul(pose.q, inr.origin.quat));
  return { massKg: inr.massKg, com: vAdd(pose.p, qRotate(pose.q, inr.origin.xyz)), tensor: m3Rotate(rot, local) };
}

/**
 * Combines the inertials of `parts` (links with their poses in the body frame). A dynamic body
 * with no mass gets {@link TINY_MASS_KG}; principal moments are floored at a tiny positive
 * value (Rapier reads a zero moment as a locked rotation). Both cases add a warning.
 */
export function combineMass(parts: { link: Link; pose: RigidPose }[], dynamic: boolean, where: string, warnings: string[]): MassPlan {
  const items = parts.map((p) => linkInertia(p.link, p.pose)).filter((x) => x !== null);
  const massKg = items.reduce((s, it) => s + it.massKg, 0);
  if (!(massKg > 0)) {
    if (dynamic) warnings.push(`${where} has no mass in the URDF: given ${TINY_MASS_KG} kg so it can move`);
    return dynamic
      ? { massKg: TINY_MASS_KG, com: [0, 0, 0], inertia: [TINY_INERTIA, TINY_INERTIA, TINY_INERTIA], frame: [0, 0, 0, 1] }
      : { massKg: 0, com: [0, 0, 0], inertia: [0, 0, 0], frame: [0, 0, 0, 1] };
  }
  const com = vScale(items.reduce<Vec3>((s, it) => vAdd(s, vScale(it.com, it.massKg)), [0, 0, 0]), 1 / massKg);
  let tensor: Mat3 = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const it of items) tensor = m3Add(tensor, m3Add(it.tensor, parallelAxis(it.massKg, vSub(it.com, com))));
  const { values, vectors } = symEigen3(tensor);
  // Floor: a millionth of the largest moment, and at least a 1 mm radius of gyration.
  const floor = Math.max(1e-6 * massKg, 1e-6 * Math.max(...values));
  if (values.some((v) => v < floor)) {
    if (values.some((v) => v < -1e-9 * Math.max(1, ...values.map(Math.abs)))) warnings.push(`${where}: inertia tensor is not positive semi-definite (principal moments ${values.map((v) => v.toPrecision(4)).join(', ')}): clamped`);
    else if (dynamic) warnings.push(`${where}: a principal moment of inertia is ~0 (point mass?): raised to ${floor.toPrecision(3)} kg·m²`);
  }
  return { massKg, com, inertia: values.map((v) => Math.max(v, floor)) as Vec3, frame: qFromMat3(vectors) };
}

/** `m·(|d|²·E − d·dᵀ)`: the inertia a point mass `m` at offset `d` adds about the origin. */
function parallelAxis(m: number, d: Vec3): Mat3 {
  const [x, y, z] = d;
  const dd = x * x + y * y + z * z;
  return [m * (dd - x * x), -m * x * y, -m * x * z, -m * x * y, m * (dd - y * y), -m * y * z, -m * x * z, -m * y * z, m * (dd - z * z)];
}
