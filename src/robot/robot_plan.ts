/**
 * The engine-free half of building a robot: from a parsed URDF and its robot spec to a list of
 * rigid bodies (links merged across fixed joints, with exact combined mass properties), the
 * movable joint that attaches each body to its parent, and the actuated joints in spec order.
 * `build.ts` turns the plan into Rapier objects.
 *
 * Body frames: every body has the orientation of the root body at the reference configuration
 * (all joints at 0) and its origin at the frame of the URDF link that owns it. A joint's axis
 * then has the same coordinates in both bodies' frames, which is what Rapier's impulse joints
 * need, and joint position 0 is the URDF zero whatever the origins' rpy.
 */
import type { Collision, Joint, JointLimit, Link, RobotModel, Vec3 } from './robot_model.ts';
import type { RobotSpec } from './robot_spec.ts';
import { qNormalize, qRotate, vNormalize, vSub, poseMul, type RigidPose } from './math.ts';
import { combineMass, type MassPlan } from './mass.ts';

/** The name of the URDF link that stands for the world (the conventional fixed base). */
const WORLD_LINK = 'world';

/** A collision shape placed in its body's frame. */
export interface ColliderPlan {
  link: string;
  collision: Collision;
  /** Pose of the URDF collision frame in the body frame (before any shape-axis fix). */
  pose: RigidPose;
}

/** A movable joint, in the frames of the bodies it connects. */
export interface JointPlan {
  name: string;
  type: 'revolute' | 'continuous' | 'prismatic';
  /** Joint origin in the parent body's frame (the child body's origin is the joint origin). */
  anchor1: Vec3;
  /** Unit joint axis; the same coordinates in the parent and the child body frame. */
  axis: Vec3;
  /** URDF limits; ±Infinity where the URDF gives none. */
  limit: JointLimit;
  /** Whether Rapier enforces the position limits (finite, and within ±π for revolute joints). */
  enforceLimits: boolean;
  damping: number;
  friction: number;
}

/** One rigid body of the plan. */
export interface BodyPlan {
  /** The URDF link that owns the body (its frame is the body's origin). */
  name: string;
  mergedLinks: string[];
  /** Index of the parent body; -1 for the root. */
  parent: number;
  /** The joint to the parent; null for the root. */
  joint: JointPlan | null;
  /** Body origin relative to the root body's origin at the reference configuration (root axes). */
  refPos: Vec3;
  mass: MassPlan;
  colliders: ColliderPlan[];
}

/** Where a URDF link's frame sits: on which body, at which pose in the body frame. */
export interface LinkFrame {
  body: number;
  pose: RigidPose;
}

/** What `buildRobot` creates, engine-free. */
export interface RobotPlan {
  /** Bodies with parents before children; index 0 is the root. */
  bodies: BodyPlan[];
  /** Root welded to the world (fixed base) or free (floating base). */
  rootFixed: boolean;
  /** Initial root pose relative to the env origin. */
  rootPose: RigidPose;
  /** For each spec joint (action order), the index of the body it moves. */
  actuatedBodies: number[];
  /** Every built URDF link: its body and its frame's pose in that body's frame. */
  linkFrames: Map<string, LinkFrame>;
  warnings: string[];
}

const NO_LIMIT: JointLimit = { lower: -Infinity, upper: Infinity, effort: Infinity, velocity: Infinity };

