/**
 * One episode per env, the way evaluation counts them: an env group is stepped from its reset
 * until every env has ended its first episode (terminated or truncated); envs that finish early
 * keep stepping (auto-reset) but their later episodes are not counted. Evaluation and recording
 * (`evaluatePolicy` in `evaluate.ts`), the bridge rehearsal and the learning benchmark all run
 * this one loop, with hooks for what they add to it.
 */
import type { AnyEnvGroup } from './env_group.ts';

/**
 * A batch policy: observations `[n, obs_dim]` → actions `[n, act_dim]`. A trained run's actor,
 * an ONNX file and a test's scripted controller all reach the envs in this one shape.
 */
export type BatchPolicy = (obs: Float32Array) => Promise<Float32Array>;

/** Return and length of each env's first episode, with their means and population std. */
export interface EpisodeStats {
  mean_return: number;
  std_return: number;
  mean_length: number;
  std_length: number;
  episodes: number;
  returns: number[];
  lengths: number[];
}

/** What a caller adds to the loop. `counting[i]` is 1 while env i is still in its first episode. */
export interface EpisodeHooks {
  /** Once, before the first step. */
  onStart?(group: AnyEnvGroup): void;
  /** Before the actions of each step are computed (observations are in the buffers). */
  beforeStep?(group: AnyEnvGroup, counting: Uint8Array): void;
  /** After each step; `counting` still includes envs whose first episode ended at this step, `done` counts them too. */
  afterStep?(group: AnyEnvGroup, counting: Uint8Array, done: number): void | Promise<void>;
  /** Env i's first episode ended at the step just taken (its results are in the buffers). */
  onEpisodeEnd?(group: AnyEnvGroup, i: number): void;
}

/**
 * Hooks that run each of `hooks` in turn at every point of the loop (e.g. tracking statistics
 * and a recorder in one evaluation pass); `afterStep` promises are awaited one after another.
 */
export function composeHooks(...hooks: EpisodeHooks[]): EpisodeHooks {
  if (hooks.length === 1) return hooks[0] as EpisodeHooks;
  return {
    onStart: (g) => { for (const h of hooks) h.onStart?.(g); },
    beforeStep: (g, counting) => { for (const h of hooks) h.beforeStep?.(g, counting); },
    afterStep: async (g, counting, done) => { for (const h of hooks) await h.afterStep?.(g, counting, done); },
    onEpisodeEnd: (g, i) => { for (const h of hooks) h.onEpisodeEnd?.(g, i); },
  };
}

/**
 * Steps `group` until each of its envs has ended one episode. `act` writes the actions for the
 * current observations into `group.buffers.actions`.
 */
export async function runFirstEpisodes<G extends AnyEnvGroup>(group: G, act: (group: G) => Promise<void>, hooks: EpisodeHooks = {}): Promise<EpisodeStats> {
  const n = group.numEnvs;
  const b = group.buffers;
  const returns = new Array<number>(n).fill(NaN), lengths = new Array<number>(n).fill(NaN);
  const counting = new Uint8Array(n).fill(1);
  const ended: number[] = [];
  let done = 0;
  hooks.onStart?.(group);
  while (done < n) {
    hooks.beforeStep?.(group, counting);
    await act(group);
    group.step();
    ended.length = 0;
    for (let i = 0; i < n; i++) {
      if (counting[i] && (b.terminated[i] || b.truncated[i])) {
        returns[i] = b.episodeReturn[i] as number;
        lengths[i] = b.episodeLength[i] as number;
        ended.push(i);
      }
    }
    done += ended.length;
    await hooks.afterStep?.(group, counting, done);
    for (const i of ended) {
      hooks.onEpisodeEnd?.(group, i);
      counting[i] = 0;
    }
  }
  const [mr, sr] = meanStd(returns), [ml, sl] = meanStd(lengths);
  return { mean_return: mr, std_return: sr, mean_length: ml, std_length: sl, episodes: n, returns, lengths };
}

function meanStd(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length)];
}
