/**
 * Evaluation of a policy in simulation: `episodes` envs of a task, each run for exactly one
 * episode with the policy (so short episodes are not over-counted), with the return and length
 * statistics; for tasks with commands, optionally at held commands with tracking statistics
 * (`tracking.ts`); for robots with a locomotion contract, with the mean base height against
 * the nominal one (`base_height.ts`); with any other episode-loop hooks (a recorder); on Rapier or
 * on another engine (`sim2real eval --engine mujoco`: the same statistics from other dynamics).
 * This is the one helper that drives a fresh env group with a policy: `sim2real eval` (and
 * `--record`), recording and the learning benchmark all go through it.
 */
import { EnvGroup, type AnyEnvGroup } from './env_group.ts';
import { RAPIER_ENGINE } from './rapier_scene.ts';
import type { PhysicsEngine } from './physics_scene.ts';
import { composeHooks, runFirstEpisodes, type BatchPolicy, type EpisodeHooks, type EpisodeStats } from './episodes.ts';
import { CommandTracker, holdCommands, type TrackingResult } from './tracking.ts';
import { BaseHeightMeter, type BaseHeightResult } from './base_height.ts';
import type { DomainRandomization } from '../task/randomize.ts';
import type { TaskSpec } from '../task/task.ts';

/** Statistics of each env's first episode (`runFirstEpisodes`), and of command tracking when asked for. */
export interface EvalResult extends EpisodeStats {
  tracking?: TrackingResult;
  /** For a robot with a `locomotion` contract: its mean base height against the nominal one. */
  base_height?: BaseHeightResult;
}

/** Commands to hold during evaluation, and how long after each reset not to measure. */
export interface EvalTracking {
  /** One value per `TaskSpec.commands` entry, in that order (`resolveCommands`). */
  commands: Float64Array;
  settleS: number;
}

/** What to evaluate, where, and what else to do in the episode loop. */
export interface EvalOptions {
  task: TaskSpec;
  policy: BatchPolicy;
  /** Envs, one episode each (env i seeded by (seed, i), as everywhere). */
  episodes: number;
  seed: number;
  /** Ranges to sample each env's randomization from. */
  dr: DomainRandomization;
  /** What else to do in the episode loop (e.g. record the episodes). */
  hooks?: EpisodeHooks;
  /** Hold the task's commands and report how well they are tracked. */
  tracking?: EvalTracking;
  /** The physics engine (default Rapier). */
  engine?: PhysicsEngine;
}

/** Runs one episode in each of `episodes` envs with `policy`; frees the envs afterwards. */
export async function evaluatePolicy(o: EvalOptions): Promise<EvalResult> {
  const group = await EnvGroup.create({ task: o.task, numEnvs: o.episodes, firstEnvIndex: 0, seed: o.seed, dr: o.dr }, o.engine ?? RAPIER_ENGINE);
  try {
    const act = async (g: AnyEnvGroup) => g.buffers.actions.set(await o.policy(g.buffers.obs));
    // measured like tracking: from the settling time (1 s without held commands) to each first episode's end
    const height = group.spec.locomotion ? new BaseHeightMeter(o.tracking?.settleS ?? 1) : null;
    const hooks: EpisodeHooks[] = [...(height ? [height] : []), ...(o.hooks ? [o.hooks] : [])];
    if (!o.tracking) {
      const stats = await runFirstEpisodes(group, act, hooks.length ? composeHooks(...hooks) : undefined);
      return height ? { ...stats, base_height: height.result() } : stats;
    }
    holdCommands(group, o.tracking.commands);
    const tracker = new CommandTracker(o.task, o.tracking.settleS, o.tracking.commands);
    const stats = await runFirstEpisodes(group, act, composeHooks(tracker, ...hooks));
    return { ...stats, tracking: tracker.result(), ...(height ? { base_height: height.result() } : {}) };
  } finally {
    group.dispose();
  }
}
