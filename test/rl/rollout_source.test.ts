/**
 * The runner against the rollout-source seam alone: a small deterministic environment written
 * here in plain TypeScript (no physics, no workers) implements `RolloutSource`, and training on
 * it behaves as training on the vec env does — metrics named by its reward terms and fed by its
 * episodes, its state in every checkpoint, a stopped and resumed run bit-identical to a straight
 * one — so a remote or recorded source that keeps the contract trains the same way.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OnPolicyRunner } from '../../src/rl/runner.ts';
import { resolveTrainConfig, type TrainConfig } from '../../src/rl/config.ts';
import { latestCheckpoint, readCheckpoint } from '../../src/rl/checkpoint.ts';
import { readMetrics } from '../../src/rl/metrics.ts';
import type { PpoState } from '../../src/rl/ppo.ts';
import type { RolloutSource, RolloutStep } from '../../src/rl/rollout_source.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { Rng } from '../../src/task/rng.ts';
import { getTask } from '../../envs/index.ts';

const MAX_STEPS = 25;

/** What `PointSource.saveState` returns. */
interface PointState { kind: 'point'; seed: number; x: Float64Array; steps: Int32Array; ret: Float64Array; rng: Int32Array; obs: Float32Array }

/**
 * A point on a line per env: the action moves it (clipped to ±1, 0.2 per step), reward terms
 * `near` (−|x|) and `alive` (1); it ends terminated beyond |x| > 2 and truncated after 25 steps,
 * and restarts at a random x in [−1.5, 1.5]. Observations: [x, x²].
 */
class PointSource implements RolloutSource {
  readonly dims = { obsDim: 2, actDim: 1, numTerms: 2 };
  readonly signals = { observations: ['x', 'x_squared'], actions: ['push'], rewardTerms: ['near', 'alive'] };
  readonly obs: Float32Array;
  /** Every finished episode's return, in order (what the runner's mean_return must average). */
  readonly finished: number[] = [];
  closed = false;
  private readonly out: { [K in keyof RolloutStep]: RolloutStep[K] };
  private readonly x: Float64Array;
  private readonly steps: Int32Array;
  private readonly ret: Float64Array;
  private readonly rng: Rng;

  constructor(readonly numEnvs: number, readonly seed: number) {
    const n = numEnvs;
    this.obs = new Float32Array(2 * n);
    this.out = {
      obs: this.obs, rewards: new Float32Array(n), terminated: new Uint8Array(n), truncated: new Uint8Array(n), terminalObs: new Float32Array(2 * n),
      rewardTerms: new Float32Array(2 * n), episodeReturn: new Float32Array(n), episodeLength: new Int32Array(n),
    };
    this.x = new Float64Array(n);
    this.steps = new Int32Array(n);
    this.ret = new Float64Array(n);
    this.rng = new Rng(seed, 0x9017);
    for (let i = 0; i < n; i++) this.restart(i);
  }

  async reset(): Promise<Float32Array> {
    for (let i = 0; i < this.numEnvs; i++) this.restart(i);
    return this.obs;
  }

  async step(actions: Float32Array): Promise<RolloutStep> {
    const o = this.out;
    for (let i = 0; i < this.numEnvs; i++) {
      this.x[i] = this.x[i]! + 0.2 * Math.max(-1, Math.min(1, actions[i]!));
      this.steps[i] = this.steps[i]! + 1;
      const x = this.x[i]!, near = -Math.abs(x);
      o.rewardTerms[2 * i] = near;
      o.rewardTerms[2 * i + 1] = 1;
      o.rewards[i] = near + 1;
      this.ret[i] = this.ret[i]! + o.rewards[i]!;
      const terminated = Math.abs(x) > 2, truncated = !terminated && this.steps[i]! >= MAX_STEPS;
      o.terminated[i] = terminated ? 1 : 0;
      o.truncated[i] = truncated ? 1 : 0;
      this.observe(i);
      if (terminated || truncated) {
        o.terminalObs.set(this.obs.subarray(2 * i, 2 * i + 2), 2 * i);
        o.episodeReturn[i] = this.ret[i]!;
        o.episodeLength[i] = this.steps[i]!;
        this.finished.push(o.episodeReturn[i]!);
        this.restart(i);
      }
    }
    return o;
  }

  async saveState(): Promise<PointState> {
    return { kind: 'point', seed: this.seed, x: this.x.slice(), steps: this.steps.slice(), ret: this.ret.slice(), rng: Int32Array.from(this.rng.getState().s), obs: this.obs.slice() };
  }

  async loadState(state: unknown): Promise<void> {
    const s = state as PointState;
    if (s?.kind !== 'point' || s.seed !== this.seed || s.x?.length !== this.numEnvs) throw new Error('cannot load point state: saved for another configuration');
    this.x.set(s.x);
    this.steps.set(s.steps);
    this.ret.set(s.ret);
    this.obs.set(s.obs);
    const w = s.rng;
    this.rng.setState({ s: [w[0]!, w[1]!, w[2]!, w[3]!], spare: null });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private restart(i: number): void {
    this.x[i] = this.rng.uniform(-1.5, 1.5);
    this.steps[i] = 0;
    this.ret[i] = 0;
    this.observe(i);
  }

  private observe(i: number): void {
    const x = this.x[i]!;
    this.obs[2 * i] = x;
    this.obs[2 * i + 1] = x * x;
  }
}

const dirs: string[] = [];
const open: OnPolicyRunner[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 's2r-source-'));
  dirs.push(d);
  return d;
};

