/**
 * The default standing pose of a legged robot, found from its kinematics. The rule (printed by
 * `sim2real urdf --init` and in docs/urdf.md):
 *
 * - each foot's sole stands directly below where it hangs in the URDF's zero pose (for the usual
 *   description, legs straight down, that is below the hip), on flat ground, base level;
 * - the base stands at the height that puts each sole {@link PREFERRED_HEIGHT_FRACTION} of its
 *   zero-pose drop below its first joint (legs bent, not stretched); when that puts a joint
 *   closer to a limit than its clearance (10% of its range, at most 0.2 rad), the nearest of
 *   {@link HEIGHT_FRACTIONS} where every joint is clear;
 * - each knee (the joint whose bend shortens the leg most) bends the way its limits allow; where
 *   both ways are allowed, toward the base's centre (front knees back, hind knees forward, the
 *   stance ANYmal uses); the other joints start at zero and inverse kinematics places the sole;
 * - the default pose written to the contract is the standing pose minus the static sag
 *   (sag.ts): each joint's PD lags by τ/Kp carrying its foot's share of the weight, with the
 *   feet held by friction where the legs push apart or together; the knee's lag is at most half
 *   its bend. The robot then settles into the standing pose and its nominal height instead of
 *   below it. Without it a knees-back robot at legged_gym's soft gains (A1, Kp 20) sags, its
 *   trunk slides back over the hind feet and it sits down. Both poses keep every joint clear of
 *   its limits.
 */
import type { Vec3 } from '../robot_model.ts';
import type { FoundLeg } from './leg_finder.ts';
import type { PlanKinematics } from './plan_kinematics.ts';
import { solveLegIk, type IkChain } from './leg_ik.ts';
import { compensateSag } from './sag.ts';

/** Hip-to-sole height as a fraction of the zero-pose drop tried first. */
export const PREFERRED_HEIGHT_FRACTION = 0.8;
/** The fractions tried, nearest to the preferred one first. */
export const HEIGHT_FRACTIONS = [0.8, 0.75, 0.85, 0.7, 0.9, 0.65, 0.6, 0.55, 0.5] as const;
/** A joint's clearance from its limits: this fraction of its range… */
const CLEARANCE_FRACTION = 0.1;
/** …but at most this (rad or m). */
const CLEARANCE_MAX = 0.2;
/** A foot this far from its target is not placed (m). */
const PLACED_M = 1e-3;

/** How one leg's knee was chosen. */
export interface KneeChoice {
  joint: string;
  /** +1 or −1: the sign of the knee's angle in the pose. */
  sign: number;
  why: string;
}

/** What the legs carry: the weight share of each foot and each joint's Kp, for the sag. */
export interface LegLoad {
  /** Vertical force on each foot when the robot stands (N): mass·g / legs. */
  footLoadN: number;
  /** Kp of a joint (N·m/rad or N/m). */
  kp: (joint: string) => number;
}

/** The pose found, with what a user needs to judge it. */
export interface StandingPose {
  /** Default (commanded) position of every leg joint: the standing pose plus the sag compensation. */
  jointPos: Map<string, number>;
  /** Where each joint settles under the weight: the standing pose itself. */
  standPos: Map<string, number>;
  /** Largest sag compensation over the joints (rad or m). */
  maxSag: number;
  /** Base-origin height above the ground with every sole on it (m). */
  baseHeightM: number;
  /** The hip-to-sole fraction used. */
  fraction: number;
  knees: KneeChoice[];
  /** Smallest clearance from a limit over all joints, and which joint (rad or m; Infinity when unlimited). */
  minClearance: { joint: string; value: number; required: number };
  /** Largest distance of a sole from the point below its hip (m). */
  footErrorM: number;
  /** Lines for the user: why a fraction other than the preferred one was taken, and so on. */
  notes: string[];
}

interface LegSolution {
  /** The commanded pose (sag-compensated once every leg is solved). */
  q: number[];
  /** The standing pose the sole reaches. */
  stand: number[];
  residualM: number;
}

