/**
 * Domain randomization: the ranges a task trains under, and the per-env sample drawn from the
 * env's seeded RNG at every reset. Ranges come from the task file and can be overridden from a
 * JSON config or `--set dr.friction=0.4,1.2`; `--no-randomize` replaces every range by its
 * nominal value. Samples are flat numbers in `DR_KEYS` order so they fit a shared buffer and
 * the viewer and eval can read what each env got.
 */
import type { Rng } from './rng.ts';
import type { Vec3 } from '../robot/robot_model.ts';

/** An inclusive `[lo, hi]` range; `lo === hi` fixes the value. */
export type Range = [number, number];

/** The randomization ranges of a task. */
export interface DomainRandomization {
  /** Scale on every link's mass and inertia. */
  mass_scale: Range;
  /** Mass added to the root body (kg). */
  added_base_mass_kg: Range;
  /** Friction coefficient of the robot's colliders against a ground of friction 1 (multiplied). */
  friction: Range;
  /** Restitution of the robot's colliders. */
  restitution: Range;
  /** Extra viscous damping on every actuated joint (N·m·s/rad or N·s/m). */
  joint_damping: Range;
  /** Scale on Kp and on the effort limit (and on effort commands). */
  motor_strength: Range;
  /** Whole control steps between the policy's action and the motors (integers). */
  latency_steps: Range;
  /** Multiplier on each observation signal's noise scale (uniform noise in ±scale·multiplier). */
  obs_noise: Range;
  /** Gravity magnitude (m/s²). */
  gravity: Range;
  /** Gravity tilt from vertical (degrees), in a random horizontal direction. */
  gravity_tilt_deg: Range;
  /** Seconds between pushes (0 = no pushes). */
  push_interval_s: Range;
  /** Largest horizontal velocity change of a push (m/s), uniform per axis in ±value. */
  push_velocity: Range;
}

/** Sample keys in their flat order. */
export const DR_KEYS = [
  'mass_scale', 'added_base_mass_kg', 'friction', 'restitution', 'joint_damping', 'motor_strength',
  'latency_steps', 'obs_noise', 'gravity_x', 'gravity_y', 'gravity_z', 'push_interval_s', 'push_velocity',
] as const;
export type DrKey = (typeof DR_KEYS)[number];

/** What one env got at its last reset. */
export type DrSample = Record<DrKey, number>;

/** Bounds a range must stay inside, per key: errors name the key. */
const LIMITS: Record<keyof DomainRandomization, [number, number]> = {
  mass_scale: [0.05, 20],
  added_base_mass_kg: [-100, 1000],
  friction: [0, 10],
  restitution: [0, 1],
  joint_damping: [0, 1e4],
  motor_strength: [0.01, 10],
  latency_steps: [0, 50],
  obs_noise: [0, 100],
  gravity: [0, 100],
  gravity_tilt_deg: [0, 90],
  push_interval_s: [0, 1e6],
  push_velocity: [0, 100],
};

/** Nominal values (what `--no-randomize` uses). */
export const NOMINAL: DomainRandomization = {
  mass_scale: [1, 1],
  added_base_mass_kg: [0, 0],
  friction: [1, 1],
  restitution: [0, 0],
  joint_damping: [0, 0],
  motor_strength: [1, 1],
  latency_steps: [0, 0],
  obs_noise: [0, 0],
  gravity: [9.81, 9.81],
  gravity_tilt_deg: [0, 0],
  push_interval_s: [0, 0],
  push_velocity: [0, 0],
};

/** The range keys, for listing and for closed-config checks. */
export const DR_RANGE_KEYS = Object.keys(NOMINAL) as (keyof DomainRandomization)[];

/**
 * Validates a full or partial set of ranges; unknown keys and out-of-bounds values are errors
 * naming the key. Returns the ranges merged over `base`.
 */
export function resolveRandomization(base: DomainRandomization, overrides: Record<string, unknown> = {}): DomainRandomization {
  const out: DomainRandomization = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in LIMITS)) throw new Error(`dr.${key}: unknown randomization key (known: ${DR_RANGE_KEYS.join(', ')})`);
    out[key as keyof DomainRandomization] = parseRange(`dr.${key}`, value);
  }
  for (const key of DR_RANGE_KEYS) checkRange(`dr.${key}`, out[key], LIMITS[key], key === 'latency_steps');
  return out;
}

/** A range from `[lo, hi]`, a single number, or the CLI's `"lo,hi"` / `"v"` strings. */
export function parseRange(field: string, value: unknown): Range {
  let v = value;
  if (typeof v === 'string') v = v.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (typeof v === 'number') v = [v, v];
  if (!Array.isArray(v) || v.length === 0 || v.length > 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${field}: expected a number or a range "lo,hi", got ${JSON.stringify(value)}`);
  }
  const lo = v[0] as number;
  const hi = (v.length === 2 ? v[1] : v[0]) as number;
  return [lo, hi];
}

function checkRange(field: string, r: Range, [min, max]: [number, number], integer: boolean): void {
  const [lo, hi] = r;
  if (!(lo <= hi)) throw new Error(`${field}: lower bound ${lo} is above upper bound ${hi}`);
  if (lo < min || hi > max) throw new Error(`${field}: [${lo}, ${hi}] is outside the allowed [${min}, ${max}]`);
  if (integer && (!Number.isInteger(lo) || !Number.isInteger(hi))) throw new Error(`${field}: must be whole numbers, got [${lo}, ${hi}]`);
}

/** Draws one env's sample. The draw order is fixed, so a seed always gives the same sample. */
export function sampleRandomization(dr: DomainRandomization, rng: Rng): DrSample {
  const u = (r: Range) => (r[0] === r[1] ? r[0] : rng.uniform(r[0], r[1]));
  const mass_scale = u(dr.mass_scale);
  const added_base_mass_kg = u(dr.added_base_mass_kg);
  const friction = u(dr.friction);
  const restitution = u(dr.restitution);
  const joint_damping = u(dr.joint_damping);
  const motor_strength = u(dr.motor_strength);
  const latency_steps = dr.latency_steps[0] === dr.latency_steps[1] ? dr.latency_steps[0] : rng.int(dr.latency_steps[0], dr.latency_steps[1]);
  const obs_noise = u(dr.obs_noise);
  const g = u(dr.gravity);
  const tilt = (u(dr.gravity_tilt_deg) * Math.PI) / 180;
  const heading = tilt === 0 ? 0 : rng.uniform(0, 2 * Math.PI);
  const gravity: Vec3 = [g * Math.sin(tilt) * Math.cos(heading), g * Math.sin(tilt) * Math.sin(heading), -g * Math.cos(tilt)];
  return {
    mass_scale, added_base_mass_kg, friction, restitution, joint_damping, motor_strength, latency_steps, obs_noise,
    gravity_x: gravity[0], gravity_y: gravity[1], gravity_z: gravity[2],
    push_interval_s: u(dr.push_interval_s),
    push_velocity: u(dr.push_velocity),
  };
}

/** Writes a sample into `out` at `offset` in `DR_KEYS` order. */
export function packSample(s: DrSample, out: Float64Array | Float32Array, offset: number): void {
  for (let i = 0; i < DR_KEYS.length; i++) out[offset + i] = s[DR_KEYS[i] as DrKey];
}

/** Reads a sample written by `packSample`. */
export function unpackSample(buf: Float64Array | Float32Array, offset: number): DrSample {
  const s = {} as DrSample;
  for (let i = 0; i < DR_KEYS.length; i++) s[DR_KEYS[i] as DrKey] = buf[offset + i] as number;
  return s;
}
