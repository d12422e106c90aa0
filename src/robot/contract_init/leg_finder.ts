/**
 * Finds a floating-base robot's legs in its URDF tree: chains of movable joints from the base
 * to a leaf link that hangs below them in the URDF's zero pose, each ending in a foot. The
 * rules (docs/urdf.md, "Writing a contract"):
 *
 * - the base is the root body (the root link and all welded to it by fixed joints);
 * - every subtree hanging off the base by a movable joint is a leg candidate; its foot is the
 *   lowest leaf link that has a collision shape (the lowest leaf if none has one), and its
 *   joints are the movable joints from the base to the foot, in chain order;
 * - a candidate is a leg when its foot hangs below its first joint by at least half its reach
 *   and below the base (a leg hangs down in the zero pose, an arm or a head does not), and
 *   reaches within a quarter of that drop of the lowest foot (a humanoid's hanging arms do not);
 * - legs keep the order of their first joint in the URDF.
 */
import type { Joint, Link, RobotModel, Vec3 } from '../robot_model.ts';
import type { RobotPlan } from '../robot_plan.ts';
import { vSub } from '../math.ts';
import type { PlanKinematics } from './plan_kinematics.ts';

/** One leg found in the URDF. */
export interface FoundLeg {
  /** Leg name: the common prefix of its joint and foot names (`LF`, `FR`), else the foot's name. */
  name: string;
  /** Movable joints from the base to the foot, in chain order. */
  joints: string[];
  /** The plan body each of `joints` moves. */
  bodies: number[];
  /** The leaf link that touches the ground. */
  foot: string;
  /** How the foot touches: its collision shapes, in words (`sphere r 0.02 m`), or `none`. */
  footShape: string;
  /**
   * The leg's segments that can touch the ground (penalized contacts): for each body of the leg,
   * the link that owns it (the child of its joint, as `LF_THIGH`, `FR_calf`) when it or a link
   * welded to it, other than the foot, has a collision shape.
   */
  contactLinks: string[];
  /** Base frame, zero pose: the first joint's origin and the foot's sole. */
  top: Vec3;
  soleAtZero: Vec3;
  /** How far the sole hangs below the first joint in the zero pose (m). */
  dropM: number;
}

/** The legs of a robot, or why it has none. */
export interface LegLayout {
  /** The root link: the floating base. */
  baseLink: string;
  /** Whether the base (its root link or a link welded to it) has a collision shape. */
  baseHasShapes: boolean;
  legs: FoundLeg[];
  /** Movable joints on no leg (left passive), each with why. */
  offLeg: { joint: string; why: string }[];
  /** Candidates that were not taken as legs, with why (for the "no legs" message). */
  rejected: string[];
}

/** The legs of `model` under its plan (floating base, every movable joint in the spec), from kinematics at the zero pose. */
export function findLegs(model: RobotModel, plan: RobotPlan, kin: PlanKinematics): LegLayout {
  kin.q.fill(0);
  kin.update();
  const fileIndex = new Map(model.joints.map((j, i) => [j.name, i]));
  const tree = treeOf(model);
  const isLeaf = (link: string) => (tree.children.get(link) ?? []).length === 0;
  const hasShapes = (link: string) => (tree.links.get(link)?.collisions.length ?? 0) > 0;
  const subtreeOf = subtrees(plan);
  const baseBottom = Math.min(0, ...(plan.bodies[0]?.mergedLinks ?? []).filter(hasShapes).map((l) => kin.sole(l)[2]));
  const candidates: FoundLeg[] = [];
  const rejected: string[] = [];
  for (const [root, bodies] of subtreeOf) {
    const leaves = bodies.flatMap((b) => plan.bodies[b]?.mergedLinks ?? []).filter(isLeaf);
    const withShapes = leaves.filter(hasShapes);
    const pool = withShapes.length > 0 ? withShapes : leaves;
    const foot = lowest(pool, kin);
    const rootJoint = plan.bodies[root]?.joint?.name ?? '?';
    if (foot === undefined) { rejected.push(`joint "${rootJoint}": no leaf link below it`); continue; }
    const leg = measureLeg(plan, kin, root, bodies, foot, tree);
    const reachM = Math.hypot(...vSub(leg.soleAtZero, leg.top));
    if (!(leg.dropM >= 0.5 * reachM) || !(leg.dropM > 1e-3)) {
      rejected.push(`joint "${rootJoint}" → "${foot}": ends ${Math.abs(leg.dropM).toFixed(3)} m ${leg.dropM > 0 ? 'below' : 'above'} its first joint, ${reachM.toFixed(3)} m away: not hanging down`);
      continue;
    }
    if (!(leg.soleAtZero[2] < baseBottom)) {
      rejected.push(`joint "${rootJoint}" → "${foot}": ends at ${leg.soleAtZero[2].toFixed(3)} m, not below the base (${baseBottom.toFixed(3)} m)`);
      continue;
    }
    candidates.push(leg);
  }
  const lowestSole = Math.min(...candidates.map((c) => c.soleAtZero[2]));
  const legs = candidates.filter((c) => {
    const ok = c.soleAtZero[2] <= lowestSole + 0.25 * c.dropM;
    if (!ok) rejected.push(`joint "${c.joints[0]}" → "${c.foot}": ends ${(c.soleAtZero[2] - lowestSole).toFixed(3)} m above the lowest foot`);
    return ok;
  });
  legs.sort((a, b) => (fileIndex.get(a.joints[0] as string) ?? 0) - (fileIndex.get(b.joints[0] as string) ?? 0));
  nameLegs(legs);
  const onLeg = new Set(legs.flatMap((l) => l.joints));
  const offLeg = plan.bodies.flatMap((b) => (b.joint === null || onLeg.has(b.joint.name) ? [] : [{ joint: b.joint.name, why: 'not on the chain from the base to a foot' }]));
  const base = plan.bodies[0];
  return { baseLink: base?.name ?? model.rootLink, baseHasShapes: (base?.mergedLinks ?? []).some(hasShapes), legs, offLeg, rejected };
}