/** Finds the standing pose of `legs`; throws when no height in {@link HEIGHT_FRACTIONS} places every foot. */
export function findStandingPose(kin: PlanKinematics, legs: readonly FoundLeg[], load: LegLoad): StandingPose {
  const chains = legs.map((l) => chainOf(kin, l));
  const knees = legs.map((l, i) => chooseKnee(kin, l, chains[i] as IkChain));
  type Trial = { fraction: number; heightM: number; sols: LegSolution[]; score: number; worst: StandingPose['minClearance'] };
  const trials: Trial[] = [];
  for (const fraction of HEIGHT_FRACTIONS) {
    const heightM = legs.reduce((s, l) => s + fraction * l.dropM - l.top[2], 0) / legs.length;
    const sols = legs.map((l, i) => solveLeg(kin, l, chains[i] as IkChain, knees[i] as KneeChoice, heightM));
    if (sols.some((s) => !(s.residualM < PLACED_M))) continue;
    const commanded = compensateSag(kin, legs.map((l, i) => ({
      chain: chains[i] as IkChain, kp: l.joints.map(load.kp), stand: (sols[i] as LegSolution).stand, knee: l.joints.indexOf((knees[i] as KneeChoice).joint),
    })), load.footLoadN);
    sols.forEach((s, i) => { s.q = commanded[i] as number[]; });
    const worst = worstClearance(legs, chains, sols);
    const trial = { fraction, heightM, sols, worst, score: worst.value / worst.required };
    if (trial.score >= 1) return poseOf(legs, knees, trial, fraction === PREFERRED_HEIGHT_FRACTION ? [] : [`at ${PREFERRED_HEIGHT_FRACTION} of the leg drop a foot cannot be placed or a joint would sit within its clearance of a limit: took ${fraction}`]);
    trials.push(trial);
  }
  if (trials.length === 0) {
    throw new Error(`no standing pose: at no height between ${Math.min(...HEIGHT_FRACTIONS)} and ${Math.max(...HEIGHT_FRACTIONS)} of the leg length can every foot stand below its hip within the joint limits`);
  }
  const best = trials.reduce((a, b) => (b.score > a.score ? b : a));
  return poseOf(legs, knees, best, [`no height keeps every joint ${CLEARANCE_FRACTION * 100}% of its range from its limits: took ${best.fraction} of the leg drop, where "${best.worst.joint}" is ${best.worst.value.toFixed(3)} from a limit (check it)`]);
}

function poseOf(legs: readonly FoundLeg[], knees: KneeChoice[], t: { fraction: number; heightM: number; sols: LegSolution[]; worst: StandingPose['minClearance'] }, notes: string[]): StandingPose {
  const jointPos = new Map<string, number>();
  const standPos = new Map<string, number>();
  let maxSag = 0;
  legs.forEach((l, i) => l.joints.forEach((j, k) => {
    const s = t.sols[i] as LegSolution;
    jointPos.set(j, s.q[k] as number);
    standPos.set(j, s.stand[k] as number);
    maxSag = Math.max(maxSag, Math.abs((s.q[k] as number) - (s.stand[k] as number)));
  }));
  return { jointPos, standPos, maxSag, baseHeightM: t.heightM, fraction: t.fraction, knees, minClearance: t.worst, footErrorM: Math.max(...t.sols.map((s) => s.residualM)), notes };
}

function chainOf(kin: PlanKinematics, leg: FoundLeg): IkChain {
  const limit = (b: number) => kin.plan.bodies[b]?.joint?.limit ?? { lower: -Infinity, upper: Infinity };
  return { bodies: leg.bodies, lower: leg.bodies.map((b) => limit(b).lower), upper: leg.bodies.map((b) => limit(b).upper), foot: leg.foot };
}

/** The clearance a joint of range [lower, upper] should keep from its limits. */
export function requiredClearance(lower: number, upper: number): number {
  const range = upper - lower;
  return Number.isFinite(range) ? Math.min(CLEARANCE_MAX, CLEARANCE_FRACTION * range) : CLEARANCE_MAX;
}

