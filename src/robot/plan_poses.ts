/**
 * Where a robot's links are for given joint positions, from its build plan alone (no physics
 * engine): the pose of the frame of each body's owning URDF link, relative to the env origin, in
 * the body order and frames a recording's pose stream uses (`docs/recording.md`). The on-robot
 * agent draws a real robot's telemetry this way from the joint positions it observes.
 */
import { poseMul, qFromAxisAngle, vAdd, vScale, type RigidPose } from './math.ts';
import type { RobotPlan } from './robot_plan.ts';

const IDENTITY: RigidPose = { p: [0, 0, 0], q: [0, 0, 0, 1] };

/**
 * Writes 7 numbers per body into `out` (position xyz, quaternion xyzw): forward kinematics from
 * the root at `root` (default: the plan's initial root pose) with `q[b]` the position of the
 * joint that moves body `b` (rad or m; the root's entry is unused).
 */
export function linkFramePoses(plan: RobotPlan, q: ArrayLike<number>, out: Float64Array, root: RigidPose = plan.rootPose): void {
  const bodies: RigidPose[] = [];
  plan.bodies.forEach((b, i) => {
    let pose = root;
    const j = b.joint, parent = bodies[b.parent];
    if (i > 0 && j !== null && parent !== undefined) {
      const x = q[i] ?? 0;
      const local: RigidPose = j.type === 'prismatic' ? { p: vAdd(j.anchor1, vScale(j.axis, x)), q: [0, 0, 0, 1] } : { p: j.anchor1, q: qFromAxisAngle(j.axis, x) };
      pose = poseMul(parent, local);
    }
    bodies.push(pose);
    const named = poseMul(pose, plan.linkFrames.get(b.name)?.pose ?? IDENTITY);
    out.set(named.p, 7 * i);
    out.set(named.q, 7 * i + 3);
  });
}