/** The bodies of each subtree hanging off the base (body 0), keyed by its first body; parents precede children. */
function subtrees(plan: RobotPlan): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const topOf = new Int32Array(plan.bodies.length).fill(-1);
  plan.bodies.forEach((b, i) => {
    if (i === 0) return;
    const top = b.parent === 0 ? i : (topOf[b.parent] as number);
    topOf[i] = top;
    if (top < 0) return;
    const list = out.get(top);
    if (list === undefined) out.set(top, [i]);
    else list.push(i);
  });
  return out;
}

/** The link of `links` whose sole is lowest in the current pose. */
function lowest(links: string[], kin: PlanKinematics): string | undefined {
  let best: string | undefined;
  let bestZ = Infinity;
  for (const l of links) {
    const z = kin.sole(l)[2];
    if (z < bestZ) { bestZ = z; best = l; }
  }
  return best;
}

/** Links by name and the joints below each link. */
interface Tree {
  links: Map<string, Link>;
  children: Map<string, Joint[]>;
}

function treeOf(model: RobotModel): Tree {
  const children = new Map<string, Joint[]>();
  for (const j of model.joints) {
    const list = children.get(j.parent);
    if (list === undefined) children.set(j.parent, [j]);
    else list.push(j);
  }
  return { links: new Map(model.links.map((l) => [l.name, l])), children };
}

/** The chain from subtree root `root` to `foot`, its contact links and its zero-pose geometry. */
function measureLeg(plan: RobotPlan, kin: PlanKinematics, root: number, subtree: number[], foot: string, tree: Tree): FoundLeg {
  const footBody = plan.linkFrames.get(foot)?.body ?? root;
  const chain: number[] = [];
  for (let b = footBody; b > 0; b = plan.bodies[b]?.parent ?? 0) chain.unshift(b);
  const shapes = tree.links.get(foot)?.collisions ?? [];
  const underFoot = belowLink(tree, foot);
  const hasShapes = (l: string) => !underFoot.has(l) && (tree.links.get(l)?.collisions.length ?? 0) > 0;
  const contactLinks = subtree.filter((b) => (plan.bodies[b]?.mergedLinks ?? []).some(hasShapes)).map((b) => plan.bodies[b]?.name ?? '');
  const top = kin.jointOrigin(root);
  const soleAtZero = kin.sole(foot);
  return {
    name: '', joints: chain.map((b) => plan.bodies[b]?.joint?.name ?? '?'), bodies: chain, foot,
    footShape: shapes.length === 0 ? 'none' : shapes.map((s) => describeShape(s.geometry)).join(' + '),
    contactLinks, top, soleAtZero, dropM: top[2] - soleAtZero[2],
  };
}

/** `link` and every link below it. */
function belowLink(tree: Tree, link: string): Set<string> {
  const out = new Set<string>();
  const stack = [link];
  for (let l = stack.pop(); l !== undefined; l = stack.pop()) {
    out.add(l);
    for (const j of tree.children.get(l) ?? []) stack.push(j.child);
  }
  return out;
}

function describeShape(g: Link['collisions'][number]['geometry']): string {
  switch (g.kind) {
    case 'sphere': return `sphere r ${g.radius} m`;
    case 'box': return `box ${g.size.join('×')} m`;
    case 'cylinder': return `cylinder r ${g.radius} m`;
    case 'capsule': return `capsule r ${g.radius} m`;
    case 'convex': return 'mesh';
  }
}

/** Names each leg by the common prefix of its joints' and foot's names, trimmed of separators; unique. */
function nameLegs(legs: FoundLeg[]): void {
  const used = new Set<string>();
  for (const leg of legs) {
    const names = [...leg.joints, leg.foot];
    let prefix = names[0] ?? '';
    for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
    prefix = prefix.replace(/[^A-Za-z0-9]+$/, '');
    let name = prefix.length > 0 ? prefix : leg.foot;
    for (let k = 2; used.has(name); k++) name = `${prefix.length > 0 ? prefix : leg.foot}_${k}`;
    used.add(name);
    leg.name = name;
  }
}
