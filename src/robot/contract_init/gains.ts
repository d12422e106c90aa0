/**
 * PD gains, spawn height and action scale proposed for a legged robot from its mass, leg length
 * and effort limits. The rules (printed by `sim2real urdf --init` and in docs/urdf.md):
 *
 * - Kp of each revolute leg joint = min(weight term, its effort term), two significant digits:
 *   weight term = 2 · (mass·g / legs) · leg drop, i.e. (share of the weight × leg length) /
 *   {@link SAG_RAD}: a stiffness at which a knees-back quadruped holds its stance with margin.
 *   Softer, the sag moves the trunk back over the hind legs and it sits down (legged_gym's A1
 *   at Kp 20, 1.6 × its weight·length, folds unless its pose is sag-compensated, and with a
 *   little more mass or longer shanks anyway);
 *   effort term = the joint's effort limit / {@link SATURATION_RAD}: an error of that much
 *   reaches the motor's limit, so the PD stays linear over the policy's usual targets.
 *   legged_gym's A1 (12.5 kg, 0.42 m legs; 20 N·m hips, 55 N·m thighs and knees) gets 20 on
 *   the hips and 26 elsewhere (legged_gym: 20 throughout); ANYmal C (52 kg, 0.64 m, 80 N·m) 80
 *   (legged_gym: 80).
 * - Kd = Kp · {@link KD_OVER_KP_S} (legged_gym's ratio for both robots: 20/0.5 and 80/2).
 * - A prismatic leg joint gets the weight term / drop² (the same stiffness at the foot) and
 *   effort / ({@link SATURATION_RAD} · drop).
 * - Spawn height = standing height + {@link SPAWN_DROP_FRACTION} of the leg drop.
 */
import type { FoundLeg } from './leg_finder.ts';

/** Standard gravity (m/s²). */
export const G = 9.81;
/** The joint bend the weight term allows (rad). */
export const SAG_RAD = 0.5;
/** The error at which the effort term's Kp reaches the weakest joint's effort limit (rad). */
export const SATURATION_RAD = 1;
/** Kd / Kp (s). */
export const KD_OVER_KP_S = 0.025;
/** Spawn above the standing height by this fraction of the leg drop. */
export const SPAWN_DROP_FRACTION = 0.1;
/** Action scale (rad or m per unit action): legged_gym's A1 value (its ANYmal C uses 0.5). */
export const ACTION_SCALE = 0.25;

/** One joint's gains and which term set them. */
export interface JointGains {
  kp: number;
  kd: number;
  bound: 'weight' | 'effort';
}

/** Gains with how they were reached. */
export interface ProposedGains {
  perJoint: Map<string, JointGains>;
  /** The weight term for revolute joints (N·m/rad). */
  weightTerm: number;
  meanDropM: number;
  /** The largest Kd over the joints: the safe command's damping. */
  kdMax: number;
}

/** Joint facts the rules read: its type and effort limit. */
export interface GainJoint {
  name: string;
  prismatic: boolean;
  effort: number;
}

/** Proposes gains for a robot of `massKg` standing on `legs`. */
export function proposeGains(massKg: number, legs: readonly FoundLeg[], joints: ReadonlyMap<string, GainJoint>): ProposedGains {
  const meanDropM = legs.reduce((s, l) => s + l.dropM, 0) / legs.length;
  const weightTerm = ((massKg * G) / legs.length) * meanDropM / SAG_RAD;
  const perJoint = new Map<string, JointGains>();
  for (const l of legs) for (const name of l.joints) {
    const j = joints.get(name);
    const prismatic = j?.prismatic ?? false;
    const effort = j !== undefined && Number.isFinite(j.effort) && j.effort > 0 ? j.effort : Infinity;
    const weight = prismatic ? weightTerm / (meanDropM * meanDropM) : weightTerm;
    const cap = prismatic ? effort / (SATURATION_RAD * meanDropM) : effort / SATURATION_RAD;
    const kp = twoDigits(Math.min(weight, cap));
    perJoint.set(name, { kp, kd: twoDigits(kp * KD_OVER_KP_S), bound: cap < weight ? 'effort' : 'weight' });
  }
  const kdMax = Math.max(...[...perJoint.values()].map((g) => g.kd));
  return { perJoint, weightTerm, meanDropM, kdMax };
}

/** The spawn height for a robot standing at `standingM` on legs of mean drop `meanDropM`. */
export function spawnHeightM(standingM: number, meanDropM: number): number {
  return round3(standingM + SPAWN_DROP_FRACTION * meanDropM);
}

/** Two significant digits (20, 80, 0.5, 2.3). */
export function twoDigits(x: number): number {
  return x > 0 && Number.isFinite(x) ? Number(x.toPrecision(2)) : 0;
}

/** Millimetre (or milliradian) precision. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
