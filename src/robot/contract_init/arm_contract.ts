/**
 * The contract of a fixed-base robot (an arm): every movable joint in URDF order, held at the
 * URDF zero (or the middle of its range when zero is outside it or too close to a limit), with
 * position gains from its effort limit, and no locomotion section.
 */
import type { RobotModel } from '../robot_model.ts';
import type { JointSpec } from '../robot_spec.ts';
import { ACTION_SCALE, KD_OVER_KP_S, round3, SATURATION_RAD, twoDigits } from './gains.ts';
import { ACTION_CLIP, CONTROL_DT_S, PHYSICS_DT_S, SOLVER_ITERATIONS, TIMING_WHY } from './defaults.ts';
import { requiredClearance } from './standing_pose.ts';
import type { ContractDraft } from './draft.ts';

/** Kp for a joint with no finite effort limit (N·m/rad). */
const FALLBACK_KP = 10;

/** Writes the fixed-base contract of `model`; `message` says why it is fixed-base, `urdfRef` is the contract's `urdf` value. */
export function draftArmContract(model: RobotModel, movable: readonly string[], urdfRef: string, message: string): ContractDraft {
  const unlimitedEffort: string[] = [];
  const joints: JointSpec[] = movable.map((name) => {
    const j = model.joints.find((x) => x.name === name);
    const lim = j?.limit;
    const effort = lim?.effort ?? Infinity;
    let kp = FALLBACK_KP;
    if (Number.isFinite(effort) && effort > 0) kp = twoDigits((j?.type === 'prismatic' ? effort / 0.1 : effort) / SATURATION_RAD);
    else unlimitedEffort.push(name);
    return { name, kp, kd: twoDigits(kp * KD_OVER_KP_S), default_pos: armDefault(lim?.lower ?? -Infinity, lim?.upper ?? Infinity), action_scale: ACTION_SCALE };
  });
  const kdSafe = Math.max(...joints.map((j) => j.kd));
  const warnings = unlimitedEffort.length > 0 ? [`${unlimitedEffort.length} joints have no effort limit (${unlimitedEffort.slice(0, 4).join(', ')}): Kp ${FALLBACK_KP} N·m/rad given, check it`] : [];
  return {
    kind: 'fixed',
    contract: {
      name: model.name, urdf: urdfRef, control_mode: 'position', control_dt_s: CONTROL_DT_S, physics_dt_s: PHYSICS_DT_S,
      action_clip: ACTION_CLIP, joints, base: { type: 'fixed' }, safe_command: { type: 'hold_default', kd: kdSafe },
      solver_iterations: SOLVER_ITERATIONS,
    },
    legs: [],
    guesses: [
      { what: 'fixed base', value: `"${model.rootLink}" welded to the world`, why: 'a root held by a `world` link is a fixed base; so is a root with no legs and no floating joint (see above)' },
      { what: 'joints', value: `${joints.length}: ${movable.join(', ')}`, why: 'every movable joint, in URDF order' },
      { what: 'default pose', value: joints.map((j) => `${j.name} ${j.default_pos}`).join(', '), why: 'the URDF zero, or the middle of the range where zero is outside it or within 10% of the range of a limit' },
      { what: 'Kp', value: joints.map((j) => `${j.name} ${j.kp}`).join(', '), why: `effort limit / ${SATURATION_RAD} rad (prismatic: / 0.1 m), 2 digits: an error of that much reaches the limit` },
      { what: 'Kd', value: joints.map((j) => `${j.name} ${j.kd}`).join(', '), why: `Kp × ${KD_OVER_KP_S} s` },
      { what: 'control', value: `${1 / CONTROL_DT_S} Hz over ${1 / PHYSICS_DT_S} Hz physics, position mode`, why: `${TIMING_WHY}; set control_mode "effort" if your task commands torques (robots/reacher.json does)` },
      { what: 'safe command', value: `hold_default, kd ${kdSafe}`, why: 'hold the default pose when the policy cannot be trusted' },
    ],
    checks: [
      'joint order: the joints are listed in URDF order; your robot\'s driver must use the same order',
      'signs and zero offsets: step each joint slightly on the real robot and compare with the URDF axis and zero',
      'gains: compare with the vendor\'s recommended position gains',
    ],
    warnings,
    message,
  };
}

/** Zero when it is inside the limits with clearance, else the middle of the range (0 when unlimited). */
function armDefault(lower: number, upper: number): number {
  const c = requiredClearance(lower, upper);
  if (0 >= lower + c && 0 <= upper - c) return 0;
  if (Number.isFinite(lower) && Number.isFinite(upper)) return round3((lower + upper) / 2);
  return round3(Number.isFinite(lower) ? lower + c : upper - c);
}
