/**
 * The on-policy training loop (rsl_rl's OnPolicyRunner): roll out num_steps on a rollout source,
 * compute returns, update, log one metrics row, checkpoint now and then. Everything a run needs
 * to continue bit for bit — trainer state, the source's state, counters — goes into each
 * checkpoint. The runner sees its envs only through `RolloutSource`: the caller decides what
 * they are (the CLI gives it the local vec env).
 */
import { existsSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import { Rng } from '../task/rng.ts';
import type { Backend } from '../backend/backend.ts';
import { PPO, type PpoState, type UpdateStats } from './ppo.ts';
import { checkpointName, latestCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { MetricsWriter } from './metrics.ts';
import { TensorBoardWriter } from './tensorboard.ts';
import { entryKind, writeFileAtomic } from './atomic_file.ts';
import { RunLock } from './run_lock.ts';
import { configHash, type TrainConfig } from './config.ts';
import type { RolloutSource, RolloutStep, SourceMetrics } from './rollout_source.ts';

/** What the runner keeps between iterations besides the trainer and the envs. */
interface RunnerCounters {
  iteration: number;
  envSteps: number;
  wallTimeS: number;
  /** Returns and lengths of the last (up to) 100 finished episodes, oldest first. */
  recentReturns: Float64Array;
  recentLengths: Float64Array;
  nonfiniteInARow: number;
  /** [numEnvs, reward terms]: each env's per-term sums over its episode so far (absent in checkpoints older than it). */
  episodeTermSums?: Float64Array;
}

/** One metrics row (metrics.jsonl): counters, episode statistics and the update's diagnostics. */
export type IterationMetrics = Omit<UpdateStats, 'nonfinite'> & {
  iteration: number;
  env_steps: number;
  /** Mean return and length of the last (up to) 100 finished episodes; null before the first. */
  mean_return: number | null;
  mean_length: number | null;
  /** Episodes that ended during this iteration. */
  episodes: number;
  steps_per_s: number;
  /** Seconds of this iteration spent stepping the envs (physics and task logic, in the workers). */
  time_env_s: number;
  /** Seconds spent on the policy during the rollout: inference, normalizer, storage, returns. */
  time_policy_s: number;
  /** Seconds of the PPO update. */
  time_update_s: number;
  /** Training wall time so far, across resumed sessions. */
  wall_time_s: number;
  /** 1 when this iteration's update was non-finite and rolled back. */
  nonfinite_updates: number;
} & {
  /**
   * `episode_<term>`: each reward term's sum over an episode, averaged over the episodes that
   * ended during this iteration (legged_gym's `Episode/rew_*`); null when none ended.
   */
  [term: `episode_${string}`]: number | null;
};

/** What the runner is started with. */
export interface RunnerOptions {
  config: TrainConfig;
  backend: Backend;
  /**
   * Builds the envs to learn from for `config` (`config.ppo.num_envs` of them, reset); the runner
   * owns the source from then on and closes it. Called after the run directory is checked.
   */
  createSource: (config: TrainConfig) => Promise<RolloutSource>;
  /** The run directory (created). */
  outDir: string;
  /** Continue the run in `outDir` from its latest checkpoint. */
  resume?: boolean;
  /** Start from the weights (and observation statistics) of this run's latest checkpoint. */
  initFrom?: string;
  /** Called after each iteration (progress display), with what the source added to the row (`RolloutSource.iterationMetrics`). */
  onIteration?: (m: IterationMetrics, source: SourceMetrics) => void;
  /** One-line notices for the user: a stale lock taken over, a run started over. */
  onNotice?: (line: string) => void;
}

const RECENT = 100;

export class OnPolicyRunner {
  private stopRequested = false;
  /** Seconds per stage of the current iteration, for the metrics row. */
  private stage = { env: 0, policy: 0, update: 0 };
  /** Per-term sums over the episodes that ended this iteration. */
  private readonly endedTermSums: Float64Array;

  private constructor(
    readonly config: TrainConfig,
    readonly source: RolloutSource,
    readonly ppo: PPO,
    readonly outDir: string,
    private readonly counters: RunnerCounters,
    private readonly metrics: MetricsWriter,
    private readonly tb: TensorBoardWriter | null,
    private readonly lock: RunLock,
    /** Whether this run started over in a directory whose run stopped before its first checkpoint. */
    readonly startedOver: boolean,
    private readonly onIteration?: (m: IterationMetrics, source: SourceMetrics) => void,
  ) {
    const n = source.numEnvs * source.dims.numTerms;
    if (counters.episodeTermSums?.length !== n) counters.episodeTermSums = new Float64Array(n);
    this.endedTermSums = new Float64Array(source.dims.numTerms);
  }

  /**
   * Locks the run directory (creating it), builds the envs (`createSource`) and the trainer, and
   * restores the latest checkpoint when resuming. A directory whose run stopped before its first
   * checkpoint starts over, resumed or not (`startedOver`; `onNotice` says so).
   */
  static async create(o: RunnerOptions): Promise<OnPolicyRunner> {
    mkdirSync(o.outDir, { recursive: true });
    const lock = RunLock.acquire(o.outDir, o.onNotice);
    try {
      const start = planStart(o);
      if (start.startOver) o.onNotice?.(start.startOver);
      mkdirSync(path.join(o.outDir, 'checkpoints'), { recursive: true });
      return await OnPolicyRunner.open(o, start.resumeFrom, start.startOver !== null, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** `create` once the directory is locked and checked: the source, the trainer, the state, the logs. */
  private static async open(o: RunnerOptions, resumeFrom: string | null, startOver: boolean, lock: RunLock): Promise<OnPolicyRunner> {
    const cfg = o.config;
    const source = await o.createSource(cfg);
    try {
      checkSource(source, cfg);
      const criticObsDim = source.dims.criticObsDim;
      const dims = { obsDim: source.dims.obsDim, actDim: source.dims.actDim, numEnvs: cfg.ppo.num_envs, ...(criticObsDim !== undefined ? { criticObsDim } : {}) };
      const ppo = new PPO(o.backend, dims, cfg.ppo, new Rng(cfg.seed, 0x7a11));
      const counters: RunnerCounters = {
        iteration: 0, envSteps: 0, wallTimeS: 0, recentReturns: new Float64Array(0), recentLengths: new Float64Array(0), nonfiniteInARow: 0,
      };
      if (resumeFrom) {
        const ck = readCheckpoint(resumeFrom);
        // the source's state is stored under `env` (the key runs have always used)
        const arrays = ck.arrays as unknown as { ppo: PpoState; env: unknown; runner: RunnerCounters };
        ppo.setState(arrays.ppo);
        await source.loadState(arrays.env);
        Object.assign(counters, arrays.runner);
      } else {
        if (o.initFrom) await warmStart(ppo, o.initFrom);
        writeFileAtomic(path.join(o.outDir, 'config.json'), `${JSON.stringify({ ...cfg, config_hash: configHash(cfg) }, null, 2)}\n`);
      }
      const metricsFile = path.join(o.outDir, 'metrics.jsonl');
      if (startOver && existsSync(metricsFile)) writeFileAtomic(metricsFile, '');
      const tb = cfg.tensorboard ? new TensorBoardWriter(path.join(o.outDir, 'tensorboard')) : null;
      // TensorBoard drops what earlier sessions logged from this step on
      if (tb && (resumeFrom || startOver)) tb.sessionStart(counters.envSteps + 1);
      const metrics = new MetricsWriter(metricsFile, {
        ...(resumeFrom ? { resumeIteration: counters.iteration } : {}), ...(tb ? { tensorboard: tb } : {}),
      });
      return new OnPolicyRunner(cfg, source, ppo, o.outDir, counters, metrics, tb, lock, startOver, o.onIteration);
    } catch (e) {
      await source.close();
      throw e;
    }
  }

  /** Iterations done so far (resumed runs count the earlier ones). */
  get iteration(): number {
    return this.counters.iteration;
  }

  /** Asks the loop to stop after the current iteration (Ctrl-C); a checkpoint is written. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /**
   * Trains until the planned iterations are done (or `untilIteration`, or a stop request).
   * Returns why it stopped. Throws, with the last good checkpoint on disk, after
   * `max_nonfinite_updates` rolled-back updates in a row.
   */
  async run(untilIteration = this.config.ppo.total_iterations): Promise<'done' | 'stopped'> {
    const cfg = this.config;
    const c = this.counters;
    const end = Math.min(untilIteration, cfg.ppo.total_iterations);
    while (c.iteration < end && !this.stopRequested) {
      const t0 = performance.now();
      this.stage = { env: 0, policy: 0, update: 0 };
      if (this.source.beginIteration) {
        await this.source.beginIteration(c.iteration);
        this.stage.env += (performance.now() - t0) / 1000;
      }
      const finished = await this.rollout();
      const t1 = performance.now();
      const stats = await this.ppo.update();
      this.stage.update = (performance.now() - t1) / 1000;
      c.iteration++;
      c.envSteps += cfg.ppo.num_envs * cfg.ppo.num_steps;
      const seconds = (performance.now() - t0) / 1000;
      c.wallTimeS += seconds;
      c.nonfiniteInARow = stats.nonfinite ? c.nonfiniteInARow + 1 : 0;
      const m = this.row(stats, finished, seconds);
      const extra = sourceMetrics(this.source, m);
      this.metrics.write({ ...m, ...extra });
      this.onIteration?.(m, extra);
      if (c.nonfiniteInARow >= cfg.max_nonfinite_updates) {
        throw new Error(`stopped: ${c.nonfiniteInARow} updates in a row produced NaN/Inf and were rolled back (iteration ${c.iteration}); the last good checkpoint is in ${path.join(this.outDir, 'checkpoints')}. Lower ppo.learning_rate or check the env's observations.`);
      }
      if (c.iteration % cfg.checkpoint_every === 0 || c.iteration === end || this.stopRequested) await this.checkpoint();
    }
    return this.stopRequested && c.iteration < end ? 'stopped' : 'done';
  }

  /** Writes a checkpoint of the current iteration. */
  async checkpoint(): Promise<string> {
    const c = this.counters;
    return writeCheckpoint(path.join(this.outDir, 'checkpoints'), checkpointName(c.iteration), {
      meta: { iteration: c.iteration, envSteps: c.envSteps, config: this.config },
      arrays: { ppo: await this.ppo.getState(), env: await this.source.saveState(), runner: { ...c } },
    }, { keepLast: this.config.keep_checkpoints });
  }

  /** Closes the rollout source and the log files, and unlocks the run directory. */
  async close(): Promise<void> {
    try {
      this.metrics.close();
      this.tb?.close();
      await this.source.close();
    } finally {
      this.lock.release();
    }
  }

  /** num_steps env steps with the stochastic policy; returns how many episodes ended. */
  private async rollout(): Promise<number> {
    let finished = 0;
    this.endedTermSums.fill(0);
    const st = this.stage;
    for (let t = 0; t < this.config.ppo.num_steps; t++) {
      const t0 = performance.now();
      const actions = await this.ppo.act(this.source.obs, this.source.criticObs);
      const t1 = performance.now();
      const s = await this.source.step(actions);
      const t2 = performance.now();
      await this.ppo.processEnvStep(s.rewards, s.terminated, s.truncated, s.terminalObs, s.terminalCriticObs);
      st.policy += (t1 - t0 + performance.now() - t2) / 1000;
      st.env += (t2 - t1) / 1000;
      this.addTerms(s);
      for (let i = 0; i < this.source.numEnvs; i++) {
        if (s.terminated[i] || s.truncated[i]) {
          this.recordEpisode(i, s.episodeReturn[i] as number, s.episodeLength[i] as number);
          finished++;
        }
      }
    }
    const t0 = performance.now();
    await this.ppo.computeReturns(this.source.obs, this.source.criticObs);
    st.policy += (performance.now() - t0) / 1000;
    return finished;
  }

  /** Adds the step's reward terms to each env's episode sums. */
  private addTerms(s: RolloutStep): void {
    const sums = this.counters.episodeTermSums!, terms = s.rewardTerms;
    for (let k = 0; k < sums.length; k++) sums[k] = sums[k]! + terms[k]!;
  }

  private recordEpisode(env: number, ret: number, len: number): void {
    const c = this.counters;
    const T = this.endedTermSums.length, sums = c.episodeTermSums!;
    for (let t = 0; t < T; t++) {
      this.endedTermSums[t] = this.endedTermSums[t]! + sums[env * T + t]!;
      sums[env * T + t] = 0;
    }
    const push = (a: Float64Array, v: number) => {
      const out = new Float64Array(Math.min(RECENT, a.length + 1));
      out.set(a.subarray(a.length + 1 - out.length));
      out[out.length - 1] = v;
      return out;
    };
    c.recentReturns = push(c.recentReturns, ret);
    c.recentLengths = push(c.recentLengths, len);
  }

  private row(s: UpdateStats, episodes: number, seconds: number): IterationMetrics {
    const c = this.counters;
    const mean = (a: Float64Array) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
    const { nonfinite, ...diagnostics } = s;
    const terms = Object.fromEntries(this.source.signals.rewardTerms.map((name, t) => [`episode_${name}`, episodes > 0 ? this.endedTermSums[t]! / episodes : null]));
    return {
      iteration: c.iteration, env_steps: c.envSteps, mean_return: mean(c.recentReturns), mean_length: mean(c.recentLengths), episodes,
      ...diagnostics,
      steps_per_s: (this.config.ppo.num_envs * this.config.ppo.num_steps) / seconds,
      time_env_s: this.stage.env, time_policy_s: this.stage.policy, time_update_s: this.stage.update, wall_time_s: c.wallTimeS,
      nonfinite_updates: nonfinite ? 1 : 0,
      ...terms,
    };
  }
}

/** Files of a run directory the trainer writes whole or appends to; each must be a regular file if present. */
const RUN_FILES = ['config.json', 'metrics.jsonl', 'policy.onnx'];

/**
 * How the run in `o.outDir` starts: from its latest checkpoint (resuming), afresh, or over again
 * when an earlier run stopped before its first checkpoint (`startOver` is then the line that
 * says so). A new run in a directory with checkpoints is an error, as is a run file that is
 * not a regular file (a symbolic link, a FIFO: never written through).
 */
function planStart(o: RunnerOptions): { resumeFrom: string | null; startOver: string | null } {
  for (const name of RUN_FILES) {
    const file = path.join(o.outDir, name);
    const st = lstatOrNull(file);
    if (st !== null && !st.isFile()) throw new Error(`${file} is ${entryKind(st)}, not a regular file; the trainer writes only regular files in a run directory (remove it, or choose another run directory)`);
  }
  const latest = latestCheckpoint(path.join(o.outDir, 'checkpoints'));
  if (latest !== null) {
    if (o.resume) return { resumeFrom: latest, startOver: null };
    throw new Error(`${o.outDir} already holds a run (checkpoint ${path.basename(latest)}); use --resume ${o.outDir} or another --out`);
  }
  if (o.resume) return { resumeFrom: null, startOver: `${o.outDir}: the run stopped before its first checkpoint; starting it over from iteration 0 with its config.json` };
  const started = ['config.json', 'metrics.jsonl'].some((name) => existsSync(path.join(o.outDir, name)));
  return { resumeFrom: null, startOver: started ? `${o.outDir} holds a run that stopped before its first checkpoint; starting over in it` : null };
}

function lstatOrNull(file: string): Stats | null {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}

/** Throws unless `source` has the shape `cfg` trains with (one row per env, names for its widths). */
function checkSource(source: RolloutSource, cfg: TrainConfig): void {
  const { dims, signals } = source;
  if (source.numEnvs !== cfg.ppo.num_envs) throw new Error(`rollout source has ${source.numEnvs} envs, ppo.num_envs is ${cfg.ppo.num_envs}`);
  const widths: [string, number, number][] = [
    ['observations', signals.observations.length, dims.obsDim], ['actions', signals.actions.length, dims.actDim], ['rewardTerms', signals.rewardTerms.length, dims.numTerms],
  ];
  for (const [name, names, width] of widths) {
    if (names !== width) throw new Error(`rollout source names ${names} ${name} for rows of ${width}`);
  }
}

/** What the source adds to metrics row `m` (keys the row already has are left out). */
function sourceMetrics(source: RolloutSource, m: IterationMetrics): SourceMetrics {
  const extra = source.iterationMetrics?.() ?? {};
  return Object.fromEntries(Object.entries(extra).filter(([key]) => !Object.hasOwn(m, key)));
}

/** `--init-from`: copies parameters and observation statistics, nothing else. */
async function warmStart(ppo: PPO, runDir: string): Promise<void> {
  const file = latestCheckpoint(path.join(runDir, 'checkpoints'));
  if (!file) throw new Error(`--init-from ${runDir}: no checkpoint in ${path.join(runDir, 'checkpoints')}`);
  const src = (readCheckpoint(file).arrays as unknown as { ppo: PpoState }).ppo;
  if (src.dims.obsDim !== ppo.dims.obsDim || src.dims.actDim !== ppo.dims.actDim) {
    throw new Error(`--init-from ${file}: trained for obs ${src.dims.obsDim} / act ${src.dims.actDim}, this task has obs ${ppo.dims.obsDim} / act ${ppo.dims.actDim}`);
  }
  try {
    ppo.loadWeights(src);
  } catch (e) {
    throw new Error(`--init-from ${file}: ${(e as Error).message}`);
  }
}
