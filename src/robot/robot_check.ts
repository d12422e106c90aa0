/**
 * The robot contract checked against its URDF: every joint it drives is a movable joint of the
 * URDF with its default position inside the joint's limits, and the names of the `locomotion`
 * section are links of the URDF where a legged task expects them — the base on the root, each
 * leg's joints one below the other and its foot below them, every contact link with collision
 * shapes to touch the ground with. Errors name the field at fault, as the JSON checks do.
 */
import type { RobotModel } from './robot_model.ts';
import type { RobotSpec } from './robot_spec.ts';
import type { FieldError, LocomotionSpec } from './locomotion_spec.ts';
import { LinkTree } from './link_tree.ts';

const MOVABLE = ['revolute', 'continuous', 'prismatic'];

/** Throws naming the field when `spec` does not fit `model` (see the file comment). */
export function checkRobotAgainstUrdf(spec: RobotSpec, model: RobotModel, err: FieldError): void {
  spec.joints.forEach((js, i) => {
    const j = model.joints.find((x) => x.name === js.name);
    if (j === undefined) throw err(`joints[${i}].name`, `"${js.name}" is not a joint of the URDF`);
    if (!MOVABLE.includes(j.type)) throw err(`joints[${i}].name`, `"${js.name}" is a ${j.type} joint (only revolute, continuous and prismatic joints can be driven)`);
    const lim = j.limit;
    if (j.type !== 'continuous' && lim !== undefined && (js.default_pos < lim.lower || js.default_pos > lim.upper)) {
      throw err(`joints[${i}].default_pos`, `${js.default_pos} is outside the URDF limits [${lim.lower}, ${lim.upper}] of joint ${js.name}`);
    }
  });
  if (spec.locomotion) checkLocomotion(spec.locomotion, new LinkTree(model), err);
}

/** The locomotion section's links and chains against the URDF tree. */
function checkLocomotion(loco: LocomotionSpec, tree: LinkTree, err: FieldError): void {
  const link = (name: string, field: string) => {
    if (!tree.hasLink(name)) throw err(field, `"${name}" is not a link of the URDF`);
  };
  link(loco.base_link, 'locomotion.base_link');
  if (!tree.weldedToRoot(loco.base_link)) throw err('locomotion.base_link', `"${loco.base_link}" is not the URDF root link "${tree.model.rootLink}" or welded to it by fixed joints`);
  const feet = new Set(loco.legs.map((l) => l.foot));
  loco.legs.forEach((leg, i) => {
    const f = `locomotion.legs[${i}]`;
    let above: string | null = null;
    leg.joints.forEach((name, k) => {
      const joint = tree.model.joints.find((j) => j.name === name);
      if (joint === undefined) return;
      if (above !== null && !tree.isBelow(joint.parent, above)) throw err(`${f}.joints[${k}]`, `"${name}" is not below ${leg.joints[k - 1]} in the URDF tree (a leg's joints go from the base to the foot)`);
      above = joint.child;
    });
    link(leg.foot, `${f}.foot`);
    const last = leg.joints.at(-1) as string;
    if (above === null || !tree.isBelow(leg.foot, above)) throw err(`${f}.foot`, `"${leg.foot}" is not below the leg's last joint ${last} in the URDF tree`);
    if (!tree.hasShapes(tree.contactLinks(leg.foot, feet))) throw err(`${f}.foot`, `link "${leg.foot}" has no collision shapes (nor has any link welded to it): its ground contact cannot be seen`);
  });
  for (const key of ['penalized_contacts', 'terminating_contacts'] as const) {
    loco[key].forEach((name, i) => {
      const field = `locomotion.${key}[${i}]`;
      link(name, field);
      if (feet.has(name)) throw err(field, `"${name}" is a foot`);
      if (!tree.hasShapes(tree.contactLinks(name, feet))) throw err(field, `link "${name}" has no collision shapes (nor has any link welded to it): its ground contact cannot be seen`);
    });
  }
}
