/**
 * The optional `locomotion` section of a robot contract: what a legged task needs to know of a
 * robot that its joint list does not say — which link is the base, which joints make each leg
 * and which link is its foot, which links may not touch the ground (penalized) or end an
 * episode when they do, and how high the base stands. Legged tasks read every robot-specific
 * name and number from here (docs/robots.md). This file checks the section's shape against the
 * contract's own joint list; `robot_check.ts` checks its names against the URDF.
 */

/** One leg: its actuated joints from the base outwards, and its foot link. */
export interface LegSpec {
  /** A short name, e.g. `FL` (observations and messages use it). */
  name: string;
  /** The leg's actuated joints, base to foot, in the contract's (action) order. */
  joints: string[];
  /** The URDF link that touches the ground (may be welded to the last segment by a fixed joint). */
  foot: string;
}

/** The `locomotion` section of `robots/<name>.json`. */
export interface LocomotionSpec {
  /** The base (trunk) link: the root of the URDF tree or a link welded to it. */
  base_link: string;
  /** The legs, in the contract's joint order. */
  legs: LegSpec[];
  /** Links whose ground contact is penalized (thighs, shanks). */
  penalized_contacts: string[];
  /** Links whose ground contact ends an episode (the base). */
  terminating_contacts: string[];
  /** Height of the base link's frame above the ground, standing in the default pose (m). */
  nominal_base_height_m: number;
}

const LOCOMOTION_KEYS = ['base_link', 'legs', 'penalized_contacts', 'terminating_contacts', 'nominal_base_height_m'];
const LEG_KEYS = ['name', 'joints', 'foot'];

/** Builds the error for a field: `field: msg`, prefixed with the file by the caller. */
export type FieldError = (field: string, msg: string) => Error;

/**
 * Checks a parsed `locomotion` object against the contract's actuated joints (`jointNames`, in
 * action order); errors name the field at fault.
 */
export function validateLocomotion(raw: unknown, jointNames: readonly string[], err: FieldError): LocomotionSpec {
  const f = 'locomotion';
  if (!isObject(raw)) throw err(f, 'must be an object');
  for (const k of Object.keys(raw)) if (!LOCOMOTION_KEYS.includes(k)) throw err(`${f}.${k}`, `unknown key (known: ${LOCOMOTION_KEYS.join(', ')})`);
  const base = linkName(raw.base_link, `${f}.base_link`, err);
  if (!Array.isArray(raw.legs) || raw.legs.length === 0) throw err(`${f}.legs`, 'must be a non-empty array of legs ({ name, joints, foot })');
  const legs = raw.legs.map((leg, i) => validateLeg(leg, `${f}.legs[${i}]`, jointNames, err));
  checkLegsTogether(legs, jointNames, err);
  const height = raw.nominal_base_height_m;
  if (typeof height !== 'number' || !Number.isFinite(height) || height <= 0) throw err(`${f}.nominal_base_height_m`, `must be a number > 0 (m), got ${JSON.stringify(height)}`);
  return {
    base_link: base,
    legs,
    penalized_contacts: linkList(raw.penalized_contacts, `${f}.penalized_contacts`, err),
    terminating_contacts: linkList(raw.terminating_contacts, `${f}.terminating_contacts`, err),
    nominal_base_height_m: height,
  };
}

/** One leg's shape: a name, joints of the contract without repeats, a foot. */
function validateLeg(raw: unknown, f: string, jointNames: readonly string[], err: FieldError): LegSpec {
  if (!isObject(raw)) throw err(f, 'must be an object { name, joints, foot }');
  for (const k of Object.keys(raw)) if (!LEG_KEYS.includes(k)) throw err(`${f}.${k}`, `unknown key (known: ${LEG_KEYS.join(', ')})`);
  if (typeof raw.name !== 'string' || raw.name.length === 0) throw err(`${f}.name`, 'must be a non-empty string');
  if (raw.foot === undefined) throw err(`${f}.foot`, `leg ${raw.name} has no foot: name the link that touches the ground`);
  const foot = linkName(raw.foot, `${f}.foot`, err);
  if (!Array.isArray(raw.joints) || raw.joints.length === 0) throw err(`${f}.joints`, `leg ${raw.name} needs its actuated joints, base to foot`);
  const joints = raw.joints.map((j, k) => {
    if (typeof j !== 'string' || j.length === 0) throw err(`${f}.joints[${k}]`, 'must be a non-empty string');
    if (!jointNames.includes(j)) throw err(`${f}.joints[${k}]`, `"${j}" is not one of the contract's joints (joints[]: ${jointNames.join(', ')})`);
    return j;
  });
  return { name: raw.name, joints, foot };
}

/** Across legs: distinct names, feet and joints, and the legs' joints in the contract's order. */
function checkLegsTogether(legs: readonly LegSpec[], jointNames: readonly string[], err: FieldError): void {
  const seen = new Map<string, string>();
  const once = (kind: string, value: string, field: string) => {
    const key = `${kind}:${value}`;
    const first = seen.get(key);
    if (first !== undefined) throw err(field, `duplicate ${kind} "${value}" (also ${first})`);
    seen.set(key, field);
  };
  let last = -1;
  let lastName = '';
  legs.forEach((leg, i) => {
    const f = `locomotion.legs[${i}]`;
    once('leg name', leg.name, `${f}.name`);
    once('foot', leg.foot, `${f}.foot`);
    leg.joints.forEach((j, k) => {
      once('joint', j, `${f}.joints[${k}]`);
      const at = jointNames.indexOf(j);
      if (at < last) throw err(`${f}.joints[${k}]`, `the legs list joints in the contract's order (joints[]), but "${j}" (joints[${at}]) comes after "${lastName}" (joints[${last}])`);
      last = at;
      lastName = j;
    });
  });
}

function linkName(v: unknown, field: string, err: FieldError): string {
  if (typeof v !== 'string' || v.length === 0) throw err(field, 'must be a non-empty string (a URDF link name)');
  return v;
}

function linkList(v: unknown, field: string, err: FieldError): string[] {
  if (!Array.isArray(v)) throw err(field, 'must be an array of URDF link names (may be empty)');
  const out: string[] = [];
  v.forEach((x, i) => {
    const name = linkName(x, `${field}[${i}]`, err);
    if (out.includes(name)) throw err(`${field}[${i}]`, `duplicate link "${name}"`);
    out.push(name);
  });
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
