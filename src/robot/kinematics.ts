/**
 * Kinematics of a built robot on flat state arrays, shared by `BuiltRobot`: joint positions and
 * rates from body states (the readout Rapier does not give), and forward kinematics from the
 * root through the tree for resets. Body state layout, 13 numbers per body: origin position
 * (3), rotation xyzw (4), centre-of-mass linear velocity (3), angular velocity (3), world frame.
 */
import type { Quat, Vec3 } from './robot_model.ts';
import { qFromAxisAngle, qMul, qNormalize, qRotate, vAdd, vCross, vScale } from './math.ts';

/** Numbers per body in a state array. */
export const BODY_STRIDE = 13;

/** Joint kind code in `TreeArrays.type`: the root (no joint). */
export const J_NONE = 0;
/** Joint kind code: revolute or continuous. */
export const J_REVOLUTE = 1;
/** Joint kind code: prismatic. */
export const J_PRISMATIC = 2;

/** The robot's tree as flat arrays (index = body). */
export interface TreeArrays {
  /** Parent body; -1 for the root. */
  parent: Int32Array;
  /** J_NONE (root), J_REVOLUTE or J_PRISMATIC for the joint to the parent. */
  type: Uint8Array;
  /** Joint anchor in the parent body frame (3 per body). */
  anchor: Float64Array;
  /** Joint axis in body frames (3 per body). */
  axis: Float64Array;
  /** Centre of mass in the body frame (3 per body). */
  com: Float64Array;
}

/**
 * Position and rate of the joint between body `b` and its parent, from body states `st`, into
 * `out[0]`, `out[1]`. Revolute: the twist of the relative rotation about the axis, in (-π, π].
 * Prismatic: the child origin's displacement from the anchor along the axis.
 */
export function jointState(t: TreeArrays, st: Float64Array, b: number, out: Float64Array): void {
  const p = t.parent[b] as number;
  const o1 = p * BODY_STRIDE;
  const o2 = b * BODY_STRIDE;
  const ax = t.axis[3 * b] as number;
  const ay = t.axis[3 * b + 1] as number;
  const az = t.axis[3 * b + 2] as number;
  const x1 = st[o1 + 3] as number, y1 = st[o1 + 4] as number, z1 = st[o1 + 5] as number, w1 = st[o1 + 6] as number;
  // n = R1·axis (world axis)
  const tx = 2 * (y1 * az - z1 * ay), ty = 2 * (z1 * ax - x1 * az), tz = 2 * (x1 * ay - y1 * ax);
  const nx = ax + w1 * tx + (y1 * tz - z1 * ty);
  const ny = ay + w1 * ty + (z1 * tx - x1 * tz);
  const nz = az + w1 * tz + (x1 * ty - y1 * tx);
  if (t.type[b] === J_REVOLUTE) {
    const x2 = st[o2 + 3] as number, y2 = st[o2 + 4] as number, z2 = st[o2 + 5] as number, w2 = st[o2 + 6] as number;
    // q_rel = conj(q1)·q2
    const rx = w1 * x2 - x1 * w2 - y1 * z2 + z1 * y2;
    const ry = w1 * y2 + x1 * z2 - y1 * w2 - z1 * x2;
    const rz = w1 * z2 - x1 * y2 + y1 * x2 - z1 * w2;
    const rw = w1 * w2 + x1 * x2 + y1 * y2 + z1 * z2;
    let s = rx * ax + ry * ay + rz * az;
    let c = rw;
    if (c < 0) {
      s = -s;
      c = -c;
    }
    let angle = 2 * Math.atan2(s, c);
    if (angle <= -Math.PI) angle += 2 * Math.PI;
    out[0] = angle;
    out[1] = ((st[o2 + 10] as number) - (st[o1 + 10] as number)) * nx
      + ((st[o2 + 11] as number) - (st[o1 + 11] as number)) * ny
      + ((st[o2 + 12] as number) - (st[o1 + 12] as number)) * nz;
    return;
  }
  // Prismatic. A = p1 + R1·anchor; d = p2 − A.
  const kx = t.anchor[3 * b] as number, ky = t.anchor[3 * b + 1] as number, kz = t.anchor[3 * b + 2] as number;
  const ux = 2 * (y1 * kz - z1 * ky), uy = 2 * (z1 * kx - x1 * kz), uz = 2 * (x1 * ky - y1 * kx);
  const rax = kx + w1 * ux + (y1 * uz - z1 * uy);
  const ray = ky + w1 * uy + (z1 * ux - x1 * uz);
  const raz = kz + w1 * uz + (x1 * uy - y1 * ux);
  const dx = (st[o2] as number) - (st[o1] as number) - rax;
  const dy = (st[o2 + 1] as number) - (st[o1 + 1] as number) - ray;
  const dz = (st[o2 + 2] as number) - (st[o1 + 2] as number) - raz;
  out[0] = dx * nx + dy * ny + dz * nz;
  // Rate: (v2 at p2 − v1 at A)·n + d·(ω1 × n).
  pointVel(t, st, b, 0, 0, 0, VA);
  const cx = rax - rotCom(t, st, p, 0), cy = ray - rotCom(t, st, p, 1), cz = raz - rotCom(t, st, p, 2);
  const w1x = st[o1 + 10] as number, w1y = st[o1 + 11] as number, w1z = st[o1 + 12] as number;
  const v1x = (st[o1 + 7] as number) + w1y * cz - w1z * cy;
  const v1y = (st[o1 + 8] as number) + w1z * cx - w1x * cz;
  const v1z = (st[o1 + 9] as number) + w1x * cy - w1y * cx;
  out[1] = ((VA[0] as number) - v1x) * nx + ((VA[1] as number) - v1y) * ny + ((VA[2] as number) - v1z) * nz
    + dx * (w1y * nz - w1z * ny) + dy * (w1z * nx - w1x * nz) + dz * (w1x * ny - w1y * nx);
}

