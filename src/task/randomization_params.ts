/**
 * Every domain-randomization parameter, declared once: what it changes, its unit, the bounds a
 * range must stay inside, its nominal value and whether it takes whole numbers. Everything else
 * is derived from this table: the range and sample types and key lists, config validation,
 * sampling, `sim2real envs`, the viewer's DR panel and the docs table (a test holds
 * docs/simulation.md to it). What a parameter does to a robot is the apply function of its group
 * (`src/sim/randomization_groups.ts`, one per engine), which the compiler requires for every
 * entry here.
 *
 * Order matters: ranges are drawn in this order at every reset and samples are packed in it
 * (`DR_KEYS`), so a new parameter goes at the end to keep seeds and saved states meaning what
 * they meant.
 */
import type { Rng } from './rng.ts';

/** Sample values computed from earlier draws rather than being a draw themselves (gravity's vector). */
export interface DerivedSampleDecl {
  /** Sample keys written, in packing order. */
  readonly keys: readonly string[];
  /** Unit of every derived value. */
  readonly unit: string;
  /** What the values are, one line. */
  readonly description: string;
  /**
   * The values, from the draws so far (this parameter's included); may draw more numbers from
   * `rng` (which then become part of the fixed draw order).
   */
  readonly compute: (drawn: Readonly<Record<string, number>>, rng: Rng) => readonly number[];
}

/** One randomization parameter: a config key `dr.<name>` taking a range `[lo, hi]`. */
export interface DrParamDecl {
  /** What the parameter changes, one sentence (docs table, `envs --json`, the viewer). */
  readonly description: string;
  /** Unit of the range's values; `''` for a dimensionless factor or coefficient. */
  readonly unit: string;
  /** Bounds every range must stay inside; config values outside are errors naming them. */
  readonly limits: readonly [number, number];
  /** The value every env gets with `--no-randomize`. */
  readonly nominal: number;
  /** Whole numbers only (drawn uniformly over the integers of the range). */
  readonly integer: boolean;
  /** false: the draw is not itself a sample value (only an input of `derived`). Default true. */
  readonly sampled?: false;
  /** Sample values computed after this parameter's draw. */
  readonly derived?: DerivedSampleDecl;
}

/** The randomization parameters, in draw and packing order. */
export const DR_PARAMS = {
  mass_scale: {
    description: "Scale on every link's mass and inertia.",
    unit: '', limits: [0.05, 20], nominal: 1, integer: false,
  },
  added_base_mass_kg: {
    description: 'Mass added to the root body at its centre of mass.',
    unit: 'kg', limits: [-100, 1000], nominal: 0, integer: false,
  },
  friction: {
    description: "Friction coefficient of the robot's colliders against a ground of friction 1 (multiplied).",
    unit: '', limits: [0, 10], nominal: 1, integer: false,
  },
  restitution: {
    description: "Restitution of the robot's colliders.",
    unit: '', limits: [0, 1], nominal: 0, integer: false,
  },
  joint_damping: {
    description: 'Extra viscous damping on every actuated joint (N·s/m on prismatic joints).',
    unit: 'N·m·s/rad', limits: [0, 1e4], nominal: 0, integer: false,
  },
  motor_strength: {
    description: 'Scale on Kp, on effort limits and on effort commands.',
    unit: '', limits: [0.01, 10], nominal: 1, integer: false,
  },
  latency_steps: {
    description: "Whole control steps between the policy's action and the motors.",
    unit: 'steps', limits: [0, 50], nominal: 0, integer: true,
  },
  obs_noise: {
    description: "Multiplier on each observation signal's noise scale (uniform noise in ±scale·multiplier).",
    unit: '', limits: [0, 100], nominal: 0, integer: false,
  },
  gravity: {
    description: 'Gravity magnitude.',
    unit: 'm/s²', limits: [0, 100], nominal: 9.81, integer: false, sampled: false,
  },
  gravity_tilt_deg: {
    description: 'Gravity tilt from vertical, in a random horizontal direction.',
    unit: 'deg', limits: [0, 90], nominal: 0, integer: false, sampled: false,
    derived: {
      keys: ['gravity_x', 'gravity_y', 'gravity_z'],
      unit: 'm/s²',
      description: 'Gravity vector from the sampled magnitude and tilt (world frame, z up).',
      compute: gravityVector,
    },
  },
  push_interval_s: {
    description: 'Seconds between pushes (0: no pushes).',
    unit: 's', limits: [0, 1e6], nominal: 0, integer: false,
  },
  push_velocity: {
    description: 'Largest horizontal velocity change of a push, uniform per axis in ±value.',
    unit: 'm/s', limits: [0, 100], nominal: 0, integer: false,
  },
  kp_scale: {
    description: 'Scale on every position gain Kp (with motor_strength), as Isaac Lab randomizes actuator stiffness.',
    unit: '', limits: [0.01, 10], nominal: 1, integer: false,
  },
  kd_scale: {
    description: 'Scale on every velocity gain Kd (joint_damping is added after), as Isaac Lab randomizes actuator damping.',
    unit: '', limits: [0, 10], nominal: 1, integer: false,
  },
} as const satisfies Record<string, DrParamDecl>;

/** A randomization parameter's name (a `dr.<name>` config key). */
export type DrParam = keyof typeof DR_PARAMS;

/** The sample keys parameter `P` writes: its own name unless `sampled: false`, then its derived keys. */
type SampleKeysOf<P extends DrParam> =
  | ((typeof DR_PARAMS)[P] extends { sampled: false } ? never : P)
  | ((typeof DR_PARAMS)[P] extends { derived: { keys: readonly (infer K)[] } } ? K : never);

/** A key of the per-env sample (what an env got at its last reset). */
export type DrKey = { [P in DrParam]: SampleKeysOf<P> }[DrParam];

/**
 * The gravity vector for a magnitude `gravity` (m/s²) tilted `gravity_tilt_deg` from straight
 * down towards a heading drawn from `rng` (no draw when the tilt is 0).
 */
function gravityVector(drawn: Readonly<Record<string, number>>, rng: Rng): [number, number, number] {
  const g = drawn.gravity as number;
  const tilt = ((drawn.gravity_tilt_deg as number) * Math.PI) / 180;
  const heading = tilt === 0 ? 0 : rng.uniform(0, 2 * Math.PI);
  return [g * Math.sin(tilt) * Math.cos(heading), g * Math.sin(tilt) * Math.sin(heading), -g * Math.cos(tilt)];
}
