/**
 * `sim2real urdf FILE --init OUT.json`, engine-free: decides what kind of robot a URDF is and
 * drafts its contract. A root welded to a `world` link is a fixed-base robot (an arm); otherwise
 * the base floats and the legs are looked for (leg_finder.ts). A floating robot with legs gets
 * the legged contract; one without legs gets the fixed-base contract unless its URDF says the
 * base floats (a `floating` joint), which is refused: nothing there could stand.
 */
import type { RobotModel } from '../robot_model.ts';
import type { RobotSpec } from '../robot_spec.ts';
import { planRobot } from '../robot_plan.ts';
import { PlanKinematics } from './plan_kinematics.ts';
import { findLegs } from './leg_finder.ts';
import { draftLeggedContract } from './legged_contract.ts';
import { draftArmContract } from './arm_contract.ts';
import { CONTROL_DT_S, PHYSICS_DT_S } from './defaults.ts';
import { ContractInitError, type ContractDraft } from './draft.ts';

export { ContractInitError, type ContractDraft, type ContractJson, type Guess, type LegSummary, type LocomotionDraft } from './draft.ts';

const MOVABLE = new Set(['revolute', 'continuous', 'prismatic']);

/**
 * Legged robots of at most this many rigid bodies get a contract: the pose search runs forward
 * kinematics of the whole robot per leg and step, and no legged robot comes near it (the A1 and
 * ANYmal C have 13).
 */
export const MAX_INIT_BODIES = 500;

/**
 * Drafts the contract of `model`. `urdfRef` is what the contract's `urdf` field says (the URDF's
 * path relative to the contract). Throws `ContractInitError` for a robot with nothing to drive
 * or a floating base without legs.
 */
export function draftContract(model: RobotModel, urdfRef: string): ContractDraft {
  const movable = model.joints.filter((j) => MOVABLE.has(j.type)).map((j) => j.name);
  if (movable.length === 0) throw new ContractInitError(`robot ${model.name} has no movable joint (revolute, continuous or prismatic): nothing for a policy to drive`);
  const fromWorld = model.rootLink === 'world' ? model.joints.find((j) => j.parent === 'world') : undefined;
  if (fromWorld !== undefined && fromWorld.type !== 'floating') {
    return draftArmContract(model, movable, urdfRef, `the root link "world" holds the robot by ${fromWorld.type} joint "${fromWorld.name}": a fixed-base robot (an arm?); no locomotion section`);
  }
  const explicitFloat = fromWorld?.type === 'floating';
  const plan = planRobot(model, probeSpec(model, movable));
  if (plan.bodies.length > MAX_INIT_BODIES) {
    throw new ContractInitError(`robot ${model.name} has ${plan.bodies.length} rigid bodies after merging fixed joints: --init writes contracts for robots of at most ${MAX_INIT_BODIES}`);
  }
  const kin = new PlanKinematics(plan);
  const layout = findLegs(model, kin.plan, kin);
  if (layout.legs.length > 0) return draftLeggedContract(model, kin, layout, urdfRef);
  const why = layout.rejected.length > 0 ? ` (${layout.rejected.slice(0, 3).join('; ')}${layout.rejected.length > 3 ? '; …' : ''})` : '';
  if (explicitFloat) {
    throw new ContractInitError(`robot ${model.name} has a floating base ("${fromWorld?.name}") but no legs: no chain of movable joints from the base ends in a link hanging below it in the zero pose${why}; the quadruped task needs legs`);
  }
  return draftArmContract(model, movable, urdfRef,
    `no legs found (no chain of movable joints from the root "${model.rootLink}" ends in a link hanging below it in the zero pose${why}) and no floating joint: taken as a fixed-base robot (an arm?) with "${model.rootLink}" welded to the world; no locomotion section`);
}

/** A spec that moves every movable joint, for planning the floating robot's bodies. */
function probeSpec(model: RobotModel, movable: readonly string[]): RobotSpec {
  return {
    name: model.name, urdf: '', control_mode: 'position', control_dt_s: CONTROL_DT_S, physics_dt_s: PHYSICS_DT_S, action_clip: 1,
    joints: movable.map((name) => ({ name, kp: 0, kd: 0, default_pos: 0, action_scale: 1 })),
    base: { type: 'floating', spawn_height_m: 1 }, safe_command: { type: 'damping', kd: 0 },
  };
}
