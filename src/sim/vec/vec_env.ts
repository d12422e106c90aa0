/**
 * N envs of one task across W worker threads. Each worker runs an `EnvGroup` (many envs in one
 * Rapier world) over its rows of SharedArrayBuffers, so observations, actions, rewards and
 * flags never get copied between threads. Deterministic for a given seed and worker count
 * (each env has its own RNG seeded by (seed, env index)). A worker that throws or dies is
 * restarted with fresh envs and the call that hit it rejects with a `VecEnvError` naming the
 * env — never a hang.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { allocateBuffers, taskDims, type EnvBuffers, type EnvDims, type EnvGroupStats } from '../env_group.ts';
import { locateTask, type TaskLocation } from '../../task/task_registry.ts';
import { effectiveRanges, unpackSample, DR_KEYS, type DomainRandomization, type DrSample } from '../../task/randomize.ts';
import { loadRobotSpec, type LoadedRobotSpec } from '../../robot/robot_spec.ts';
import type { TaskSpec } from '../../task/task.ts';
import type { RolloutSource, SignalNames } from '../../rl/rollout_source.ts';
import type { WorkerCommand, WorkerInit, WorkerReply } from './vec_protocol.ts';
import { ENV_STATE_FORMAT, ENV_STATE_VERSION, checkStateHeader, copyRanges, type EnvGroupState, type VecEnvHeader, type VecEnvState } from '../env_state.ts';

export type { VecEnvState, EnvGroupState } from '../env_state.ts';

const BOOT = fileURLToPath(new URL('../../ts_worker.mjs', import.meta.url));
const ENTRY = new URL('./vec_worker.ts', import.meta.url).href;

export interface VecEnvConfig {
  /** Registered task name or path of a task module. */
  task: string;
  /** Robot contract (JSON path) to run the task on instead of its own (`--robot`). */
  robot?: string;
  numEnvs: number;
  /**
   * Global index of the first env (default 0): this vec env holds env slots
   * [firstEnvIndex, firstEnvIndex + numEnvs) of a larger run (one group of a cluster run), whose
   * seeds and RNG streams are those of the slots, wherever they run.
   */
  firstEnvIndex?: number;
  /** Worker threads (default 1); envs are split into contiguous, near-equal blocks. */
  numWorkers?: number;
  seed?: number;
  /** Overrides of the task's randomization ranges (`{ friction: [0.4, 1.2] }`). */
  dr?: Record<string, unknown>;
  /** false: every range at its nominal value (`--no-randomize`). */
  randomize?: boolean;
}

/** A failure inside a worker, naming the env (or the worker's env range when unknown). */
export class VecEnvError extends Error {
  constructor(message: string, readonly worker: number, readonly envIndex: number | null) {
    super(message);
    this.name = 'VecEnvError';
  }
}

interface Pending {
  resolve: (r: WorkerReply & { type: 'done' | 'ready' }) => void;
  reject: (e: Error) => void;
}

/** One worker thread and its in-flight request. */
class WorkerHandle {
  worker!: Worker;
  pending: Pending | null = null;
  nextId = 1;
  restarts = 0;
  ready!: Promise<unknown>;

  constructor(readonly index: number, readonly init: WorkerInit) {
    this.start();
  }

  get range(): string {
    return `envs ${this.init.firstEnvIndex}–${this.init.firstEnvIndex + this.init.numEnvs - 1}`;
  }

  start(): void {
    this.worker = new Worker(BOOT, { workerData: { entry: ENTRY, init: this.init } });
    this.ready = this.waitReply();
    this.worker.on('message', (m: WorkerReply) => {
      const p = this.pending;
      if (!p) return;
      this.pending = null;
      if (m.type === 'error') {
        const where = m.envIndex !== null ? `env ${m.envIndex}` : this.range;
        const msg = m.message.startsWith(`env ${m.envIndex}:`) ? m.message : `${where}: ${m.message}`;
        p.reject(new VecEnvError(`worker ${this.index} (${this.range}): ${msg}`, this.index, m.envIndex));
      } else p.resolve(m);
    });
    this.worker.on('error', (e) => this.die(`threw: ${e.message}`));
    this.worker.on('exit', (code) => this.die(`exited with code ${code}`));
  }

  private die(why: string): void {
    const p = this.pending;
    this.pending = null;
    p?.reject(new VecEnvError(`worker ${this.index} (${this.range}) ${why}`, this.index, null));
  }

