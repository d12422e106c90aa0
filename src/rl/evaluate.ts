/**
 * Evaluation of a deterministic policy: `episodes` envs each run exactly one episode (so short
 * episodes are not over-counted), and the return and length statistics are reported; for tasks
 * with commands, optionally at held commands with tracking statistics (`tracking.ts`).
 */
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { EnvGroup } from '../sim/env_group.ts';
import { composeHooks, runFirstEpisodes, type EpisodeHooks, type EpisodeStats } from '../sim/episodes.ts';
import { resolveTask } from '../task/task_registry.ts';
import { Rng } from '../task/rng.ts';
import { DR_RANGE_KEYS, resolveRandomization, type DomainRandomization } from '../task/randomize.ts';
import type { Backend } from '../backend/backend.ts';
import { PPO, type PpoState } from './ppo.ts';
import { latestCheckpoint, readCheckpoint } from './checkpoint.ts';
import type { TrainConfig } from './config.ts';
import { CommandTracker, holdCommands, type TrackingResult } from './tracking.ts';

/** A batch policy: observations [B, obs_dim] → actions [B, act_dim]. */
export type Policy = (obs: Float32Array) => Promise<Float32Array>;

/** Statistics of each env's first episode (`runFirstEpisodes`), and of command tracking when asked for. */
export interface EvalResult extends EpisodeStats {
  tracking?: TrackingResult;
}

/** Commands to hold during evaluation, and how long after each reset not to measure. */
export interface EvalTracking {
  /** One value per `TaskSpec.commands` entry, in that order (`resolveCommands`). */
  commands: Float64Array;
  settleS: number;
}

export interface EvalOptions {
  task: string;
  policy: Policy;
  episodes: number;
  seed: number;
  /** Ranges to sample each env's randomization from. */
  dr: DomainRandomization;
  /** What else to do in the episode loop (e.g. record the episodes). */
  hooks?: EpisodeHooks;
  /** Hold the task's commands and report how well they are tracked. */
  tracking?: EvalTracking;
}

/** Runs one episode in each of `episodes` envs with `policy`. */
export async function evaluatePolicy(o: EvalOptions): Promise<EvalResult> {
  const task = await resolveTask(o.task);
  const group = await EnvGroup.create({ task, numEnvs: o.episodes, firstEnvIndex: 0, seed: o.seed, dr: o.dr });
  try {
    const act = async (g: EnvGroup) => g.buffers.actions.set(await o.policy(g.buffers.obs));
    if (!o.tracking) return await runFirstEpisodes(group, act, o.hooks);
    holdCommands(group, o.tracking.commands);
    const tracker = new CommandTracker(task, o.tracking.settleS, o.tracking.commands);
    const stats = await runFirstEpisodes(group, act, o.hooks ? composeHooks(tracker, o.hooks) : tracker);
    return { ...stats, tracking: tracker.result() };
  } finally {
    group.dispose();
  }
}

/** Short names `--shift` accepts besides the randomization keys themselves (`mass=1.3` is `mass_scale`). */
export const SHIFT_ALIASES: Readonly<Record<string, keyof DomainRandomization>> = { mass: 'mass_scale' };

/** Every key `shiftRandomization` accepts: the aliases, then the randomization keys. */
export const SHIFT_KEYS: readonly string[] = [...Object.keys(SHIFT_ALIASES), ...DR_RANGE_KEYS];

/**
 * Dynamics shift for evaluation: each key's range replaced by the fixed value [v, v] (keys or
 * aliases, e.g. `{ friction: 0.3, mass: 1.3 }`), the other ranges kept. Values may lie outside
 * the ranges trained under but not outside what the simulator allows; an unknown key is an
 * error listing the valid ones. Returns the ranges and the shift by canonical key.
 */
export function shiftRandomization(base: DomainRandomization, shifts: Readonly<Record<string, number>>): { dr: DomainRandomization; shift: Partial<Record<keyof DomainRandomization, number>> } {
  const shift: Partial<Record<keyof DomainRandomization, number>> = {};
  for (const [key, value] of Object.entries(shifts)) {
    const canonical = Object.hasOwn(SHIFT_ALIASES, key) ? SHIFT_ALIASES[key]
      : (DR_RANGE_KEYS as readonly string[]).includes(key) ? (key as keyof DomainRandomization) : undefined;
    if (!canonical) throw new Error(`shift ${key}: unknown key (valid: ${SHIFT_KEYS.join(', ')})`);
    if (!Number.isFinite(value)) throw new Error(`shift ${key}: expected a finite number, got ${value}`);
    try {
      resolveRandomization(base, { [canonical]: [value, value] });
    } catch (e) {
      throw new Error(`shift ${key}=${value}: ${(e as Error).message.replace(/^dr\.\w+: /, '')}`);
    }
    shift[canonical] = value;
  }
  const overrides = Object.fromEntries(Object.entries(shift).map(([k, v]) => [k, [v, v]]));
  return { dr: resolveRandomization(base, overrides), shift };
}

/** A trained run's resolved config and its latest trainer state, ready to act. */
export interface LoadedRun {
  config: TrainConfig;
  ppo: PPO;
  checkpoint: string;
}

/** Loads `runDir`'s config.json and latest checkpoint into a PPO on `backend`. */
export function loadRun(runDir: string, backend: Backend): LoadedRun {
  const cfgFile = path.join(runDir, 'config.json');
  if (!existsSync(cfgFile)) throw new Error(`--run ${runDir}: no config.json (not a run directory)`);
  const config = JSON.parse(readFileSync(cfgFile, 'utf8')) as TrainConfig;
  const file = latestCheckpoint(path.join(runDir, 'checkpoints'));
  if (!file) throw new Error(`--run ${runDir}: no checkpoint in ${path.join(runDir, 'checkpoints')}`);
  const state = (readCheckpoint(file).arrays as unknown as { ppo: PpoState }).ppo;
  const ppo = new PPO(backend, state.dims, config.ppo, new Rng(config.seed));
  ppo.setState(state);
  return { config, ppo, checkpoint: file };
}
