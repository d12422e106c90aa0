/**
 * Ground contact of a legged robot by the links its contract names (`locomotion`): each foot,
 * the penalized links (thighs, shanks: the collision term) and the terminating ones (the base).
 * A link stands for its own collision shapes and those of the links welded below it by fixed
 * joints, feet apart: a foot is welded into its calf's body, so a body contact cannot tell the
 * foot from the calf shaft, but `SimRobot.linkInContact` answers for one link's own shapes and
 * can. Also the feet's height above the ground, for resets.
 */
import type { SimRobot } from '../../src/task/sim_robot.ts';
import type { Geometry, Vec3 } from '../../src/robot/robot_model.ts';
import type { LocomotionSpec } from '../../src/robot/robot_spec.ts';
import { LinkTree } from '../../src/robot/link_tree.ts';
import { offsetInOwner, requireLink } from '../common.ts';

/** Contact and foot height queries for one robot's legs, allocation-free per step. */
export class LegContacts {
  /** Per foot, per penalized and per terminating link: the `linkContactIndex` of the shapes standing for it. */
  private readonly feet: Int32Array[];
  private readonly penalized: Int32Array[];
  private readonly terminating: Int32Array[];
  /** Per foot collision shape: the body that carries it, its centre in that body's owner frame, a sphere bounding it. */
  private readonly shapeBody: Int32Array;
  private readonly shapeCentre: Vec3[];
  private readonly shapeRadiusM: Float64Array;
  private readonly pose = new Float64Array(7);

  constructor(private readonly robot: SimRobot, task: string, loco: LocomotionSpec) {
    const tree = new LinkTree(robot.model);
    const feet = new Set(loco.legs.map((l) => l.foot));
    const group = (link: string): Int32Array => {
      const indices = tree.contactLinks(link, feet).map((l) => robot.linkContactIndex(l)).filter((i) => i >= 0);
      if (indices.length === 0) throw new Error(`task ${task}: robot ${robot.spec.name} has no collision shapes on link "${link}" (nor on links welded to it)`);
      return Int32Array.from(indices);
    };
    this.feet = loco.legs.map((l) => group(l.foot));
    this.penalized = loco.penalized_contacts.map(group);
    this.terminating = loco.terminating_contacts.map(group);
    const shapes = loco.legs.flatMap((leg) => tree.contactLinks(leg.foot, feet).flatMap((link) =>
      (robot.model.links.find((k) => k.name === link)?.collisions ?? []).map((c) => ({
        body: requireLink(robot, task, link), centre: offsetInOwner(robot, task, link, c.origin.xyz), radiusM: boundingRadius(c.geometry),
      }))));
    this.shapeBody = Int32Array.from(shapes, (s) => s.body);
    this.shapeCentre = shapes.map((s) => s.centre);
    this.shapeRadiusM = Float64Array.from(shapes, (s) => s.radiusM);
  }

  /** Number of feet (legs). */
  get numFeet(): number {
    return this.feet.length;
  }

  /** Whether foot `f` (leg order) touches anything now. */
  footInContact(f: number): boolean {
    return this.any(this.feet[f] as Int32Array);
  }

  /** How many penalized links touch anything now. */
  penalizedInContact(): number {
    let n = 0;
    for (let i = 0; i < this.penalized.length; i++) if (this.any(this.penalized[i] as Int32Array)) n++;
    return n;
  }

  /** Whether any terminating link touches anything now. */
  terminatingInContact(): boolean {
    for (let i = 0; i < this.terminating.length; i++) if (this.any(this.terminating[i] as Int32Array)) return true;
    return false;
  }

  /** Height (m) of the lowest point of any foot above the ground plane z = 0 (exact for spheres, conservative for other shapes). */
  lowestFootClearance(): number {
    const b = this.pose;
    let lowest = Infinity;
    for (let s = 0; s < this.shapeBody.length; s++) {
      this.robot.readLinkPose(this.shapeBody[s] as number, b);
      const c = this.shapeCentre[s] as Vec3;
      const x = b[3] as number, y = b[4] as number, z = b[5] as number, w = b[6] as number;
      // world z of the shape's centre: pose z + (R · c)_z
      const cz = (b[2] as number) + 2 * (x * z - w * y) * c[0] + 2 * (y * z + w * x) * c[1] + (1 - 2 * (x * x + y * y)) * c[2];
      const low = cz - (this.shapeRadiusM[s] as number);
      if (low < lowest) lowest = low;
    }
    // link poses are relative to the env origin; the ground's top is at world z = 0
    return lowest + this.robot.origin[2];
  }

  private any(indices: Int32Array): boolean {
    for (let i = 0; i < indices.length; i++) if (this.robot.linkInContact(indices[i] as number)) return true;
    return false;
  }
}

/** Radius of a sphere about the shape's origin that holds the whole shape. */
function boundingRadius(g: Geometry): number {
  switch (g.kind) {
    case 'sphere': return g.radius;
    case 'box': return 0.5 * Math.hypot(g.size[0], g.size[1], g.size[2]);
    case 'cylinder': return Math.hypot(g.radius, 0.5 * g.length);
    case 'capsule': return g.radius + 0.5 * g.length;
    case 'convex': {
      let r = 0;
      for (let i = 0; i + 2 < g.vertices.length; i += 3) r = Math.max(r, Math.hypot(g.vertices[i] as number, g.vertices[i + 1] as number, g.vertices[i + 2] as number));
      return r;
    }
  }
}
