/**
 * Evaluation of a policy in simulation: `episodes` envs of a task, each run for exactly one
 * episode with the policy (so short episodes are not over-counted), with the return and length
 * statistics; for tasks with commands, optionally at held commands with tracking statistics
 * (`tracking.ts`); with any other episode-loop hooks (a recorder). This is the one helper that
 * drives a fresh env group with a policy: `sim2real eval` (and `--record`), recording and the
 * learning benchmark all go through it.
 */
import { EnvGroup } from './env_group.ts';
import { composeHooks, runFirstEpisodes, type BatchPolicy, type EpisodeHooks, type EpisodeStats } from './episodes.ts';
import { CommandTracker, holdCommands, type TrackingResult } from './tracking.ts';
import type { DomainRandomization } from '../task/randomize.ts';
import type { TaskSpec } from '../task/task.ts';

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
}

/** Runs one episode in each of `episodes` envs with `policy`; frees the envs afterwards. */
export async function evaluatePolicy(o: EvalOptions): Promise<EvalResult> {
  const group = await EnvGroup.create({ task: o.task, numEnvs: o.episodes, firstEnvIndex: 0, seed: o.seed, dr: o.dr });
  try {
    const act = async (g: EnvGroup) => g.buffers.actions.set(await o.policy(g.buffers.obs));
    if (!o.tracking) return await runFirstEpisodes(group, act, o.hooks);
    holdCommands(group, o.tracking.commands);
    const tracker = new CommandTracker(o.task, o.tracking.settleS, o.tracking.commands);
    const stats = await runFirstEpisodes(group, act, o.hooks ? composeHooks(tracker, o.hooks) : tracker);
    return { ...stats, tracking: tracker.result() };
  } finally {
    group.dispose();
  }
}