function worstClearance(legs: readonly FoundLeg[], chains: IkChain[], sols: LegSolution[]): StandingPose['minClearance'] {
  let worst = { joint: '', value: Infinity, required: CLEARANCE_MAX };
  legs.forEach((l, i) => l.joints.forEach((j, k) => {
    const c = chains[i] as IkChain;
    const lo = c.lower[k] as number, hi = c.upper[k] as number, q = sols[i]?.q[k] as number, st = sols[i]?.stand[k] as number;
    const value = Math.min(q - lo, hi - q, st - lo, hi - st);
    const required = requiredClearance(lo, hi);
    if (value / required < worst.value / worst.required) worst = { joint: j, value, required };
  }));
  return worst;
}

/** Solves one leg for a base at `heightM`: the sole below its zero-pose point, the knee seeded bent its chosen way. */
function solveLeg(kin: PlanKinematics, leg: FoundLeg, chain: IkChain, knee: KneeChoice, heightM: number): LegSolution {
  const target: Vec3 = [leg.soleAtZero[0], leg.soleAtZero[1], -heightM];
  const ratio = Math.min(1, Math.max(0, (heightM + leg.top[2]) / leg.dropM));
  const k = leg.joints.indexOf(knee.joint);
  const seed = leg.bodies.map((_, i) => {
    const lo = chain.lower[i] as number, hi = chain.upper[i] as number;
    const margin = requiredClearance(lo, hi);
    const want = i === k ? knee.sign * 2 * Math.acos(ratio) : 0;
    return Math.min(hi - margin, Math.max(lo + margin, want));
  });
  const sol = solveLegIk(kin, chain, target, seed);
  // the knee bent the other way would be another stance: not a solution
  const flipped = k >= 0 && Math.sign(sol.q[k] as number) !== knee.sign;
  return { q: sol.q, stand: sol.q, residualM: flipped ? Infinity : sol.residualM };
}

/** The knee of `leg` (the revolute joint whose ±0.5 rad bend shortens the leg most) and the way it bends. */
function chooseKnee(kin: PlanKinematics, leg: FoundLeg, chain: IkChain): KneeChoice {
  const reach = (k: number, angle: number): { d: number; x: number } => {
    kin.q.fill(0);
    kin.q[leg.bodies[k] as number] = angle;
    kin.update();
    const s = kin.sole(leg.foot);
    return { d: Math.hypot(s[0] - leg.top[0], s[1] - leg.top[1], s[2] - leg.top[2]), x: s[0] };
  };
  let best = -1, bestShortening = 0;
  leg.bodies.forEach((b, k) => {
    if (kin.plan.bodies[b]?.joint?.type === 'prismatic') return;
    const full = reach(k, 0).d;
    const shortening = full - (reach(k, 0.5).d + reach(k, -0.5).d) / 2;
    if (shortening > bestShortening + 1e-9) { best = k; bestShortening = shortening; }
  });
  kin.q.fill(0);
  kin.update();
  if (best < 0) return { joint: '', sign: 1, why: 'no joint bends the leg: the pose is the zero pose lowered by inverse kinematics' };
  const joint = leg.joints[best] as string;
  const lo = chain.lower[best] as number, hi = chain.upper[best] as number;
  const canPos = hi > 0.2, canNeg = lo < -0.2;
  if (canPos !== canNeg) return { joint, sign: canPos ? 1 : -1, why: `its limits [${fmt(lo)}, ${fmt(hi)}] bend it one way only` };
  // both ways (or neither): toward the base's centre; a leg at the centre bends its knee forward
  const swing = reach(best, 0.5).x - reach(best, 0).x;
  kin.q.fill(0);
  kin.update();
  const front = Math.abs(leg.top[0]) > 1e-3 ? Math.sign(leg.top[0]) : -1;
  const sign = Math.sign(swing) === front ? 1 : -1;
  return { joint, sign, why: `${canPos ? 'its limits allow both ways' : 'it has little room either way'}: the knee points toward the base's centre` };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : v > 0 ? '∞' : '-∞';
}
