/**
 * Ground contact of the quadruped's legs by URDF link: each foot, and each thigh and calf (the
 * collision term). A foot is welded into its calf's body by a fixed joint, so a body contact
 * cannot tell the foot from the calf shaft; `SimRobot.linkInContact` answers for one link's
 * own collision shapes and can. Also the feet's height above the ground, for resets.
 */
import type { SimRobot } from '../../src/task/sim_robot.ts';
import type { Vec3 } from '../../src/robot/robot_model.ts';
import { offsetInOwner, requireLink } from '../common.ts';

/** Contact and foot height queries for a set of legs, allocation-free per step. */
export class LegContacts {
  /** `linkContactIndex` of each leg's foot, in leg order. */
  private readonly feet: Int32Array;
  /** `linkContactIndex` of each leg's thigh and calf. */
  private readonly shins: Int32Array;
  /** Per foot: the body that carries it, and its sphere's centre in that body's owner frame. */
  private readonly footBody: Int32Array;
  private readonly footCentre: Vec3[];
  private readonly footRadiusM: Float64Array;
  private readonly pose = new Float64Array(7);

  /** Links are `<leg>_foot`, `<leg>_thigh`, `<leg>_calf`; each foot has one sphere collision shape. */
  constructor(private readonly robot: SimRobot, task: string, legs: readonly string[]) {
    const contactIndex = (link: string): number => {
      const l = robot.linkContactIndex(link);
      if (l < 0) throw new Error(`task ${task}: robot ${robot.spec.name} has no collision shapes on link "${link}"`);
      return l;
    };
    this.feet = Int32Array.from(legs, (l) => contactIndex(`${l}_foot`));
    this.shins = Int32Array.from(legs.flatMap((l) => [contactIndex(`${l}_thigh`), contactIndex(`${l}_calf`)]));
    this.footBody = Int32Array.from(legs, (l) => requireLink(robot, task, `${l}_foot`));
    const spheres = legs.map((l) => {
      const shapes = robot.model.links.find((k) => k.name === `${l}_foot`)?.collisions ?? [];
      const s = shapes[0];
      if (shapes.length !== 1 || s?.geometry.kind !== 'sphere') throw new Error(`task ${task}: link "${l}_foot" needs exactly one sphere collision shape`);
      return { centre: offsetInOwner(robot, task, `${l}_foot`, s.origin.xyz), radiusM: s.geometry.radius };
    });
    this.footCentre = spheres.map((s) => s.centre);
    this.footRadiusM = Float64Array.from(spheres, (s) => s.radiusM);
  }

  /** Whether foot `f` (leg order) touches anything now. */
  footInContact(f: number): boolean {
    return this.robot.linkInContact(this.feet[f] as number);
  }

  /** How many thighs and calves touch anything now. */
  shinsInContact(): number {
    let n = 0;
    for (let i = 0; i < this.shins.length; i++) if (this.robot.linkInContact(this.shins[i] as number)) n++;
    return n;
  }

  /** Height (m) of the lowest point of any foot above the ground plane z = 0. */
  lowestFootClearance(): number {
    const b = this.pose;
    let lowest = Infinity;
    for (let f = 0; f < this.footBody.length; f++) {
      this.robot.readLinkPose(this.footBody[f] as number, b);
      const c = this.footCentre[f] as Vec3;
      const x = b[3] as number, y = b[4] as number, z = b[5] as number, w = b[6] as number;
      // world z of the sphere centre: pose z + (R · c)_z
      const cz = (b[2] as number) + 2 * (x * z - w * y) * c[0] + 2 * (y * z + w * x) * c[1] + (1 - 2 * (x * x + y * y)) * c[2];
      const low = cz - (this.footRadiusM[f] as number);
      if (low < lowest) lowest = low;
    }
    // link poses are relative to the env origin; the ground's top is at world z = 0
    return lowest + this.robot.origin[2];
  }
}