/** Plans the bodies and joints of `model` under `spec`; errors name the joint or link at fault. */
export function planRobot(model: RobotModel, spec: RobotSpec): RobotPlan {
  const where = `robot ${model.name}`;
  const links = new Map<string, Link>(model.links.map((l) => [l.name, l]));
  const childJoints = new Map<string, Joint[]>();
  for (const j of model.joints) {
    const list = childJoints.get(j.parent);
    if (list === undefined) childJoints.set(j.parent, [j]);
    else list.push(j);
  }
  const warnings: string[] = [];
  const { root, rootFixed, rootPose, skipJoint } = chooseRoot(model, spec, childJoints, warnings);
  const { bodies, linkFrames } = walkTree({ where, links, childJoints, skipJoint, warnings }, root);
  bodies.forEach((b, i) => {
    const inBody = (l: string) => ({ link: links.get(l) as Link, pose: (linkFrames.get(l) as LinkFrame).pose });
    b.mass = combineMass(b.mergedLinks.map(inBody), i > 0 || !rootFixed, `${where}: body "${b.name}"`, warnings);
    for (const { link, pose } of b.mergedLinks.map(inBody)) {
      for (const c of link.collisions) b.colliders.push({ link: link.name, collision: c, pose: poseMul(pose, { p: c.origin.xyz, q: c.origin.quat }) });
    }
    const j = b.joint;
    if (j !== null && j.friction > 0) warnings.push(`joint "${j.name}": dynamics friction ${j.friction} is not simulated (only damping is)`);
  });
  const bodyOfJoint = new Map<string, number>();
  bodies.forEach((b, i) => {
    if (b.joint !== null && !bodyOfJoint.has(b.joint.name)) bodyOfJoint.set(b.joint.name, i);
  });
  const actuatedBodies = spec.joints.map((js) => {
    const i = bodyOfJoint.get(js.name) ?? -1;
    if (i < 0) {
      const j = model.joints.find((x) => x.name === js.name);
      const why = j === undefined ? 'is not a joint of the URDF' : `is a ${j.type} joint (only revolute, continuous and prismatic joints can be driven)`;
      throw new Error(`${where}: robot spec joint "${js.name}" ${why}`);
    }
    return i;
  });
  return { bodies, rootFixed, rootPose, actuatedBodies, linkFrames, warnings };
}

interface TreeContext {
  where: string;
  links: Map<string, Link>;
  childJoints: Map<string, Joint[]>;
  skipJoint: Joint | null;
  warnings: string[];
}

/** A link waiting to be visited by `walkTree`: its pose in the root frame, and the joint that reaches it. */
interface PendingLink {
  link: string;
  inRoot: RigidPose;
  /** The body it joins (a fixed joint, or the root), or the parent body of its movable joint. */
  body: number;
  /** The movable joint that starts the link's own body; null when it extends `body`. */
  joint: Joint | null;
}

/**
 * Depth-first from `root` (parents precede children), with an explicit stack so a chain of any
 * length cannot overflow the call stack: fixed joints extend the current body, movable joints
 * start a new one. Bodies are numbered in the order a recursive walk would number them. Returns
 * the bodies (mass and colliders still empty) and every link's frame in its body's frame.
 */
function walkTree(ctx: TreeContext, root: string): { bodies: BodyPlan[]; linkFrames: Map<string, LinkFrame> } {
  const bodies: BodyPlan[] = [];
  const linkFrames = new Map<string, LinkFrame>();
  const newBody = (name: string, parent: number, refPos: Vec3, joint: JointPlan | null): number => {
    bodies.push({ name, mergedLinks: [], parent, joint, refPos, colliders: [], mass: { massKg: 0, com: [0, 0, 0], inertia: [0, 0, 0], frame: [0, 0, 0, 1] } });
    return bodies.length - 1;
  };
  const stack: PendingLink[] = [{ link: root, inRoot: { p: [0, 0, 0], q: [0, 0, 0, 1] }, body: newBody(root, -1, [0, 0, 0], null), joint: null }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { link: linkName, inRoot } = next;
    if (linkFrames.has(linkName)) throw new Error(`${ctx.where}: link "${linkName}" has more than one parent joint`);
    let body = next.body;
    if (next.joint !== null) {
      const parent = bodies[body] as BodyPlan;
      body = newBody(linkName, body, inRoot.p, planJoint(next.joint, inRoot, parent.refPos, ctx.where, ctx.warnings));
    }
    if (!ctx.links.has(linkName)) throw new Error(`${ctx.where}: link "${linkName}" is used by a joint but not defined`);
    const b = bodies[body] as BodyPlan;
    linkFrames.set(linkName, { body, pose: { p: vSub(inRoot.p, b.refPos), q: inRoot.q } });
    if (b.name === WORLD_LINK) b.name = linkName;
    b.mergedLinks.push(linkName);
    const children = childrenToVisit(ctx, linkName, inRoot, body, linkFrames);
    for (let k = children.length - 1; k >= 0; k--) stack.push(children[k] as PendingLink);
  }
  return { bodies, linkFrames };
}

