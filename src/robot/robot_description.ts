/**
 * What a viewer needs to draw a robot: its bodies (after merging fixed joints), each body's
 * collision shapes placed in the frame whose pose the stream carries (the frame of the URDF link
 * that owns the body), and each body's joint axis. Plain data, so it travels as JSON to the page
 * and inside recordings. Engine-free: it is computed from the build plan's bodies and link
 * frames, which a simulated robot (`src/viewer/scene_description.ts`) and the on-robot agent's
 * telemetry both have.
 */
import type { Quat, RobotModel, Vec3 } from './robot_model.ts';
import type { LinkFrame } from './robot_plan.ts';
import { poseMul, qConj, qRotate, type RigidPose } from './math.ts';

/** One collision shape in its body's streamed frame. */
export interface ShapeDescription {
  kind: 'box' | 'sphere' | 'cylinder' | 'capsule' | 'convex';
  /** The URDF link the shape belongs to. */
  link: string;
  /** Box side lengths (m). */
  size?: Vec3;
  radius?: number;
  /** Cylinder length, or a capsule's cylindrical part (m); both along the shape's local z. */
  length?: number;
  /** Convex hull points, flat xyz (m). */
  vertices?: number[];
  pos: Vec3;
  quat: Quat;
}

/** One rigid body as the page draws it. */
export interface BodyDescription {
  /** The URDF link that owns the body; its frame is what the pose stream gives. */
  name: string;
  mergedLinks: string[];
  shapes: ShapeDescription[];
  /** The joint to the parent body, with its unit axis in the body's streamed frame (null for the root). */
  joint: { name: string; type: string; axis: Vec3 } | null;
  /**
   * The kinematic chain, for drawing it: the parent body's index, and where this body's joint
   * sits in the parent's streamed frame (fixed there for revolute joints). Absent for the root,
   * and in recordings made before it existed.
   */
  parent?: { body: number; at: Vec3 };
}

/** A robot as the page draws it; `bodies` has the pose stream's order. */
export interface RobotDescription {
  name: string;
  bodies: BodyDescription[];
}

/** The bodies of a planned or built robot, as `describeBodies` reads them (index 0 is the root). */
export interface DescribedBodies {
  /** Per body: the URDF link that owns it and the links merged into it. */
  links: readonly { name: string; mergedLinks: readonly string[] }[];
  /** Per body: the name of the joint to its parent ('' for the root). */
  movableJointNames: readonly string[];
  /** Every URDF link's frame: its body and its pose in that body's frame. */
  linkFrames: ReadonlyMap<string, LinkFrame>;
}

/** Describes the bodies, shapes and joint axes of `model` as built in `robot` (a simulated robot, or a plan's bodies). */
export function describeBodies(model: RobotModel, robot: DescribedBodies): RobotDescription {
  const links = new Map(model.links.map((l) => [l.name, l]));
  // per body: from its frame to the frame the pose stream gives (its owning URDF link's)
  const toStreamed = robot.links.map((link) => poseInverse(robot.linkFrames.get(link.name)?.pose ?? { p: [0, 0, 0], q: [0, 0, 0, 1] }));
  const bodies = robot.links.map((link, i): BodyDescription => {
    const toNamed = toStreamed[i] as RigidPose;
    const shapes: ShapeDescription[] = [];
    for (const linkName of link.mergedLinks) {
      const frame = robot.linkFrames.get(linkName);
      const urdfLink = links.get(linkName);
      if (!frame || !urdfLink) continue;
      for (const c of urdfLink.collisions) {
        const pose = poseMul(toNamed, poseMul(frame.pose, { p: c.origin.xyz, q: c.origin.quat }));
        shapes.push({ ...shapeOf(c.geometry), link: linkName, pos: pose.p, quat: pose.q });
      }
    }
    const jointName = robot.movableJointNames[i] ?? '';
    const j = jointName === '' ? undefined : model.joints.find((x) => x.name === jointName);
    const joint = j ? { name: j.name, type: j.type, axis: unit(j.axis) } : null;
    const parentFrame = j ? robot.linkFrames.get(j.parent) : undefined;
    const parent = j && parentFrame
      ? { body: parentFrame.body, at: poseMul(toStreamed[parentFrame.body] as RigidPose, poseMul(parentFrame.pose, { p: j.origin.xyz, q: [0, 0, 0, 1] })).p }
      : undefined;
    return { name: link.name, mergedLinks: [...link.mergedLinks], shapes, joint, ...(parent ? { parent } : {}) };
  });
  return { name: model.name, bodies };
}

function shapeOf(g: RobotModel['links'][number]['collisions'][number]['geometry']): Omit<ShapeDescription, 'link' | 'pos' | 'quat'> {
  switch (g.kind) {
    case 'box':
      return { kind: 'box', size: [...g.size] };
    case 'sphere':
      return { kind: 'sphere', radius: g.radius };
    case 'cylinder':
    case 'capsule':
      return { kind: g.kind, radius: g.radius, length: g.length };
    case 'convex':
      return { kind: 'convex', vertices: Array.from(g.vertices) };
  }
}

function poseInverse(a: RigidPose): RigidPose {
  const q = qConj(a.q);
  const p = qRotate(q, a.p);
  return { p: [-p[0], -p[1], -p[2]], q };
}

function unit(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}