  private waitReply(): Promise<WorkerReply & { type: 'done' | 'ready' }> {
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  request(m: WorkerCommand): Promise<WorkerReply & { type: 'done' | 'ready' }> {
    if (this.pending) return Promise.reject(new Error(`worker ${this.index} is busy: await each call before the next`));
    const id = this.nextId++;
    const p = this.waitReply();
    this.worker.postMessage({ ...m, id });
    return p;
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.worker.removeAllListeners('error');
    this.pending = null;
    await this.worker.terminate();
  }
}

/** The local rollout source: the envs in worker threads of this process. */
export class VecEnv implements RolloutSource {
  readonly task: TaskSpec;
  /** The task's robot contract (joint order, control period, decimation). */
  readonly robotSpec: LoadedRobotSpec;
  readonly numEnvs: number;
  /** Global index of the first env (see `VecEnvConfig.firstEnvIndex`). */
  readonly firstEnvIndex: number;
  readonly numWorkers: number;
  readonly seed: number;
  readonly dims: EnvDims;
  /** Ranges every env samples from at reset. */
  readonly dr: DomainRandomization;
  /** Shared buffers: write `actions`, call `step()`, read the rest. */
  readonly buffers: EnvBuffers;
  /** Observation, action and reward-term names in row order (the task's). */
  readonly signals: SignalNames;
  private readonly workers: WorkerHandle[];
  private closed = false;

  private constructor(task: TaskSpec, location: TaskLocation, cfg: Required<Omit<VecEnvConfig, 'task' | 'robot' | 'dr' | 'randomize'>>, dr: DomainRandomization) {
    this.task = task;
    this.robotSpec = loadRobotSpec(task.robot);
    this.numEnvs = cfg.numEnvs;
    this.firstEnvIndex = cfg.firstEnvIndex;
    this.numWorkers = cfg.numWorkers;
    this.seed = cfg.seed;
    this.dr = dr;
    this.dims = taskDims(task);
    this.signals = { observations: task.observations.map((s) => s.name), actions: task.actions.map((s) => s.name), rewardTerms: [...task.rewardTerms] };
    this.buffers = allocateBuffers(cfg.numEnvs, this.dims, true);
    this.workers = [];
    let first = 0;
    for (let w = 0; w < cfg.numWorkers; w++) {
      const n = Math.floor(cfg.numEnvs / cfg.numWorkers) + (w < cfg.numEnvs % cfg.numWorkers ? 1 : 0);
      const init: WorkerInit = {
        task: location, numEnvs: n, firstEnvIndex: cfg.firstEnvIndex + first, bufferRow: first, seed: cfg.seed, dr, buffers: this.buffers, dims: this.dims,
      };
      this.workers.push(new WorkerHandle(w, init));
      first += n;
    }
  }

  /** Starts the workers, builds every env and resets them (observations are ready on return). */
  static async create(cfg: VecEnvConfig): Promise<VecEnv> {
    const { spec: task, location } = await locateTask(cfg.task, cfg.robot);
    const numWorkers = cfg.numWorkers ?? 1;
    if (!Number.isInteger(cfg.numEnvs) || cfg.numEnvs < 1) throw new Error(`envs: must be a positive integer, got ${cfg.numEnvs}`);
    if (!Number.isInteger(numWorkers) || numWorkers < 1) throw new Error(`workers: must be a positive integer, got ${numWorkers}`);
    if (numWorkers > cfg.numEnvs) throw new Error(`workers: ${numWorkers} workers for ${cfg.numEnvs} envs (need at least one env per worker)`);
    const firstEnvIndex = cfg.firstEnvIndex ?? 0;
    if (!Number.isInteger(firstEnvIndex) || firstEnvIndex < 0) throw new Error(`firstEnvIndex: must be a non-negative integer, got ${firstEnvIndex}`);
    const dr = effectiveRanges(task.dr, { randomize: cfg.randomize ?? true, overrides: cfg.dr ?? {} });
    const env = new VecEnv(task, location, { numEnvs: cfg.numEnvs, firstEnvIndex, numWorkers, seed: cfg.seed ?? 0 }, dr);
    try {
      await Promise.all(env.workers.map((w) => w.ready));
    } catch (e) {
      await env.close();
      throw e;
    }
    return env;
  }

  /** The current observations (`buffers.obs`). */
  get obs(): Float32Array {
    return this.buffers.obs;
  }

  /** The critic's current observations (`buffers.criticObs`; empty for a task without a critic group). */
  get criticObs(): Float32Array {
    return this.buffers.criticObs;
  }

  /** Resets every env; resolves to their first observations. */
  async reset(): Promise<Float32Array> {
    await this.all({ cmd: 'reset' });
    return this.buffers.obs;
  }

  /**
   * One control step of every env with `actions` (copied into `buffers.actions`), or without
   * them with what `buffers.actions` holds. Resolves to the buffers, whose `obs`, `rewards`,
   * `terminated`, `truncated`, `terminalObs`, `episodeReturn/Length` and `rewardTerms` then
   * hold the results.
   */
  async step(actions?: Float32Array): Promise<EnvBuffers> {
    if (actions) this.buffers.actions.set(actions);
    await this.all({ cmd: 'step' });
    return this.buffers;
  }