const VA = new Float64Array(3);

/** Component `i` of R_b·com_b (the COM offset from body `b`'s origin, world frame). */
function rotCom(t: TreeArrays, st: Float64Array, b: number, i: number): number {
  const o = b * BODY_STRIDE;
  const x = st[o + 3] as number, y = st[o + 4] as number, z = st[o + 5] as number, w = st[o + 6] as number;
  const cx = t.com[3 * b] as number, cy = t.com[3 * b + 1] as number, cz = t.com[3 * b + 2] as number;
  const tx = 2 * (y * cz - z * cy), ty = 2 * (z * cx - x * cz), tz = 2 * (x * cy - y * cx);
  if (i === 0) return cx + w * tx + (y * tz - z * ty);
  if (i === 1) return cy + w * ty + (z * tx - x * tz);
  return cz + w * tz + (x * ty - y * tx);
}

/**
 * Velocity (world) of the point of body `b` at offset `r` (world frame) from the body origin,
 * into `out`: v_com + ω × (r − R·com).
 */
function pointVel(t: TreeArrays, st: Float64Array, b: number, rx: number, ry: number, rz: number, out: Float64Array): void {
  const o = b * BODY_STRIDE;
  const cx = rx - rotCom(t, st, b, 0), cy = ry - rotCom(t, st, b, 1), cz = rz - rotCom(t, st, b, 2);
  const wx = st[o + 10] as number, wy = st[o + 11] as number, wz = st[o + 12] as number;
  out[0] = (st[o + 7] as number) + wy * cz - wz * cy;
  out[1] = (st[o + 8] as number) + wz * cx - wx * cz;
  out[2] = (st[o + 9] as number) + wx * cy - wy * cx;
}

