/**
 * The quadruped's base-frame kinematics from a `SimRobot.readBase` row (position, quaternion
 * xyzw, linear and angular velocity in the world frame): the velocities and gravity as the
 * robot's IMU sees them, and roll and pitch for the termination rule.
 */

/**
 * Writes the base-frame linear velocity, angular velocity and projected gravity (unit "down")
 * of the base state `b` into `linB`, `angB` and `gravB`.
 */
export function baseFrameState(b: Float64Array, linB: Float64Array, angB: Float64Array, gravB: Float64Array): void {
  const x = b[3]!, y = b[4]!, z = b[5]!, w = b[6]!;
  // rotation matrix columns; base-frame vector = Rᵀ·v
  const r00 = 1 - 2 * (y * y + z * z), r10 = 2 * (x * y + w * z), r20 = 2 * (x * z - w * y);
  const r01 = 2 * (x * y - w * z), r11 = 1 - 2 * (x * x + z * z), r21 = 2 * (y * z + w * x);
  const r02 = 2 * (x * z + w * y), r12 = 2 * (y * z - w * x), r22 = 1 - 2 * (x * x + y * y);
  const vx = b[7]!, vy = b[8]!, vz = b[9]!, wx = b[10]!, wy = b[11]!, wz = b[12]!;
  linB[0] = r00 * vx + r10 * vy + r20 * vz;
  linB[1] = r01 * vx + r11 * vy + r21 * vz;
  linB[2] = r02 * vx + r12 * vy + r22 * vz;
  angB[0] = r00 * wx + r10 * wy + r20 * wz;
  angB[1] = r01 * wx + r11 * wy + r21 * wz;
  angB[2] = r02 * wx + r12 * wy + r22 * wz;
  gravB[0] = -r20;
  gravB[1] = -r21;
  gravB[2] = -r22;
}

/** The larger of |roll| and |pitch| (rad, ZYX Euler angles) of the base state `b`. */
export function maxTiltRad(b: Float64Array): number {
  const x = b[3]!, y = b[4]!, z = b[5]!, w = b[6]!;
  const roll = Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  const sinPitch = 2 * (w * y - z * x);
  const pitch = Math.asin(sinPitch > 1 ? 1 : sinPitch < -1 ? -1 : sinPitch);
  return Math.max(Math.abs(roll), Math.abs(pitch));
}
