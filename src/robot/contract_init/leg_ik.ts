/**
 * Inverse kinematics of one leg with the base held level: the joint positions that put the
 * foot's sole at a target point, by damped least squares from a seed, within the joint limits.
 * Starting from a seed with the knee bent one way keeps the solution on that side, which is how
 * the standing pose chooses where the knees point.
 */
import type { Vec3 } from '../robot_model.ts';
import type { PlanKinematics } from './plan_kinematics.ts';

/** The chain the solver moves: the plan bodies of its joints and their limits, and the foot link. */
export interface IkChain {
  bodies: readonly number[];
  lower: readonly number[];
  upper: readonly number[];
  foot: string;
}

/** What the solver reached. */
export interface IkResult {
  q: number[];
  /** Distance from the sole to the target at `q` (m). */
  residualM: number;
}

/** Finite-difference step (rad or m). */
const H = 1e-6;
/** Damping of the least-squares step (m): keeps steps bounded near singular (stretched) poses. */
const DAMPING_M = 1e-3;
/** Largest change of one joint per iteration (rad or m). */
const MAX_STEP = 0.2;
const ITERATIONS = 200;
const TOLERANCE_M = 1e-6;

/** Moves `chain`'s joints from `seed` until its foot's sole reaches `target` (base frame); leaves `kin` at the result. */
export function solveLegIk(kin: PlanKinematics, chain: IkChain, target: Readonly<Vec3>, seed: readonly number[]): IkResult {
  const n = chain.bodies.length;
  const q = seed.map((v, k) => clamp(v, chain, k));
  const set = (x: readonly number[]) => {
    chain.bodies.forEach((b, k) => { kin.q[b] = x[k] as number; });
    kin.update();
  };
  const residual = (x: readonly number[]): Vec3 => {
    set(x);
    const s = kin.sole(chain.foot);
    return [s[0] - target[0], s[1] - target[1], s[2] - target[2]];
  };
  let r = residual(q);
  for (let it = 0; it < ITERATIONS && norm(r) > TOLERANCE_M; it++) {
    const J = soleJacobian(kin, chain, q);
    // Δq = Jᵀ (J Jᵀ + λ² I)⁻¹ (−r), capped per joint, then clamped into the limits
    const A: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (const c of J) A[3 * i + j] = (A[3 * i + j] as number) + c[i]! * c[j]!;
    for (let i = 0; i < 3; i++) A[4 * i] = (A[4 * i] as number) + DAMPING_M * DAMPING_M;
    const y = solve3(A, [-r[0], -r[1], -r[2]]);
    const dq = J.map((c) => c[0] * y[0] + c[1] * y[1] + c[2] * y[2]);
    const big = Math.max(...dq.map(Math.abs));
    // backtrack: halve the step until the sole gets closer (a limit or a stretched leg can stop it)
    let scale = big > MAX_STEP ? MAX_STEP / big : 1;
    let next = q;
    let rn = r;
    for (let tries = 0; tries < 12; tries++, scale /= 2) {
      next = q.map((v, k) => clamp(v + scale * (dq[k] as number), chain, k));
      rn = residual(next);
      if (norm(rn) < norm(r)) break;
    }
    if (!(norm(rn) < norm(r))) break;
    q.splice(0, n, ...next);
    r = rn;
  }
  set(q);
  return { q, residualM: norm(r) };
}

/**
 * ∂sole/∂q of `chain` at `q` (one column per joint, base frame), by forward differences; leaves
 * `kin` at `q`.
 */
export function soleJacobian(kin: PlanKinematics, chain: IkChain, q: readonly number[]): Vec3[] {
  const at = (x: readonly number[]): Vec3 => {
    chain.bodies.forEach((b, k) => { kin.q[b] = x[k] as number; });
    kin.update();
    return kin.sole(chain.foot);
  };
  const s0 = at(q);
  const J = q.map((_, k) => {
    const x = [...q];
    x[k] = (x[k] as number) + H;
    const s = at(x);
    return [(s[0] - s0[0]) / H, (s[1] - s0[1]) / H, (s[2] - s0[2]) / H] as Vec3;
  });
  at(q);
  return J;
}

function clamp(v: number, chain: IkChain, k: number): number {
  return Math.min(chain.upper[k] as number, Math.max(chain.lower[k] as number, v));
}

function norm(v: Readonly<Vec3>): number {
  return Math.hypot(v[0], v[1], v[2]);
}

/** Solves the symmetric positive-definite 3×3 system `A x = b` (row-major) by Cramer's rule. */
function solve3(A: readonly number[], b: Readonly<Vec3>): Vec3 {
  const det = (m: readonly number[]) => m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
  const d = det(A);
  const col = (c: number) => A.map((v, i) => (i % 3 === c ? b[Math.floor(i / 3)] as number : v));
  return [det(col(0)) / d, det(col(1)) / d, det(col(2)) / d];
}
