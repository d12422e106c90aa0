/**
 * Small, allocation-light 3-D math for building and reading robots: vectors, unit quaternions
 * `[x, y, z, w]`, row-major 3×3 matrices, rigid poses, and the Jacobi eigen-decomposition of a
 * symmetric 3×3 matrix (principal inertia). Plain tuples in, fresh tuples out; everything runs
 * in double precision.
 */
import type { Quat, Vec3 } from './robot_model.ts';

/** A row-major 3×3 matrix `[m00, m01, m02, m10, …, m22]`. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

/** A rigid transform: rotate by `q`, then translate by `p`. */
export interface RigidPose {
  p: Vec3;
  q: Quat;
}

// -- vectors

/** `a + b`. */
export function vAdd(a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

/** `a − b`. */
export function vSub(a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

/** `s·a`. */
export function vScale(a: Readonly<Vec3>, s: number): Vec3 {
  return [a[0] * s, a[1] * s, a[2] * s];
}

/** Cross product `a × b`. */
export function vCross(a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Euclidean length. */
function vNorm(a: Readonly<Vec3>): number {
  return Math.hypot(a[0], a[1], a[2]);
}

/** `a / |a|`; throws on a zero vector, since a direction cannot be made from it. */
export function vNormalize(a: Readonly<Vec3>): Vec3 {
  const n = vNorm(a);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`cannot normalize vector [${a.join(', ')}]`);
  return [a[0] / n, a[1] / n, a[2] / n];
}

// -- quaternions

/** Hamilton product `a·b` (apply `b` first, then `a`). */
export function qMul(a: Readonly<Quat>, b: Readonly<Quat>): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

/** The inverse of a unit quaternion. */
export function qConj(q: Readonly<Quat>): Quat {
  return [-q[0], -q[1], -q[2], q[3]];
}

/** `q / |q|`; throws on a zero or non-finite quaternion. */
export function qNormalize(q: Readonly<Quat>): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`cannot normalize quaternion [${q.join(', ')}]`);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

/** Rotates `v` by the unit quaternion `q`. */
export function qRotate(q: Readonly<Quat>, v: Readonly<Vec3>): Vec3 {
  const [x, y, z, w] = q;
  // t = 2·(q.xyz × v); v' = v + w·t + q.xyz × t
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

/** The rotation by `angle` (rad, right-handed) about the unit `axis`. */
export function qFromAxisAngle(axis: Readonly<Vec3>, angle: number): Quat {
  const s = Math.sin(angle / 2);
  return [axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(angle / 2)];
}

/** The rotation matrix of a unit quaternion. */
export function qToMat3(q: Readonly<Quat>): Mat3 {
  const [x, y, z, w] = q;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ];
}

/** The unit quaternion of a proper rotation matrix (Shepperd's method, w ≥ 0). */
export function qFromMat3(m: Readonly<Mat3>): Quat {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m;
  const tr = m00 + m11 + m22;
  let q: Quat;
  if (tr > 0) {
    const s = 2 * Math.sqrt(tr + 1);
    q = [(m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, s / 4];
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = [s / 4, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s];
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = [(m01 + m10) / s, s / 4, (m12 + m21) / s, (m02 - m20) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = [(m02 + m20) / s, (m12 + m21) / s, s / 4, (m10 - m01) / s];
  }
  if (q[3] < 0) q = [-q[0], -q[1], -q[2], -q[3]];
  return qNormalize(q);
}

// -- 3×3 matrices

/** `a·b`. */
function m3Mul(a: Readonly<Mat3>, b: Readonly<Mat3>): Mat3 {
  const out = new Array<number>(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += (a[i * 3 + k] as number) * (b[k * 3 + j] as number);
      out[i * 3 + j] = s;
    }
  }
  return out;
}

/** The transpose. */
function m3Transpose(a: Readonly<Mat3>): Mat3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

/** `a + b`. */
export function m3Add(a: Readonly<Mat3>, b: Readonly<Mat3>): Mat3 {
  return a.map((x, i) => x + (b[i] as number)) as Mat3;
}

/** `R·m·Rᵀ`: a tensor expressed in a rotated frame. */
export function m3Rotate(r: Readonly<Mat3>, m: Readonly<Mat3>): Mat3 {
  return m3Mul(m3Mul(r, m), m3Transpose(r));
}

/** Determinant. */
function m3Det(m: Readonly<Mat3>): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/** Eigen-decomposition of a symmetric 3×3 matrix: `m = V·diag(values)·Vᵀ`. */
export interface SymEigen {
  /** Eigenvalues, in the order of `vectors`' columns. */
  values: Vec3;
  /** Eigenvectors as columns of a proper rotation (determinant +1). */
  vectors: Mat3;
}

/**
 * Cyclic Jacobi rotations on a symmetric 3×3 matrix. Converges to machine precision in a few
 * sweeps; the returned eigenvector matrix is a proper rotation, so it can be a body frame.
 */
export function symEigen3(m: Readonly<Mat3>): SymEigen {
  const a = [...m];
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const at = (i: number, j: number): number => a[i * 3 + j] as number;
  const scale = Math.max(1e-300, ...m.map(Math.abs));
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(at(0, 1)) + Math.abs(at(0, 2)) + Math.abs(at(1, 2));
    if (off <= 1e-15 * scale) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = at(p, q);
      if (apq === 0) continue;
      const theta = (at(q, q) - at(p, p)) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      // A ← Jᵀ·A·J with J the rotation in the (p, q) plane; V ← V·J.
      for (let k = 0; k < 3; k++) {
        const akp = at(k, p);
        const akq = at(k, q);
        a[k * 3 + p] = c * akp - s * akq;
        a[k * 3 + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = at(p, k);
        const aqk = at(q, k);
        a[p * 3 + k] = c * apk - s * aqk;
        a[q * 3 + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p] as number;
        const vkq = v[k * 3 + q] as number;
        v[k * 3 + p] = c * vkp - s * vkq;
        v[k * 3 + q] = s * vkp + c * vkq;
      }
    }
  }
  const vectors = v as Mat3;
  if (m3Det(vectors) < 0) {
    vectors[2] = -vectors[2];
    vectors[5] = -vectors[5];
    vectors[8] = -vectors[8];
  }
  return { values: [at(0, 0), at(1, 1), at(2, 2)], vectors };
}

// -- poses

/** `a∘b`: the pose `b` expressed in `a`'s parent frame. */
export function poseMul(a: Readonly<RigidPose>, b: Readonly<RigidPose>): RigidPose {
  return { p: vAdd(a.p, qRotate(a.q, b.p)), q: qNormalize(qMul(a.q, b.q)) };
}