/** Velocity (world) of body `b`'s origin into `out[at..at+3]`: v_com − ω × (R·com). */
export function originVelocity(t: TreeArrays, st: Float64Array, b: number, out: Float64Array, at: number): void {
  pointVel(t, st, b, 0, 0, 0, VA);
  out[at] = VA[0] as number;
  out[at + 1] = VA[1] as number;
  out[at + 2] = VA[2] as number;
}

/** A body's pose and origin velocity, for forward kinematics. */
export interface FkBody {
  p: Vec3;
  q: Quat;
  /** Velocity of the body origin (not the COM). */
  v: Vec3;
  w: Vec3;
}

/**
 * Poses and velocities of every body from the root's and the joints' (`q`, `qd` per body; the
 * root's entries unused), writing the state layout into `st` (COM velocities).
 */
export function forwardKinematics(t: TreeArrays, root: FkBody, q: Float64Array, qd: Float64Array, st: Float64Array): void {
  const n = t.parent.length;
  const fk: FkBody[] = [root];
  for (let b = 1; b < n; b++) {
    const par = fk[t.parent[b] as number] as FkBody;
    const axis: Vec3 = [t.axis[3 * b] as number, t.axis[3 * b + 1] as number, t.axis[3 * b + 2] as number];
    const anchor: Vec3 = [t.anchor[3 * b] as number, t.anchor[3 * b + 1] as number, t.anchor[3 * b + 2] as number];
    const axisW = qRotate(par.q, axis);
    const qb = q[b] as number;
    const qdb = qd[b] as number;
    let body: FkBody;
    if (t.type[b] === J_REVOLUTE) {
      const r = qRotate(par.q, anchor);
      body = { p: vAdd(par.p, r), q: qNormalize(qMul(par.q, qFromAxisAngle(axis, qb))), v: vAdd(par.v, vCross(par.w, r)), w: vAdd(par.w, vScale(axisW, qdb)) };
    } else {
      const r = qRotate(par.q, vAdd(anchor, vScale(axis, qb)));
      body = { p: vAdd(par.p, r), q: par.q, v: vAdd(vAdd(par.v, vCross(par.w, r)), vScale(axisW, qdb)), w: par.w };
    }
    fk.push(body);
  }
  fk.forEach((f, b) => {
    const o = b * BODY_STRIDE;
    const c = qRotate(f.q, [t.com[3 * b] as number, t.com[3 * b + 1] as number, t.com[3 * b + 2] as number]);
    const vc = vAdd(f.v, vCross(f.w, c));
    st.set([...f.p, ...f.q, ...vc, ...f.w], o);
  });
}

/** State-part mask bit: translation (see `readMasks`). */
export const READ_T = 1;
/** State-part mask bit: rotation. */
export const READ_Q = 2;
/** State-part mask bit: centre-of-mass linear velocity. */
export const READ_V = 4;
/** State-part mask bit: angular velocity. */
export const READ_W = 8;
/** All parts of a body's state. */
export const READ_ALL = 15;

/**
 * Which parts of each body's state `jointState` needs for the actuated joints (each Rapier
 * getter crosses into WASM, so unneeded ones are skipped). Fixed bodies need nothing.
 */
export function readMasks(t: TreeArrays, act: Int32Array, dynamic: readonly boolean[]): Uint8Array {
  const mask = new Array<number>(t.parent.length).fill(0);
  for (const b of act) {
    const p = t.parent[b] as number;
    if (t.type[b] === J_REVOLUTE) {
      mask[b] = (mask[b] as number) | READ_Q | READ_W;
      mask[p] = (mask[p] as number) | READ_Q | READ_W;
    } else {
      const comAtOrigin = t.com[3 * b] === 0 && t.com[3 * b + 1] === 0 && t.com[3 * b + 2] === 0;
      mask[b] = (mask[b] as number) | READ_T | READ_V | (comAtOrigin ? 0 : READ_Q | READ_W);
      mask[p] = READ_ALL;
    }
  }
  return Uint8Array.from(mask, (m, b) => (dynamic[b] ? m : 0));
}
