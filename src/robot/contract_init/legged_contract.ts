/**
 * The contract of a legged robot: its legs and feet as found, the standing pose solved from its
 * kinematics, gains from its mass, leg length and effort limits, and the locomotion section the
 * quadruped task reads. Every number comes with the guess behind it.
 */
import type { RobotModel } from '../robot_model.ts';
import type { JointSpec } from '../robot_spec.ts';
import { totalMassKg } from '../urdf/urdf_loader.ts';
import type { LegLayout } from './leg_finder.ts';
import type { PlanKinematics } from './plan_kinematics.ts';
import { findStandingPose, HEIGHT_FRACTIONS, PREFERRED_HEIGHT_FRACTION, type StandingPose } from './standing_pose.ts';
import { ACTION_SCALE, G, KD_OVER_KP_S, proposeGains, round3, SAG_RAD, SATURATION_RAD, spawnHeightM, SPAWN_DROP_FRACTION, type GainJoint, type ProposedGains } from './gains.ts';
import { ACTION_CLIP, CONTROL_DT_S, PHYSICS_DT_S, SOLVER_ITERATIONS, TIMING_WHY } from './defaults.ts';
import type { ContractDraft, ContractJson, Guess, LegSummary } from './draft.ts';

/** Writes the contract of the legged robot `model` whose legs are `layout`; `urdfRef` is the contract's `urdf` value. */
export function draftLeggedContract(model: RobotModel, kin: PlanKinematics, layout: LegLayout, urdfRef: string): ContractDraft {
  const massKg = totalMassKg(model);
  const gainJoints = new Map<string, GainJoint>(model.joints.map((j) => [j.name, { name: j.name, prismatic: j.type === 'prismatic', effort: j.limit?.effort ?? Infinity }]));
  const gains = proposeGains(massKg, layout.legs, gainJoints);
  const footLoadN = (massKg * G) / layout.legs.length;
  const pose = findStandingPose(kin, layout.legs, { footLoadN, kp: (j) => gains.perJoint.get(j)?.kp ?? 1 });
  const nominal = round3(pose.baseHeightM);
  const spawn = spawnHeightM(pose.baseHeightM, gains.meanDropM);
  const joints: JointSpec[] = layout.legs.flatMap((l) => l.joints.map((name) => ({
    name, kp: gains.perJoint.get(name)?.kp ?? 0, kd: gains.perJoint.get(name)?.kd ?? 0,
    default_pos: insideLimits(kin, name, pose.jointPos.get(name) ?? 0), action_scale: ACTION_SCALE,
  })));
  const terminating = layout.baseHasShapes ? [layout.baseLink] : [];
  const contract: ContractJson = {
    name: model.name, urdf: urdfRef, control_mode: 'position', control_dt_s: CONTROL_DT_S, physics_dt_s: PHYSICS_DT_S,
    action_clip: ACTION_CLIP, joints, base: { type: 'floating', spawn_height_m: spawn },
    safe_command: { type: 'hold_default', kd: gains.kdMax }, solver_iterations: SOLVER_ITERATIONS,
    locomotion: {
      base_link: layout.baseLink,
      legs: layout.legs.map((l) => ({ name: l.name, joints: [...l.joints], foot: l.foot })),
      penalized_contacts: layout.legs.flatMap((l) => l.contactLinks),
      terminating_contacts: terminating,
      nominal_base_height_m: nominal,
    },
  };
  const legs: LegSummary[] = layout.legs.map((l, i) => ({
    name: l.name, foot: l.foot, footShape: l.footShape, knee: pose.knees[i]?.joint ?? '', kneeWhy: pose.knees[i]?.why ?? '',
    joints: l.joints.map((name, k) => {
      const lim = kin.plan.bodies[l.bodies[k] as number]?.joint?.limit;
      const js = joints.find((j) => j.name === name) as JointSpec;
      return { name, default_pos: js.default_pos, stand_pos: round3(pose.standPos.get(name) ?? js.default_pos), lower: lim?.lower ?? -Infinity, upper: lim?.upper ?? Infinity, kp: js.kp, kd: js.kd };
    }),
  }));
  return {
    kind: 'legged', contract, legs,
    guesses: guesses(model, layout, pose, gains, { massKg, nominal, spawn, joints }),
    checks: checks(layout, joints, model),
    warnings: warnings(model, layout, pose),
    message: '',
  };
}

