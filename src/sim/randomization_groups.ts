/**
 * How the randomization parameters declared in `src/task/randomization_params.ts` reach a
 * robot, the same for every engine: each parameter belongs to one group that an engine applies
 * as a whole (masses, friction, restitution, gravity, actuators), or is read by the env group as
 * it steps (latency, observation noise, pushes). The compiler holds `GROUP_OF` to exactly the
 * declared parameters and each engine's `DrAppliers` to every group, so a new parameter cannot
 * reach one engine and be forgotten by the other. Rapier's appliers are in
 * `build/randomization.ts`, MuJoCo's in `src/mujoco/mujoco_randomization.ts`.
 */
import { checkSample, type DrParam, type DrSample } from '../task/randomize.ts';

/** Sets one group's sampled values on a robot `T` (an engine's view of it). */
export type ApplyFn<T> = (t: T, s: DrSample) => void;

/** What an engine supplies: one function per group, always relative to the nominal robot. */
export interface DrAppliers<T> {
  /** `mass_scale`, `added_base_mass_kg`. */
  masses: ApplyFn<T>;
  friction: ApplyFn<T>;
  restitution: ApplyFn<T>;
  /** `gravity`, `gravity_tilt_deg`: the sample's gravity vector. */
  gravity: ApplyFn<T>;
  /** `joint_damping`, `motor_strength`, `kp_scale`, `kd_scale`, then the actuators once. */
  actuators: ApplyFn<T>;
}

/**
 * The group of each parameter; `null`: the env group reads it from the sample as it steps
 * (latency queue, observation noise, push timer), nothing to set on the robot. Groups run in the
 * order they first appear here: masses before gravity (Rapier's gravity force scales with them).
 */
const GROUP_OF = {
  mass_scale: 'masses',
  added_base_mass_kg: 'masses',
  friction: 'friction',
  restitution: 'restitution',
  gravity: 'gravity',
  gravity_tilt_deg: 'gravity',
  joint_damping: 'actuators',
  motor_strength: 'actuators',
  latency_steps: null,
  obs_noise: null,
  push_interval_s: null,
  push_velocity: null,
  kp_scale: 'actuators',
  kd_scale: 'actuators',
} as const satisfies Record<DrParam, keyof DrAppliers<unknown> | null>;

/** The groups, each once, in the order they run. */
const GROUPS: readonly (keyof DrAppliers<unknown>)[] = [...new Set(Object.values(GROUP_OF).filter((g) => g !== null))];

/** `appliers` in the order they run: what `applySample` takes. */
export function applyOrder<T>(appliers: DrAppliers<T>): readonly ApplyFn<T>[] {
  return GROUPS.map((g) => appliers[g]);
}

/** Applies sample `s` to `t` group by group; a value outside its declared limits is an error naming the key. */
export function applySample<T>(order: readonly ApplyFn<T>[], t: T, s: DrSample): void {
  checkSample(s);
  for (const apply of order) apply(t, s);
}
