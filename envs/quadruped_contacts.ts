/**
 * Ground contact of one URDF link on flat ground, for links that share a rigid body with
 * others. The builder welds fixed-joint children into their parent's body (a foot into its
 * calf), and `SimRobot.inContact` answers per body, so "the foot touches" and "the calf shaft
 * touches" look the same. On flat ground at z = 0 the two are told apart by geometry: a link
 * of a touching body is in contact when the lowest point of its own collision shapes is within
 * a small tolerance of the ground. Links that own their body alone need no geometry.
 */
import type { SimRobot } from '../src/sim/sim_robot.ts';
import type { Geometry, RobotModel } from '../src/sim/robot_model.ts';
import { poseIdentity, poseMul, type RigidPose } from '../src/sim/math.ts';
import { requireLink } from './common.ts';

/** A collision shape reduced to what its lowest point on flat ground needs. */
interface ProbeShape {
  /** Pose of the shape in its body's frame. */
  pose: RigidPose;
  geometry: Geometry;
}

/** Ground contact of one named link, reusable every step without allocation. */
export class LinkContact {
  /** Body that carries the link. */
  readonly bodyIndex: number;
  /** True when the link shares its body with other links that have collision shapes. */
  readonly shared: boolean;
  private readonly shapes: ProbeShape[];
  private readonly pose = new Float64Array(7);
  private readonly groundZ: number;

  /**
   * @param toleranceM how far above the ground (m) the link's lowest point may be and still
   *   count as touching, when its body is in contact.
   */
  constructor(private readonly robot: SimRobot, task: string, link: string, private readonly toleranceM: number) {
    this.bodyIndex = requireLink(robot, task, link);
    const body = robot.links[this.bodyIndex];
    if (!body) throw new Error(`task ${task}: no body for link "${link}"`);
    const inBody = linkPoseInBody(robot.model, body.name, link);
    const own = robot.model.links.find((l) => l.name === link);
    this.shapes = (own?.collisions ?? []).map((c) => ({
      pose: poseMul(inBody, { p: c.origin.xyz, q: c.origin.quat }),
      geometry: c.geometry,
    }));
    const othersCollide = body.mergedLinks.some((n) => n !== link && (robot.model.links.find((l) => l.name === n)?.collisions.length ?? 0) > 0);
    this.shared = othersCollide;
    // ground top at world z = 0; link poses are relative to the env origin
    this.groundZ = -robot.origin[2];
  }

  /** Whether the link touches the ground now. */
  inContact(): boolean {
    return this.touches(this.robot.inContact(this.bodyIndex));
  }

  /**
   * Whether the link touches the ground, given whether its body does (`robot.inContact` of
   * `bodyIndex`): lets links sharing a body query the contact once.
   */
  touches(bodyInContact: boolean): boolean {
    if (!bodyInContact) return false;
    return !this.shared || this.clearance() < this.toleranceM;
  }

  /** Height (m) of the link's lowest collision point above the ground; +Infinity without shapes. */
  clearance(): number {
    const b = this.pose;
    this.robot.readLinkPose(this.bodyIndex, b);
    const bx = b[3] as number, by = b[4] as number, bz = b[5] as number, bw = b[6] as number;
    let lowest = Infinity;
    for (const s of this.shapes) {
      const sp = s.pose.p, sq = s.pose.q;
      // shape centre height: body z + (R_body · p)_z
      const cz = (b[2] as number) + 2 * (bx * bz - bw * by) * sp[0] + 2 * (by * bz + bw * bx) * sp[1] + (1 - 2 * (bx * bx + by * by)) * sp[2];
      // world orientation of the shape q = q_body ⊗ q_shape; only its rotation matrix's last row is needed
      const qx = bw * sq[0] + bx * sq[3] + by * sq[2] - bz * sq[1];
      const qy = bw * sq[1] - bx * sq[2] + by * sq[3] + bz * sq[0];
      const qz = bw * sq[2] + bx * sq[1] - by * sq[0] + bz * sq[3];
      const qw = bw * sq[3] - bx * sq[0] - by * sq[1] - bz * sq[2];
      const r20 = 2 * (qx * qz - qw * qy), r21 = 2 * (qy * qz + qw * qx), r22 = 1 - 2 * (qx * qx + qy * qy);
      const low = cz - extentDown(s.geometry, r20, r21, r22);
      if (low < lowest) lowest = low;
    }
    return lowest - this.groundZ;
  }
}

/** How far below its centre a shape reaches, given the last row of its world rotation. */
function extentDown(g: Geometry, r20: number, r21: number, r22: number): number {
  switch (g.kind) {
    case 'sphere':
      return g.radius;
    case 'box':
      return 0.5 * (Math.abs(r20) * g.size[0] + Math.abs(r21) * g.size[1] + Math.abs(r22) * g.size[2]);
    case 'capsule':
      return 0.5 * g.length * Math.abs(r22) + g.radius;
    case 'cylinder':
      return 0.5 * g.length * Math.abs(r22) + g.radius * Math.sqrt(Math.max(0, 1 - r22 * r22));
    case 'convex': {
      let down = -Infinity;
      const v = g.vertices;
      for (let i = 0; i + 2 < v.length; i += 3) {
        const d = -(r20 * (v[i] as number) + r21 * (v[i + 1] as number) + r22 * (v[i + 2] as number));
        if (d > down) down = d;
      }
      return down;
    }
  }
}

/**
 * Pose of URDF link `link` in the frame of the body owned by `owner`. Body frames sit at the
 * owning link's origin with the root's orientation at the reference configuration (all
 * joints at 0; see `src/sim/build_plan.ts`), so both links are placed in the root frame at
 * q = 0 and subtracted.
 */
function linkPoseInBody(model: RobotModel, owner: string, link: string): RigidPose {
  const own = referencePose(model, owner);
  const child = referencePose(model, link);
  return { p: [child.p[0] - own.p[0], child.p[1] - own.p[1], child.p[2] - own.p[2]], q: child.q };
}

/** Pose of `link` in the root link's frame with every joint at 0. */
function referencePose(model: RobotModel, link: string): RigidPose {
  let pose = poseIdentity();
  let cur = link;
  for (let guard = 0; cur !== model.rootLink; guard++) {
    const j = model.joints.find((jt) => jt.child === cur);
    if (!j || guard > model.joints.length) throw new Error(`link "${link}" is not connected to the root "${model.rootLink}"`);
    pose = poseMul({ p: j.origin.xyz, q: j.origin.quat }, pose);
    cur = j.parent;
  }
  return pose;
}