/** The joints below `linkName` as links to visit, in file order; a floating joint below the root is an error. */
function childrenToVisit(ctx: TreeContext, linkName: string, inRoot: RigidPose, body: number, linkFrames: Map<string, LinkFrame>): PendingLink[] {
  const out: PendingLink[] = [];
  for (const j of ctx.childJoints.get(linkName) ?? []) {
    if (j === ctx.skipJoint) continue;
    if (linkFrames.has(j.child)) throw new Error(`${ctx.where}: link "${j.child}" has more than one parent joint`);
    if (j.type === 'floating') throw new Error(`${ctx.where}: joint "${j.name}": floating joints are only supported at the root`);
    const childInRoot = poseMul(inRoot, { p: j.origin.xyz, q: j.origin.quat });
    out.push({ link: j.child, inRoot: childInRoot, body, joint: j.type === 'fixed' ? null : j });
  }
  return out;
}

function planJoint(j: Joint, childInRoot: RigidPose, parentRefPos: Vec3, where: string, warnings: string[]): JointPlan {
  let axisLocal: Vec3;
  try {
    axisLocal = vNormalize(j.axis);
  } catch {
    throw new Error(`${where}: joint "${j.name}": axis [${j.axis.join(' ')}] has zero length`);
  }
  const type = j.type as JointPlan['type'];
  let limit = j.limit ?? NO_LIMIT;
  if (type === 'continuous') limit = { ...limit, lower: -Infinity, upper: Infinity };
  if (j.limit !== undefined && !(j.limit.effort > 0)) warnings.push(`joint "${j.name}": effort limit ${j.limit.effort}: treated as unlimited`);
  let enforceLimits = type !== 'continuous' && Number.isFinite(limit.lower) && Number.isFinite(limit.upper) && limit.lower <= limit.upper;
  if (enforceLimits && type === 'revolute' && (limit.lower < -Math.PI || limit.upper > Math.PI)) {
    // Rapier measures revolute angles in (-π, π]: a wider range cannot be a limit there.
    warnings.push(`joint "${j.name}": limits [${limit.lower}, ${limit.upper}] reach beyond ±π: not enforced by the physics (targets are still clamped)`);
    enforceLimits = false;
  }
  return {
    name: j.name, type,
    anchor1: vSub(childInRoot.p, parentRefPos),
    axis: vNormalize(qRotate(qNormalize(childInRoot.q), axisLocal)),
    limit: { lower: limit.lower, upper: limit.upper, effort: limit.effort > 0 ? limit.effort : Infinity, velocity: limit.velocity },
    enforceLimits,
    damping: j.dynamics.damping,
    friction: j.dynamics.friction,
  };
}

interface RootChoice {
  root: string;
  rootFixed: boolean;
  rootPose: RigidPose;
  /** A joint from the world link that is not built (the world is dropped for a free base). */
  skipJoint: Joint | null;
}

/**
 * Fixed base: the URDF root (the "world" link included, merged with whatever is welded to it)
 * becomes a fixed body at the env origin. Floating base (spec or a URDF floating joint): the
 * "world" link and its joint are dropped and the next link is the free root.
 */
function chooseRoot(model: RobotModel, spec: RobotSpec, childJoints: Map<string, Joint[]>, warnings: string[]): RootChoice {
  const where = `robot ${model.name}`;
  const fromRoot = childJoints.get(model.rootLink) ?? [];
  const floatingJoint = fromRoot.find((j) => j.type === 'floating');
  const floating = spec.base.type === 'floating' || floatingJoint !== undefined;
  if (floatingJoint !== undefined && spec.base.type === 'fixed') {
    warnings.push(`joint "${floatingJoint.name}" is floating although the robot spec says base.type "fixed": the base is free`);
  }
  if (!floating) return { root: model.rootLink, rootFixed: true, rootPose: { p: [0, 0, 0], q: [0, 0, 0, 1] }, skipJoint: null };
  const spawnZ = spec.base.spawn_height_m;
  if (model.rootLink !== WORLD_LINK && floatingJoint === undefined) {
    return { root: model.rootLink, rootFixed: false, rootPose: { p: [0, 0, spawnZ ?? 0], q: [0, 0, 0, 1] }, skipJoint: null };
  }
  const j = floatingJoint ?? fromRoot[0];
  if (j === undefined || fromRoot.length !== 1 || (j.type !== 'fixed' && j.type !== 'floating')) {
    throw new Error(`${where}: a floating base needs the root link "${model.rootLink}" to hold exactly one fixed or floating joint to the robot`);
  }
  const p: Vec3 = [j.origin.xyz[0], j.origin.xyz[1], spawnZ ?? j.origin.xyz[2]];
  return { root: j.child, rootFixed: false, rootPose: { p, q: qNormalize(j.origin.quat) }, skipJoint: j };
}