/** Groups `items` by `key`, in order of first appearance. */
function groupBy<T, K>(items: readonly T[], key: (t: T) => K): [K, T[]][] {
  const m = new Map<K, T[]>();
  for (const it of items) m.set(key(it), [...(m.get(key(it)) ?? []), it]);
  return [...m.entries()];
}

/** Up to three names, then how many more. */
function listed(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** `q` rounded to 1e-3, kept inside the joint's limits. */
function insideLimits(kin: PlanKinematics, joint: string, q: number): number {
  const lim = kin.plan.bodies.find((b) => b.joint?.name === joint)?.joint?.limit;
  const r = round3(q);
  if (lim === undefined) return r;
  return Math.min(Math.floor(lim.upper * 1000) / 1000, Math.max(Math.ceil(lim.lower * 1000) / 1000, r));
}

function guesses(model: RobotModel, layout: LegLayout, pose: StandingPose, gains: ProposedGains, n: { massKg: number; nominal: number; spawn: number; joints: JointSpec[] }): Guess[] {
  const f = (x: number, d = 3) => Number(x.toFixed(d)).toString();
  const legs = layout.legs;
  const effortOf = (j: string) => model.joints.find((x) => x.name === j)?.limit?.effort ?? Infinity;
  const kpText = groupBy(n.joints, (j) => j.kp).map(([kp, js]) => {
    const g = gains.perJoint.get(js[0]?.name ?? '');
    const why = g?.bound === 'effort' ? `effort limit ${f(effortOf(js[0]?.name ?? ''), 1)} / ${SATURATION_RAD} rad` : 'weight term';
    return `${kp} on ${listed(js.map((j) => j.name))} (${why})`;
  }).join('; ');
  const kdText = groupBy(n.joints, (j) => j.kd).map(([kd, js]) => `${kd} on ${listed(js.map((j) => j.name))}`).join('; ');
  return [
    { what: 'floating base', value: `"${layout.baseLink}"`, why: `the URDF's root link${model.rootLink === 'world' ? ' below its floating joint' : ' (no joint welds it to a world link)'}` },
    { what: 'legs', value: `${legs.length} × ${[...new Set(legs.map((l) => l.joints.length))].join('/')} joints`, why: 'chains of movable joints from the base to a leaf link hanging below them in the zero pose, in the order of their first joint in the URDF' },
    { what: 'feet', value: legs.map((l) => l.foot).join(', '), why: 'the lowest leaf link of each leg that has a collision shape' },
    { what: 'standing pose', value: `soles ${f(pose.fraction, 2)} of the leg drop below the first joint, base at ${f(n.nominal)} m`, why: `legs bent, not stretched (${PREFERRED_HEIGHT_FRACTION} preferred; else the nearest of ${HEIGHT_FRACTIONS.join(', ')} that keeps every joint 10% of its range, at most 0.2 rad, from its limits); each sole straight below where it hangs in the zero pose; knees bent the way their limits allow, else toward the base's centre` },
    { what: 'default pose', value: `the standing pose ahead of its sag under load (at most ${f(pose.maxSag)} rad)`, why: 'a joint\'s PD lags by torque / Kp while its foot carries its share of the weight (the feet held by friction where the legs push apart or together; a knee\'s lag at most half its bend): commanded this pose, the robot settles into the standing pose' },
    { what: 'nominal base height', value: `${f(n.nominal)} m`, why: 'the base origin\'s height in that pose with every sole on flat ground' },
    { what: 'Kp (N·m/rad)', value: kpText, why: `per joint min(weight term ${f(gains.weightTerm, 1)} = ${f(n.massKg, 2)} kg · g / ${legs.length} legs · ${f(gains.meanDropM)} m leg drop / ${SAG_RAD} rad, effort limit / ${SATURATION_RAD} rad), 2 digits; legged_gym: A1 20, ANYmal C 80` },
    { what: 'Kd (N·m·s/rad)', value: kdText, why: `Kp × ${KD_OVER_KP_S} s (legged_gym's ratio: A1 20/0.5, ANYmal C 80/2)` },
    { what: 'spawn height', value: `${f(n.spawn)} m`, why: `standing height + ${SPAWN_DROP_FRACTION} × leg drop: the robot drops a little onto its feet at each reset` },
    { what: 'action scale', value: `${ACTION_SCALE} rad per unit action`, why: 'legged_gym\'s A1 value (its ANYmal C uses 0.5): each unit of action moves a target 0.25 rad from the default pose; raise it if the gait needs wider swings' },
    { what: 'control', value: `${1 / CONTROL_DT_S} Hz over ${1 / PHYSICS_DT_S} Hz physics, position mode`, why: TIMING_WHY },
    { what: 'safe command', value: `hold_default, kd ${gains.kdMax}`, why: 'when the policy cannot be trusted the bridge holds the default pose, damped like the strongest joint' },
    { what: 'penalized contacts', value: layout.legs.flatMap((l) => l.contactLinks).join(', ') || '(none)', why: 'each leg segment with collision shapes other than the foot\'s, by the link that owns it' },
    { what: 'terminating contacts', value: layout.baseHasShapes ? layout.baseLink : '(none)', why: 'the base: on the ground it ends an episode (only a base with collision shapes can touch it)' },
  ];
}

function checks(layout: LegLayout, joints: JointSpec[], model: RobotModel): string[] {
  const unlimited = unlimitedJoints(model, layout).length;
  const kps = [...new Set(joints.map((j) => j.kp))].join('/');
  const kds = [...new Set(joints.map((j) => j.kd))].join('/');
  return [
    'joint order: the contract lists the joints leg by leg in URDF order; your robot\'s driver must send and accept them in this order (or map them by name)',
    'signs and zero offsets: command each joint a small step from the default pose on the real robot, motors on a stand, and compare the direction with the URDF axis; the encoder zero must be the URDF zero pose',
    'the default pose: it must be a pose your robot can stand in (feet under the hips, knees the way the printout says); compare it with the vendor\'s standing pose',
    `gains: Kp ${kps} / Kd ${kds}; compare with the vendor's or legged_gym's values for this robot and with the motors' real torque limits (the URDF's effort limits set the caps)`,
    `feet: ${layout.legs.map((l) => `${l.name} → ${l.foot}`).join(', ')}; the quadruped task needs each foot to carry exactly one sphere collision shape`,
    unlimited > 0
      ? `limits: ${unlimited} leg joints have no lower/upper in the URDF, so nothing clamps their targets; add the robot's mechanical limits to the URDF`
      : 'limits: the URDF\'s position, velocity and effort limits are what the bridge clamps commands to: they must be the robot\'s real ones',
  ];
}

function warnings(model: RobotModel, layout: LegLayout, pose: StandingPose): string[] {
  const out = [...pose.notes];
  for (const l of layout.legs) {
    const shapes = model.links.find((x) => x.name === l.foot)?.collisions ?? [];
    if (shapes.length === 0) out.push(`foot "${l.foot}" has no collision shape: it cannot touch the ground in simulation`);
    else if (shapes.length !== 1 || shapes[0]?.geometry.kind !== 'sphere') out.push(`foot "${l.foot}" is ${l.footShape}: the quadruped task needs exactly one sphere collision shape per foot`);
  }
  for (const o of layout.offLeg) out.push(`joint "${o.joint}" is ${o.why}: left out of the contract (passive); add it by hand if the policy should drive it`);
  const unlimited = unlimitedJoints(model, layout);
  if (unlimited.length > 0) out.push(`${unlimited.length} leg joints have no position limits in the URDF (${unlimited.slice(0, 4).join(', ')}${unlimited.length > 4 ? ', …' : ''}): the pose keeps clear of nothing there; check it`);
  if (!layout.baseHasShapes) out.push(`the base "${layout.baseLink}" has no collision shape: it cannot touch the ground, so a fall is seen only by height and tilt`);
  return out;
}

/** The leg joints without finite position limits in the URDF. */
function unlimitedJoints(model: RobotModel, layout: LegLayout): string[] {
  return layout.legs.flatMap((l) => l.joints).filter((j) => {
    const lim = model.joints.find((x) => x.name === j)?.limit;
    return lim === undefined || !Number.isFinite(lim.lower) || !Number.isFinite(lim.upper);
  });
}