  /** Runs `steps` bare `world.step()` calls in every worker at once; returns the wall time (s). */
  async rawPhysics(steps: number): Promise<number> {
    const t0 = performance.now();
    await this.all({ cmd: 'raw', steps });
    return (performance.now() - t0) / 1000;
  }

  /** What env `i` (counted from this vec env's first) got at its last reset. */
  drSample(i: number): DrSample {
    if (!(i >= 0 && i < this.numEnvs)) throw new Error(`env index ${i} out of range (0–${this.numEnvs - 1})`);
    return unpackSample(this.buffers.drSamples, i * DR_KEYS.length);
  }

  /**
   * Everything the envs need to continue exactly as they would have (one group state per
   * worker: world snapshot, RNGs, randomization, latency queues, push timers, task state,
   * counters, the buffers' contents), for a checkpoint. Saving changes nothing: the next
   * steps are the same with or without it.
   */
  async saveState(): Promise<VecEnvState> {
    const replies = await this.all({ cmd: 'save' });
    const workers = replies.map((r, w) => {
      if (r.type !== 'done' || !r.state) throw new VecEnvError(`worker ${w} sent no state`, w, null);
      return r.state;
    });
    return { format: ENV_STATE_FORMAT, version: ENV_STATE_VERSION, header: this.stateHeader(), workers };
  }

  /**
   * Continues from `state` (from `saveState` of a vec env with the same task, env and worker
   * counts, seed and randomization ranges): afterwards the buffers hold what they held at the
   * save, and the same actions give bit-identical steps. A mismatch is an error naming it and
   * changes nothing; `state` is copied, not consumed.
   */
  async loadState(state: VecEnvState): Promise<void> {
    if (this.closed) throw new Error('vec env is closed');
    const what = 'cannot load vec env state';
    checkStateHeader(what, state, this.stateHeader());
    if (!Array.isArray(state.workers) || state.workers.length !== this.numWorkers) throw new Error(`${what}: workers must list ${this.numWorkers} group states`);
    await this.settle(this.workers.map((w, i) => w.request({ cmd: 'load', state: state.workers[i] as EnvGroupState })));
  }

  /** What a saved state must match to be loaded here. */
  private stateHeader(): VecEnvHeader {
    return {
      task: this.task.name, robot: this.robotSpec.name, numEnvs: this.numEnvs, numWorkers: this.numWorkers,
      // only a vec env of a run's later slots says where they start: states saved before it existed still load
      ...(this.firstEnvIndex !== 0 ? { firstEnvIndex: this.firstEnvIndex } : {}),
      seed: this.seed, dims: { ...this.dims }, dr: copyRanges(this.dr),
    };
  }

  /** The mean over envs of each of the task's metrics (`TaskSpec.metrics`), e.g. `terrain_level`. */
  iterationMetrics(): Record<string, number> {
    const names = this.task.metrics ?? [];
    const m = names.length, out: Record<string, number> = {};
    for (let k = 0; k < m; k++) {
      let sum = 0;
      for (let i = 0; i < this.numEnvs; i++) sum += this.buffers.taskMetrics[i * m + k] as number;
      out[names[k] as string] = sum / this.numEnvs;
    }
    return out;
  }

  /** Counters summed over workers. */
  async stats(): Promise<EnvGroupStats> {
    const replies = await this.all({ cmd: 'stats' });
    const total: EnvGroupStats = { nonFiniteResets: 0, pushes: 0 };
    for (const r of replies) {
      if (r.type === 'done' && r.stats) {
        total.nonFiniteResets += r.stats.nonFiniteResets;
        total.pushes += r.stats.pushes;
      }
    }
    return total;
  }

  /** How often each worker has been restarted after a failure. */
  get workerRestarts(): number[] {
    return this.workers.map((w) => w.restarts);
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private all(m: WorkerCommand): Promise<(WorkerReply & { type: 'done' | 'ready' })[]> {
    if (this.closed) return Promise.reject(new Error('vec env is closed'));
    return this.settle(this.workers.map((w) => w.request(m)));
  }

  /** Waits for every request; restarts failed workers, then throws the first failure. */
  private async settle<T>(requests: Promise<T>[]): Promise<T[]> {
    const results = await Promise.allSettled(requests);
    const failed = results.flatMap((r, w) => (r.status === 'rejected' ? [{ w, error: r.reason as Error }] : []));
    if (failed.length === 0) return results.map((r) => (r as PromiseFulfilledResult<T>).value);
    await Promise.all(failed.map(({ w }) => this.restart(w)));
    throw failed[0]?.error;
  }

  private async restart(index: number): Promise<void> {
    const w = this.workers[index];
    if (!w) return;
    await w.terminate();
    w.restarts++;
    w.start();
    await w.ready;
  }
}
