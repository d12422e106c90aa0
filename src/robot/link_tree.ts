/**
 * The URDF link tree as the robot contract's checks and legged tasks walk it: which joint
 * carries a link, whether one link lies below another, and which links are welded together by
 * fixed joints (the physics merges them into one body, but a foot welded to its calf keeps its
 * own collision shapes, so contacts can still tell them apart).
 */
import type { Joint, RobotModel } from './robot_model.ts';

/** Parent/child lookups over a parsed URDF. */
export class LinkTree {
  private readonly parentJointOf = new Map<string, Joint>();
  private readonly childJoints = new Map<string, Joint[]>();
  private readonly links: ReadonlySet<string>;

  constructor(readonly model: RobotModel) {
    this.links = new Set(model.links.map((l) => l.name));
    for (const j of model.joints) {
      this.parentJointOf.set(j.child, j);
      const list = this.childJoints.get(j.parent);
      if (list === undefined) this.childJoints.set(j.parent, [j]);
      else list.push(j);
    }
  }

  /** Whether the URDF defines link `name`. */
  hasLink(name: string): boolean {
    return this.links.has(name);
  }

  /** The joint whose child is `link` (undefined for the root). */
  parentJoint(link: string): Joint | undefined {
    return this.parentJointOf.get(link);
  }

  /** Whether `link` is `ancestor` or lies below it in the tree. */
  isBelow(link: string, ancestor: string): boolean {
    for (let l: string | undefined = link, guard = 0; l !== undefined && guard <= this.model.joints.length; guard++) {
      if (l === ancestor) return true;
      l = this.parentJointOf.get(l)?.parent;
    }
    return false;
  }

  /** Whether only fixed (or floating) joints lie between `link` and the URDF root: it moves with the base. */
  weldedToRoot(link: string): boolean {
    for (let j = this.parentJointOf.get(link), guard = 0; j !== undefined; j = this.parentJointOf.get(j.parent), guard++) {
      if ((j.type !== 'fixed' && j.type !== 'floating') || guard > this.model.joints.length) return false;
    }
    return this.links.has(link);
  }

  /**
   * The links whose collision shapes stand for `link`'s contact: `link` and the links welded
   * below it by fixed joints, except the links in `separate` (feet, counted on their own) and
   * what is welded below them. File order, `link` first.
   */
  contactLinks(link: string, separate: ReadonlySet<string> = new Set()): string[] {
    const out: string[] = [];
    const stack = [link];
    for (let l = stack.pop(); l !== undefined; l = stack.pop()) {
      out.push(l);
      const below = (this.childJoints.get(l) ?? []).filter((j) => j.type === 'fixed' && !separate.has(j.child));
      for (let k = below.length - 1; k >= 0; k--) stack.push((below[k] as Joint).child);
    }
    return out;
  }

  /** Whether any of `links` has a collision shape. */
  hasShapes(links: readonly string[]): boolean {
    return this.model.links.some((l) => l.collisions.length > 0 && links.includes(l.name));
  }
}
