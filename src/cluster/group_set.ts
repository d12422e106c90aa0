/**
 * The env groups one member of a cluster run steps — a rollout host's, or the learner's own
 * local workers' — each group a one-worker local vec env holding env slots [first, first+count)
 * of the run, so its seeds and RNG streams are the slots' wherever it runs. Groups come and go
 * between iterations (assigned, moved, released); operations are queued, one at a time.
 */
import { VecEnv, type EnvGroupState, type VecEnvState } from '../sim/vec/vec_env.ts';
import type { EnvDims } from '../sim/env_buffers.ts';
import type { DomainRandomization } from '../task/randomize.ts';
import type { SignalNames } from '../rl/rollout_source.ts';
import type { GroupSpec } from './protocol.ts';

/** What every group of a run is built from (as `trainingEnvs` builds the local vec env). */
export interface GroupRunConfig {
  /** Task name or module path. */
  task: string;
  /** Robot contract path when not the task's own. */
  robot?: string;
  seed: number;
  dr: DomainRandomization;
}

/**
 * One step's results for a list of groups, their rows in order; `terminalObs` holds only the
 * rows whose episode ended (in row order), which is all the learner reads of it.
 */
export interface StepRows {
  obs: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  rewardTerms: Float32Array;
  episodeReturn: Float32Array;
  episodeLength: Int32Array;
  terminalObs: Float32Array;
}

/** The env groups a member holds, by group index. */
export class GroupSet {
  private readonly groups = new Map<number, { spec: GroupSpec; env: VecEnv }>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly run: GroupRunConfig) {}

  /** Indices of the groups held, ascending. */
  get indices(): number[] {
    return [...this.groups.keys()].sort((a, b) => a - b);
  }

  /** Envs held in all. */
  get numEnvs(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.spec.count;
    return n;
  }

  has(index: number): boolean {
    return this.groups.has(index);
  }

  /** Row widths and signal names of the run's task (from any group held; null when none is). */
  describe(): { dims: EnvDims; signals: SignalNames } | null {
    const g = this.groups.values().next().value;
    return g ? { dims: { ...g.env.dims }, signals: g.env.signals } : null;
  }

  /** Runs `fn` after every operation queued before it (one at a time: a worker thread takes one request at a time). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Builds group `spec` (replacing one held under its index): from a reset, or continuing from
   * `state` (a group state of this run saved elsewhere).
   */
  add(spec: GroupSpec, state: EnvGroupState | null): Promise<void> {
    return this.exclusive(async () => {
      await this.drop(spec.index);
      const r = this.run;
      const env = await VecEnv.create({
        task: r.task, ...(r.robot !== undefined ? { robot: r.robot } : {}), numEnvs: spec.count, firstEnvIndex: spec.first, numWorkers: 1,
        seed: r.seed, dr: { ...r.dr }, randomize: true,
      });
      try {
        if (state) await env.loadState(groupAsVecState(state));
      } catch (e) {
        await env.close();
        throw new Error(`group ${spec.index}: ${(e as Error).message}`);
      }
      this.groups.set(spec.index, { spec, env });
    });
  }

  /** Closes and forgets the groups `indices` (those held). */
  remove(indices: readonly number[]): Promise<void> {
    return this.exclusive(async () => {
      for (const i of indices) await this.drop(i);
    });
  }

  /** Closes every group. */
  clear(): Promise<void> {
    return this.remove(this.indices);
  }

  /** Resets every env of `indices`. */
  reset(indices: readonly number[]): Promise<void> {
    return this.exclusive(async () => {
      await Promise.all(indices.map((i) => this.get(i).env.reset()));
    });
  }

  /** The saved state of group `index` (its one worker's). */
  save(index: number): Promise<EnvGroupState> {
    return this.exclusive(async () => {
      const s = await this.get(index).env.saveState();
      return s.workers[0] as EnvGroupState;
    });
  }

  /** Observations of `indices`, rows in order. */
  obs(indices: readonly number[]): Float32Array {
    const gs = indices.map((i) => this.get(i));
    const out = new Float32Array(gs.reduce((n, g) => n + g.env.buffers.obs.length, 0));
    let at = 0;
    for (const g of gs) {
      out.set(g.env.buffers.obs, at);
      at += g.env.buffers.obs.length;
    }
    return out;
  }

  /** One step of the groups `indices` with `actions` (their rows in order); resolves to the results. */
  step(indices: readonly number[], actions: Float32Array): Promise<StepRows> {
    return this.exclusive(async () => {
      const gs = indices.map((i) => this.get(i));
      const actDim = gs[0]?.env.dims.actDim ?? 0;
      const rows = gs.reduce((n, g) => n + g.spec.count, 0);
      if (actions.length !== rows * actDim) throw new Error(`step: ${actions.length} action values for ${rows} envs of ${actDim} actions`);
      let at = 0;
      for (const g of gs) {
        g.env.buffers.actions.set(actions.subarray(at, at + g.spec.count * actDim));
        at += g.spec.count * actDim;
      }
      await Promise.all(gs.map((g) => g.env.step()));
      return collectRows(gs.map((g) => g.env));
    });
  }

  private get(index: number): { spec: GroupSpec; env: VecEnv } {
    const g = this.groups.get(index);
    if (!g) throw new Error(`group ${index} is not held here`);
    return g;
  }

  private async drop(index: number): Promise<void> {
    const g = this.groups.get(index);
    if (!g) return;
    this.groups.delete(index);
    await g.env.close();
  }
}

