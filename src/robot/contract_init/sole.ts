/**
 * How low a collision shape reaches: the z of its lowest point for a given pose (the support
 * point in −z). A foot's sole is where it meets the ground, so a standing pose is solved for it
 * rather than for the foot link's frame.
 */
import type { Geometry } from '../robot_model.ts';
import { qRotate, type RigidPose } from '../math.ts';

/** z of the lowest point of shape `g` placed at `pose` (URDF shape frame: cylinders and capsules along local z). */
export function lowestPointZ(g: Geometry, pose: RigidPose): number {
  const z = pose.p[2];
  switch (g.kind) {
    case 'sphere':
      return z - g.radius;
    case 'box': {
      // each local axis contributes |its world z| times its half extent
      const ex = qRotate(pose.q, [1, 0, 0])[2], ey = qRotate(pose.q, [0, 1, 0])[2], ez = qRotate(pose.q, [0, 0, 1])[2];
      return z - (Math.abs(ex) * g.size[0] + Math.abs(ey) * g.size[1] + Math.abs(ez) * g.size[2]) / 2;
    }
    case 'cylinder': {
      const az = qRotate(pose.q, [0, 0, 1])[2];
      return z - (Math.abs(az) * g.length / 2 + g.radius * Math.sqrt(Math.max(0, 1 - az * az)));
    }
    case 'capsule': {
      const az = qRotate(pose.q, [0, 0, 1])[2];
      return z - (Math.abs(az) * g.length / 2 + g.radius);
    }
    case 'convex': {
      let low = Infinity;
      const v = g.vertices;
      for (let i = 0; i + 2 < v.length; i += 3) low = Math.min(low, qRotate(pose.q, [v[i] as number, v[i + 1] as number, v[i + 2] as number])[2]);
      return z + low;
    }
  }
}
