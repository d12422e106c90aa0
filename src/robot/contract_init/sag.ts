/**
 * The static sag of a robot standing on PD-driven legs, and the commanded pose that cancels it.
 * Each foot carries its share of the weight; a joint's PD carries its torque τ by lagging τ/Kp.
 * The feet are held by friction: where the sag would move the feet apart or together (the
 * legs' horizontal displacements differ from their mean) the ground pushes back, and only the
 * common part (the whole base sliding over its feet) is free. So each foot's force is its load
 * plus the horizontal force that keeps it in step with the others, and the commanded pose is
 * the standing pose minus the joint lags that force causes: the robot then settles into the
 * standing pose instead of below it.
 */
import type { Vec3 } from '../robot_model.ts';
import type { PlanKinematics } from './plan_kinematics.ts';
import { soleJacobian, type IkChain } from './leg_ik.ts';

/** A standing leg: its chain, the joints' Kp and the standing pose. */
export interface SagLeg {
  chain: IkChain;
  kp: readonly number[];
  stand: readonly number[];
  /** Index of the knee in the chain (its lag is capped at half its bend); −1 for none. */
  knee: number;
}

/** The commanded pose of each leg that settles into its standing pose under `footLoadN` per foot. */
export function compensateSag(kin: PlanKinematics, legs: readonly SagLeg[], footLoadN: number): number[][] {
  const W = footLoadN;
  const parts = legs.map((l) => {
    const J = soleJacobian(kin, l.chain, l.stand);
    // sole compliance C = J K⁻¹ Jᵀ (3×3), J given as columns
    const C = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    J.forEach((c, k) => {
      const inv = compliance(l.kp[k] as number);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) C[3 * i + j] = (C[3 * i + j] as number) + (c[i] as number) * (c[j] as number) * inv;
    });
    return { J, C };
  });
  // the free horizontal sole displacement under the load alone, and its mean over the legs
  const free = parts.map(({ C }) => [(C[2] as number) * W, (C[5] as number) * W]);
  const mean = [0, 1].map((a) => free.reduce((s, d) => s + (d[a] as number), 0) / free.length);
  return legs.map((l, i) => {
    const { J, C } = parts[i] as { J: Vec3[]; C: number[] };
    // horizontal force f keeping this sole's horizontal sag at the mean: C_hh f = mean − C_hz W
    const a = C[0] as number, b = C[1] as number, d = C[4] as number;
    const rx = (mean[0] as number) - (C[2] as number) * W, ry = (mean[1] as number) - (C[5] as number) * W;
    const det = a * d - b * b;
    const f = Math.abs(det) > 1e-18 ? [(d * rx - b * ry) / det, (a * ry - b * rx) / det] : [0, 0];
    const F: Vec3 = [f[0] as number, f[1] as number, W];
    const lag = J.map((c, k) => (c[0] * F[0] + c[1] * F[1] + c[2] * F[2]) * compliance(l.kp[k] as number));
    const qk = l.knee >= 0 ? (l.stand[l.knee] as number) : 0;
    const lk = l.knee >= 0 ? Math.abs(lag[l.knee] as number) : 0;
    const scale = lk > Math.abs(qk) / 2 ? Math.abs(qk) / 2 / lk : 1;
    return l.stand.map((q, k) => q - scale * (lag[k] as number));
  });
}

/** 1/Kp; a joint without stiffness (Kp 0) is left out rather than given an infinite lag. */
function compliance(kp: number): number {
  return kp > 0 ? 1 / kp : 0;
}
