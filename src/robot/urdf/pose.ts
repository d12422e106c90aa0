/**
 * URDF `<origin xyz rpy>`: the rpy → quaternion convention of the URDF spec and the reader for
 * origin elements.
 */
import type { Pose, Quat, Vec3 } from '../robot_model.ts';
import { numbers, type XmlElement, type XmlPlace } from './xml.ts';

/**
 * The quaternion `[x, y, z, w]` of URDF roll-pitch-yaw angles (rad): fixed-axis rotations about
 * x by roll, then y by pitch, then z by yaw, i.e. R = Rz(yaw)·Ry(pitch)·Rx(roll), as urdfdom.
 */
export function rpyToQuat(rpy: Vec3): Quat {
  const [roll, pitch, yaw] = rpy;
  const sr = Math.sin(roll / 2);
  const cr = Math.cos(roll / 2);
  const sp = Math.sin(pitch / 2);
  const cp = Math.cos(pitch / 2);
  const sy = Math.sin(yaw / 2);
  const cy = Math.cos(yaw / 2);
  return [
    sr * cp * cy - cr * sp * sy,
    cr * sp * cy + sr * cp * sy,
    cr * cp * sy - sr * sp * cy,
    cr * cp * cy + sr * sp * sy,
  ];
}

/** The identity pose. */
function identityPose(): Pose {
  return { xyz: [0, 0, 0], rpy: [0, 0, 0], quat: [0, 0, 0, 1] };
}

/** Reads an optional `<origin>` element (absent → identity; absent attributes → 0 0 0). */
export function readOrigin(place: XmlPlace, el: XmlElement | undefined): Pose {
  if (el === undefined) return identityPose();
  const xyz = numbers(place, el, 'xyz', 3, [0, 0, 0]) as Vec3;
  const rpy = numbers(place, el, 'rpy', 3, [0, 0, 0]) as Vec3;
  return { xyz, rpy, quat: rpyToQuat(rpy) };
}
