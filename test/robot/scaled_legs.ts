/**
 * Perturbed robots for the contract generator's tests: a parsed URDF with every leg's thigh and
 * shank scaled (joint origins, collision origins and shape sizes), and its mass scaled. Legs are
 * the chains from the root to a leaf below their third movable joint; the thigh is what lies
 * between the second and third movable joints, the shank what lies below the third.
 */
import type { Geometry, Joint, RobotModel } from '../../src/robot/robot_model.ts';

const MOVABLE = new Set(['revolute', 'continuous', 'prismatic']);

/** A copy of `model` with thighs scaled by `thigh`, shanks by `shank` and every mass and inertia by `mass`. */
export function scaleLegs(model: RobotModel, thigh: number, shank: number, mass = 1): RobotModel {
  const m = structuredClone(model);
  const parentJoint = new Map<string, Joint>(m.joints.map((j) => [j.child, j]));
  const children = new Set(m.joints.map((j) => j.parent));
  const factor = new Map<string, number>(); // link → the factor of the segment it belongs to
  for (const leaf of m.links.filter((l) => !children.has(l.name))) {
    const chain: Joint[] = [];
    for (let j = parentJoint.get(leaf.name); j !== undefined; j = parentJoint.get(j.parent)) chain.unshift(j);
    const movable = chain.map((j, i) => (MOVABLE.has(j.type) ? i : -1)).filter((i) => i >= 0);
    if (movable.length < 3) continue;
    chain.forEach((j, i) => {
      const f = i > (movable[2] as number) ? shank : i > (movable[1] as number) ? thigh : 1;
      if (f === 1 || factor.has(j.child)) return;
      j.origin.xyz = [j.origin.xyz[0] * f, j.origin.xyz[1] * f, j.origin.xyz[2] * f];
      factor.set(j.child, f);
    });
    // the link the third movable joint moves carries the shank's shapes; the second's the thigh's
    factor.set(chain[movable[2] as number]?.child as string, shank);
    factor.set(chain[movable[1] as number]?.child as string, thigh);
  }
  for (const l of m.links) {
    const f = factor.get(l.name) ?? 1;
    for (const c of l.collisions) {
      c.origin.xyz = [c.origin.xyz[0] * f, c.origin.xyz[1] * f, c.origin.xyz[2] * f];
      c.geometry = scaleGeometry(c.geometry, f);
    }
    if (l.inertial) {
      const i = l.inertial;
      i.massKg *= mass;
      for (const k of ['ixx', 'ixy', 'ixz', 'iyy', 'iyz', 'izz'] as const) i[k] *= mass;
    }
  }
  return m;
}

/** Scales a shape's length along its long axis (boxes: all sizes) by `f`; spheres keep their radius. */
function scaleGeometry(g: Geometry, f: number): Geometry {
  switch (g.kind) {
    case 'box': return { kind: 'box', size: [g.size[0] * f, g.size[1] * f, g.size[2] * f] };
    case 'cylinder': return { ...g, length: g.length * f };
    case 'capsule': return { ...g, length: g.length * f };
    default: return g;
  }
}