/** A one-group local vec env's state holding `group` (the header a vec env of that group's slots checks). */
function groupAsVecState(group: EnvGroupState): VecEnvState {
  const h = group.header;
  return {
    format: group.format, version: group.version,
    header: {
      task: h.task, robot: h.robot, numEnvs: h.numEnvs, numWorkers: 1, ...(h.firstEnvIndex !== 0 ? { firstEnvIndex: h.firstEnvIndex } : {}),
      seed: h.seed, dims: h.dims, dr: h.dr,
    },
    workers: [group],
  };
}

/** The rows of `envs`' buffers after a step, concatenated (terminal observations of ended rows only). */
function collectRows(envs: VecEnv[]): StepRows {
  const cat = <T extends Float32Array | Uint8Array | Int32Array>(Ctor: new (n: number) => T, pick: (e: VecEnv) => T): T => {
    const out = new Ctor(envs.reduce((n, e) => n + pick(e).length, 0));
    let at = 0;
    for (const e of envs) {
      out.set(pick(e), at);
      at += pick(e).length;
    }
    return out;
  };
  const terminated = cat(Uint8Array, (e) => e.buffers.terminated), truncated = cat(Uint8Array, (e) => e.buffers.truncated);
  const obsDim = envs[0]?.dims.obsDim ?? 0;
  let ended = 0;
  for (let i = 0; i < terminated.length; i++) if (terminated[i] || truncated[i]) ended++;
  const terminalObs = new Float32Array(ended * obsDim);
  let row = 0, k = 0;
  for (const e of envs) {
    for (let i = 0; i < e.numEnvs; i++, row++) {
      if (terminated[row] || truncated[row]) terminalObs.set(e.buffers.terminalObs.subarray(i * obsDim, (i + 1) * obsDim), obsDim * k++);
    }
  }
  return {
    obs: cat(Float32Array, (e) => e.buffers.obs), rewards: cat(Float32Array, (e) => e.buffers.rewards), terminated, truncated,
    rewardTerms: cat(Float32Array, (e) => e.buffers.rewardTerms), episodeReturn: cat(Float32Array, (e) => e.buffers.episodeReturn),
    episodeLength: cat(Int32Array, (e) => e.buffers.episodeLength), terminalObs,
  };
}
