/**
 * URDF `<joint>`: type, parent and child links, origin, axis, limits and dynamics, with the
 * spec's defaults. Elements we read but do not simulate (mimic, safety controller, calibration)
 * become warnings.
 */
import type { Joint, JointLimit, JointType, Vec3 } from '../robot_model.ts';
import { readOrigin } from './pose.ts';
import { listNames, warnUnknown, type UrdfContext } from './warnings.ts';
import { fail, number, numbers, optionalChild, reqString, showAttr, type XmlElement, type XmlPlace } from './xml.ts';

/** The joint types the loader accepts. */
const JOINT_TYPES: readonly JointType[] = ['revolute', 'continuous', 'prismatic', 'fixed', 'floating'];

const IGNORED = ['mimic', 'safety_controller', 'calibration'];
const KNOWN = ['parent', 'child', 'origin', 'axis', 'limit', 'dynamics', ...IGNORED];

/** A joint plus the elements that later tree checks point at. */
export interface ReadJoint {
  joint: Joint;
  el: XmlElement;
  parentEl: XmlElement;
  childEl: XmlElement;
}

/**
 * Reads one `<joint>` whose name was already checked. Parent and child must name links in
 * `links`: that is checked first, so a dangling link reference is the error a user sees.
 */
export function readJoint(ctx: UrdfContext, el: XmlElement, name: string, links: ReadonlySet<string>): ReadJoint {
  const place: XmlPlace = { source: ctx.source, element: `joint "${name}"` };
  const type = readType(place, el);
  const ref = (tag: 'parent' | 'child'): [string, XmlElement] => {
    const refEl = optionalChild(place, el, tag);
    if (refEl === undefined) throw fail(place, el, `<joint> needs a <${tag} link="…"> element`);
    const link = reqString(place, refEl, 'link');
    if (!links.has(link)) throw fail(place, refEl, `${showAttr(refEl, 'link')} names a link that does not exist`, 'link');
    return [link, refEl];
  };
  const [parent, parentEl] = ref('parent');
  const [child, childEl] = ref('child');
  if (parent === child) throw fail(place, childEl, `<parent> and <child> are the same link "${child}"`, 'link');
  const origin = readOrigin(place, optionalChild(place, el, 'origin'));
  const moves = type === 'revolute' || type === 'continuous' || type === 'prismatic';
  const axis: Vec3 = moves ? readAxis(place, optionalChild(place, el, 'axis')) : [1, 0, 0];
  const limit = moves ? readLimit(ctx, place, el, name, type) : undefined;
  const dynamicsEl = optionalChild(place, el, 'dynamics');
  const dynamics = { damping: 0, friction: 0 };
  if (dynamicsEl !== undefined) {
    for (const attr of ['damping', 'friction'] as const) {
      dynamics[attr] = number(place, dynamicsEl, attr, 0);
      if (dynamics[attr] < 0) throw fail(place, dynamicsEl, `${showAttr(dynamicsEl, attr)} must be ≥ 0`, attr);
    }
  }
  for (const c of el.children) {
    if (IGNORED.includes(c.tag)) {
      ctx.warnings.group(`joint:${c.tag}`, `"${name}"`, (names) =>
        names.length === 1
          ? `joint ${names[0]}: <${c.tag}> ignored (not simulated)`
          : `<${c.tag}> ignored on ${names.length} joints (not simulated): ${listNames(names)}`,
      );
    } else if (!KNOWN.includes(c.tag)) {
      warnUnknown(ctx, place.element, 'joint', c);
    }
  }
  const joint: Joint = { name, type, parent, child, origin, axis, dynamics };
  if (limit !== undefined) joint.limit = limit;
  return { joint, el, parentEl, childEl };
}

function readType(place: XmlPlace, el: XmlElement): JointType {
  const type = reqString(place, el, 'type');
  if (type === 'planar') {
    throw fail(place, el, 'type="planar" is not supported; chain two prismatic joints through a massless link instead', 'type');
  }
  const known = JOINT_TYPES.find((t) => t === type);
  if (known === undefined) throw fail(place, el, `type="${type}" is not a joint type (${JOINT_TYPES.join(', ')})`, 'type');
  return known;
}

/** `<axis xyz>`, default 1 0 0, normalized; a zero vector is an error. */
function readAxis(place: XmlPlace, el: XmlElement | undefined): Vec3 {
  if (el === undefined) return [1, 0, 0];
  const [x, y, z] = numbers(place, el, 'xyz', 3, [1, 0, 0]) as Vec3;
  const n = Math.hypot(x, y, z);
  if (n === 0) throw fail(place, el, `${showAttr(el, 'xyz')} is a zero vector; an axis needs a direction`, 'xyz');
  return [x / n, y / n, z / n];
}

/**
 * `<limit>`: required for revolute and prismatic (effort and velocity required; lower/upper
 * default 0, except that a limit with neither means an unlimited position, with a warning);
 * optional for continuous, whose position is unlimited and whose effort and velocity default
 * to Infinity.
 */
function readLimit(ctx: UrdfContext, place: XmlPlace, joint: XmlElement, jointName: string, type: JointType): JointLimit {
  const el = optionalChild(place, joint, 'limit');
  const nonNegative = (attr: string, fallback?: number): number => {
    const v = number(place, el as XmlElement, attr, fallback);
    if (v < 0) throw fail(place, el as XmlElement, `${showAttr(el as XmlElement, attr)} must be ≥ 0`, attr);
    return v;
  };
  if (type === 'continuous') {
    if (el === undefined) return { lower: -Infinity, upper: Infinity, effort: Infinity, velocity: Infinity };
    if (el.attrs.lower !== undefined || el.attrs.upper !== undefined) {
      ctx.warnings.add(`${place.element}: <limit> lower/upper ignored (a continuous joint has no position limits)`);
    }
    return { lower: -Infinity, upper: Infinity, effort: nonNegative('effort', Infinity), velocity: nonNegative('velocity', Infinity) };
  }
  if (el === undefined) {
    throw fail(place, joint, `type="${type}" needs a <limit lower="…" upper="…" effort="…" velocity="…"> element`);
  }
  const effort = nonNegative('effort');
  const velocity = nonNegative('velocity');
  if (el.attrs.lower === undefined && el.attrs.upper === undefined) {
    // The spec's default 0..0 would lock the joint; files that omit both (ANYmal C) mean "free".
    ctx.warnings.group('joint:no-position-limits', `"${jointName}"`, (names) =>
      `<limit> without lower/upper on ${names.length === 1 ? 'joint' : `${names.length} joints`} ${listNames(names)}: ` +
      'position treated as unlimited (the URDF default 0..0 would lock the joint); add lower/upper to limit it',
    );
    return { lower: -Infinity, upper: Infinity, effort, velocity };
  }
  const lower = number(place, el, 'lower', 0);
  const upper = number(place, el, 'upper', 0);
  if (lower > upper) throw fail(place, el, `<limit lower="${el.attrs.lower}" upper="${el.attrs.upper}">: lower is above upper`, 'lower');
  if (lower === upper) ctx.warnings.add(`${place.element}: <limit> lower = upper = ${lower}: the joint cannot move`);
  return { lower, upper, effort, velocity };
}
