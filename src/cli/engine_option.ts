/**
 * `--engine rapier|mujoco` on `eval`, `robot` and `bench sim`: which physics engine runs the
 * task. Rapier is the training engine and the default; MuJoCo (the official WebAssembly build)
 * runs the same task, robot contract and policy on other dynamics — the sim-to-sim check before
 * hardware (docs/sim2sim.md). Each engine's module loads only when asked for.
 */
import type { PhysicsEngine } from '../sim/physics_scene.ts';
import { checkModelled } from '../sim/physics_scene.ts';
import type { DomainRandomization } from '../task/randomize.ts';
import { SHIFT_ALIASES, SHIFT_KEYS } from '../task/shift.ts';
import { UsageError } from './common.ts';

/** The values `--engine` takes. */
export const ENGINE_CHOICES = ['rapier', 'mujoco'] as const;
export type EngineName = (typeof ENGINE_CHOICES)[number];

/** `--engine`'s help text. */
export const ENGINE_OPTION_HELP = 'physics engine: rapier (the training engine) or mujoco (sim-to-sim: the same task, robot and policy on MuJoCo dynamics)';

/** Commander parser for `--engine`: a name from `ENGINE_CHOICES`, else a usage error. */
export function parseEngine(v: string): EngineName {
  if (!(ENGINE_CHOICES as readonly string[]).includes(v)) throw new UsageError(`--engine: expected one of ${ENGINE_CHOICES.join(', ')}, got "${v}"`);
  return v as EngineName;
}

/** The engine called `name`, its module loaded now. */
export async function loadEngine(name: EngineName): Promise<PhysicsEngine> {
  if (name === 'mujoco') return (await import('../mujoco/mujoco_scene.ts')).MUJOCO_ENGINE;
  return (await import('../sim/rapier_scene.ts')).RAPIER_ENGINE;
}

/** Refuses, as a usage error naming the key, a `--shift` key (alias or parameter) of a parameter `engine` does not model. */
export function checkEngineShifts(engine: PhysicsEngine, shifts: Readonly<Record<string, number>>): void {
  const unmodelled = engine.unmodelled as Readonly<Record<string, string | undefined>>;
  const why = (key: string) => unmodelled[SHIFT_ALIASES[key] ?? key];
  for (const key of Object.keys(shifts)) {
    if (why(key) === undefined) continue;
    const takes = SHIFT_KEYS.filter((k) => why(k) === undefined);
    throw new UsageError(`--shift ${key}: the ${engine.name} engine does not model it (${why(key)}); keys it takes: ${takes.join(', ')}`);
  }
}

/** Refuses, as a usage error naming the parameter, randomization ranges `dr` that vary a parameter `engine` does not model. */
export function checkEngineRanges(engine: PhysicsEngine, dr: DomainRandomization): void {
  try {
    checkModelled(engine, dr);
  } catch (e) {
    throw new UsageError(`--engine ${engine.name}: ${(e as Error).message} (the ranges the policy trained under vary it: add --no-randomize)`);
  }
}