/** 8 iterations of 4 envs × 16 steps. The config names a registered task for its defaults; the envs are the point source's. */
function config(seed: number): TrainConfig {
  return resolveTrainConfig(getTask('cartpole'), 'cartpole', [{
    seed, total_env_steps: 8 * 4 * 16, checkpoint_every: 1, keep_checkpoints: 2, ppo: { num_envs: 4, num_steps: 16, minibatch_size: 32, num_epochs: 2 },
  }]);
}

async function start(cfg: TrainConfig, outDir: string, sources: PointSource[], resume = false): Promise<OnPolicyRunner> {
  const r = await OnPolicyRunner.create({
    config: cfg, backend: new CpuBackend(), outDir, resume,
    createSource: async (c) => {
      const s = new PointSource(c.ppo.num_envs, c.seed);
      sources.push(s);
      return s;
    },
  });
  open.push(r);
  return r;
}

const checkpointOf = (dir: string) => readCheckpoint(latestCheckpoint(path.join(dir, 'checkpoints'))!).arrays as unknown as { ppo: PpoState; env: PointState };
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
/** A metrics row without its timings. */
const untimed = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).filter(([k]) => !/^time_|steps_per_s|wall_time_s/.test(k)));

describe('OnPolicyRunner on a RolloutSource', () => {
  it('trains on a pure-TypeScript source: metrics from its episodes and reward terms, its state in checkpoints, resume bit for bit', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const msg = `seed ${seed}`;
    const straight = tmp(), straightSources: PointSource[] = [];
    const a = await start(config(seed), straight, straightSources);
    expect(await a.run()).toBe('done');
    const source = straightSources[0]!;
    const rows = readMetrics(path.join(straight, 'metrics.jsonl'));
    expect(rows.map((m) => m.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // the source's episodes are what the statistics average: the last 100 returns it reported
    const last = source.finished.slice(-100);
    expect(source.finished.length, msg).toBe(rows.reduce((s, m) => s + (m.episodes as number), 0));
    expect(rows.at(-1)!.mean_return as number, msg).toBeCloseTo(last.reduce((x, y) => x + y, 0) / last.length, 4);
    // per-term sums are named after its reward terms; alive earns 1 per step, so it averages the lengths of the episodes that ended
    const ended = rows.find((m) => (m.episodes as number) > 0)!;
    expect(Object.keys(ended).filter((k) => k.startsWith('episode_'))).toEqual(['episode_near', 'episode_alive']);
    expect(ended.episode_alive as number).toBeGreaterThan(0);
    expect(ended.episode_alive as number).toBeLessThanOrEqual(MAX_STEPS);
    // the checkpoint holds the source's own state under the key runs have always used
    const ck = checkpointOf(straight);
    expect(ck.env.kind).toBe('point');
    expect(Array.from(ck.env.obs)).toEqual(Array.from(source.obs));
    await a.close();
    open.splice(open.indexOf(a), 1);
    expect(source.closed).toBe(true);

    // stopped after 3 iterations, resumed in a new runner with a fresh source: the same numbers
    const split = tmp(), splitSources: PointSource[] = [];
    const b = await start(config(seed), split, splitSources);
    await b.run(3);
    await b.close();
    open.splice(open.indexOf(b), 1);
    const c = await start(config(seed), split, splitSources, true);
    expect(c.iteration).toBe(3);
    await c.run();
    expect(bytes(checkpointOf(split).ppo.params).equals(bytes(ck.ppo.params)), msg).toBe(true);
    expect(readMetrics(path.join(split, 'metrics.jsonl')).map(untimed)).toEqual(rows.map(untimed));
    expect(splitSources.length).toBe(2);
  });

  it('refuses a source of another size, and one whose saved state does not load, closing it either way', async () => {
    const wrong: PointSource[] = [];
    await expect(OnPolicyRunner.create({
      config: config(1), backend: new CpuBackend(), outDir: tmp(),
      createSource: async () => {
        const s = new PointSource(3, 1);
        wrong.push(s);
        return s;
      },
    })).rejects.toThrow('rollout source has 3 envs, ppo.num_envs is 4');
    expect(wrong[0]!.closed).toBe(true);

    const dir = tmp(), sources: PointSource[] = [];
    const r = await start(config(2), dir, sources);
    await r.run(1);
    await r.close();
    open.splice(open.indexOf(r), 1);
    // resumed with another seed: the source refuses the state saved with seed 2
    await expect(start(config(3), dir, sources, true)).rejects.toThrow('cannot load point state: saved for another configuration');
    expect(sources.at(-1)!.closed).toBe(true);
  });
});
