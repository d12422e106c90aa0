/**
 * The one place that loads the Rapier physics engine (WASM). Everything else imports the
 * module type from here and calls `loadRapier()` once before building worlds.
 */
import RAPIER from '@dimforge/rapier3d-simd-compat';

export type Rapier = typeof RAPIER;
export type { World, RigidBody, Collider, ImpulseJoint } from '@dimforge/rapier3d-simd-compat';

let ready: Promise<Rapier> | null = null;

/** Initializes the WASM module once per thread and returns the Rapier namespace. */
export function loadRapier(): Promise<Rapier> {
  ready ??= RAPIER.init().then(() => RAPIER);
  return ready;
}
