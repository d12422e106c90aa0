/**
 * Forward kinematics of a robot plan with the base held level at the origin: where every body,
 * URDF link and foot sole is for given joint positions. The contract generator measures legs,
 * places feet and solves its standing pose with it; it runs the same `forwardKinematics` the
 * simulator's resets use, so the pose it finds is the pose the robot is built in.
 */
import type { RobotPlan } from '../robot_plan.ts';
import type { Vec3 } from '../robot_model.ts';
import { BODY_STRIDE, forwardKinematics, J_NONE, J_PRISMATIC, J_REVOLUTE, type TreeArrays } from '../kinematics.ts';
import { poseMul, qRotate, vAdd, type RigidPose } from '../math.ts';
import { lowestPointZ } from './sole.ts';

/** Forward kinematics over a plan's bodies; joint positions are indexed by the body each joint moves. */
export class PlanKinematics {
  /** Joint position per body (index 0, the base, unused): set entries, then call `update`. */
  readonly q: Float64Array;
  private readonly tree: TreeArrays;
  private readonly qd: Float64Array;
  private readonly st: Float64Array;

  constructor(readonly plan: RobotPlan) {
    const b = plan.bodies;
    this.tree = {
      parent: Int32Array.from(b, (x) => x.parent),
      type: Uint8Array.from(b, (x) => (x.joint === null ? J_NONE : x.joint.type === 'prismatic' ? J_PRISMATIC : J_REVOLUTE)),
      anchor: Float64Array.from(b.flatMap((x) => x.joint?.anchor1 ?? [0, 0, 0])),
      axis: Float64Array.from(b.flatMap((x) => x.joint?.axis ?? [0, 0, 0])),
      com: Float64Array.from(b.flatMap((x) => x.mass.com)),
    };
    this.q = new Float64Array(b.length);
    this.qd = new Float64Array(b.length);
    this.st = new Float64Array(b.length * BODY_STRIDE);
    this.update();
  }

  /** Recomputes every body's pose from `q`, with the base's origin at 0 and its axes the world's. */
  update(): void {
    forwardKinematics(this.tree, { p: [0, 0, 0], q: [0, 0, 0, 1], v: [0, 0, 0], w: [0, 0, 0] }, this.q, this.qd, this.st);
  }

  /** Pose of body `b` (base frame). */
  bodyPose(b: number): RigidPose {
    const o = b * BODY_STRIDE;
    const s = this.st;
    return { p: [s[o] as number, s[o + 1] as number, s[o + 2] as number], q: [s[o + 3] as number, s[o + 4] as number, s[o + 5] as number, s[o + 6] as number] };
  }

  /** Pose of URDF link `name`'s frame (base frame); throws for a link the plan does not hold. */
  linkPose(name: string): RigidPose {
    const f = this.plan.linkFrames.get(name);
    if (f === undefined) throw new Error(`link "${name}" is not part of the built robot`);
    return poseMul(this.bodyPose(f.body), f.pose);
  }

  /**
   * The sole of link `name`: x, y of its collision shapes' centres (averaged) and z of their
   * lowest point; a link without shapes gives its frame's origin.
   */
  sole(name: string): Vec3 {
    const f = this.plan.linkFrames.get(name);
    if (f === undefined) throw new Error(`link "${name}" is not part of the built robot`);
    const body = this.bodyPose(f.body);
    const shapes = (this.plan.bodies[f.body]?.colliders ?? []).filter((c) => c.link === name);
    if (shapes.length === 0) return this.linkPose(name).p;
    let x = 0, y = 0, z = Infinity;
    for (const c of shapes) {
      const pose = poseMul(body, c.pose);
      x += pose.p[0];
      y += pose.p[1];
      z = Math.min(z, lowestPointZ(c.collision.geometry, pose));
    }
    return [x / shapes.length, y / shapes.length, z];
  }

  /** Where body `b`'s joint sits (its origin), base frame. */
  jointOrigin(b: number): Vec3 {
    return this.bodyPose(b).p;
  }

  /** Body `b`'s joint axis in the base frame, for the current pose. */
  jointAxis(b: number): Vec3 {
    const parent = this.plan.bodies[b]?.parent ?? -1;
    const axis = this.plan.bodies[b]?.joint?.axis ?? [0, 0, 0];
    return parent < 0 ? axis : qRotate(this.bodyPose(parent).q, axis);
  }

  /** A point given in body `b`'s frame, in the base frame. */
  pointOf(b: number, local: Readonly<Vec3>): Vec3 {
    const pose = this.bodyPose(b);
    return vAdd(pose.p, qRotate(pose.q, local));
  }
}
