import { afterEach, describe, expect, it } from 'vitest';
import { VecEnv, type VecEnvConfig } from '../../src/sim/vec/vec_env.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { Rng, type RngState } from '../../src/task/rng.ts';
import { resolveRandomization } from '../../src/task/randomize.ts';
import { getTask } from '../../envs/index.ts';
import type { EnvGroupState, VecEnvState } from '../../src/sim/env_state.ts';

const open: VecEnv[] = [];
async function make(cfg: VecEnvConfig): Promise<VecEnv> {
  const v = await VecEnv.create(cfg);
  open.push(v);
  return v;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close()));
});

/** What a trainer sees after each step, for `steps` steps, concatenated. */
interface Trace {
  obs: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  terminalObs: Float32Array;
}

/** Steps `v` with uniform actions in ±`scale` from `rng` and records every step's results. */
async function record(v: VecEnv, steps: number, rng: Rng, scale: number): Promise<Trace> {
  const b = v.buffers;
  const t: Trace = {
    obs: new Float32Array(steps * b.obs.length), rewards: new Float32Array(steps * b.rewards.length),
    terminated: new Uint8Array(steps * b.terminated.length), truncated: new Uint8Array(steps * b.truncated.length),
    terminalObs: new Float32Array(steps * b.terminalObs.length),
  };
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < b.actions.length; i++) b.actions[i] = scale * (2 * rng.next() - 1);
    await v.step();
    t.obs.set(b.obs, s * b.obs.length);
    t.rewards.set(b.rewards, s * b.rewards.length);
    t.terminated.set(b.terminated, s * b.terminated.length);
    t.truncated.set(b.truncated, s * b.truncated.length);
    // rows of envs that did not just finish hold stale data: keep only the finished ones
    const w = v.dims.obsDim;
    for (let i = 0; i < v.numEnvs; i++) {
      if (b.terminated[i] || b.truncated[i]) t.terminalObs.set(b.terminalObs.subarray(i * w, (i + 1) * w), (s * v.numEnvs + i) * w);
    }
  }
  return t;
}

/** The first step (or -1) at which two traces differ in any bit. */
function firstDifference(a: Trace, b: Trace, numEnvs: number): number {
  const steps = a.rewards.length / numEnvs;
  for (const key of ['obs', 'rewards', 'terminated', 'truncated', 'terminalObs'] as const) {
    const x = a[key], y = b[key];
    const row = x.length / steps;
    const bx = new Uint8Array(x.buffer), by = new Uint8Array(y.buffer);
    const bytes = x.BYTES_PER_ELEMENT * row;
    for (let s = 0; s < steps; s++) {
      if (!Buffer.from(bx.buffer, s * bytes, bytes).equals(Buffer.from(by.buffer, s * bytes, bytes))) return s;
    }
  }
  return -1;
}

const rngFrom = (state: RngState) => {
  const r = new Rng(0);
  r.setState(state);
  return r;
};
const episodesEnded = (t: Trace) => t.terminated.reduce((n, x) => n + x, 0) + t.truncated.reduce((n, x) => n + x, 0);
const savedPushes = (s: VecEnvState) => s.workers.reduce((n, w) => n + w.stats.pushes, 0);

/** What a checkpoint writer might do: JSON, with typed arrays as base64 of their bytes. */
function throughJson<T>(state: T): T {
  const text = JSON.stringify(state, (_k, v: unknown) =>
    ArrayBuffer.isView(v) ? { $typed: v.constructor.name, base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } : v);
  const ctors: Record<string, new (b: ArrayBuffer) => ArrayBufferView> = { Uint8Array, Int32Array, Float32Array, Float64Array };
  return JSON.parse(text, (_k, v: unknown) => {
    if (typeof v !== 'object' || v === null || !('$typed' in v)) return v;
    const { $typed, base64 } = v as { $typed: string; base64: string };
    const bytes = Buffer.from(base64, 'base64');
    const ctor = ctors[$typed];
    if (!ctor) throw new Error(`unexpected typed array ${$typed}`);
    return new ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }) as T;
}

/**
 * Cartpole with random actions falls within ~30–100 steps, so 150 steps cross auto-resets;
 * the quadruped is pushed every 0.2 s (10 control steps) and, under ±4 actions, falls too.
 */
const CASES = [
  { name: 'cartpole', cfg: { task: 'cartpole', numEnvs: 6, numWorkers: 2 }, before: 23, after: 150, actionScale: 1 },
  { name: 'quadruped', cfg: { task: 'quadruped', numEnvs: 4, numWorkers: 2, dr: { push_interval_s: [0.2, 0.2] } }, before: 17, after: 150, actionScale: 4 },
];

describe.each(CASES)('$name env state (default randomization, 2 workers)', ({ cfg, before, after, actionScale }) => {
  it('a fresh vec env that loads a saved state continues bit for bit (resets and pushes included), and so does the original rewound', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const a = await make({ ...cfg, seed });
    const rng = new Rng(seed, 99);
    await record(a, before, rng, actionScale);
    const state = await a.saveState();
    const obsAtSave = a.buffers.obs.slice();
    const rngAtSave = rng.getState();
    const original = await record(a, after, rng, actionScale);
    expect(episodesEnded(original)).toBeGreaterThan(0);
    expect((await a.stats()).pushes).toBeGreaterThan(cfg.task === 'quadruped' ? savedPushes(state) : -1);

    const b = await make({ ...cfg, seed });
    await b.loadState(throughJson(state));
    expect(Buffer.from(b.buffers.obs.buffer).equals(Buffer.from(obsAtSave.buffer))).toBe(true);
    const resumed = await record(b, after, rngFrom(rngAtSave), actionScale);
    expect(firstDifference(original, resumed, a.numEnvs)).toBe(-1);

    // the state was not consumed, and loading works on envs that have moved on
    await a.loadState(state);
    const rewound = await record(a, after, rngFrom(rngAtSave), actionScale);
    expect(firstDifference(original, rewound, a.numEnvs)).toBe(-1);
  });

  it('saving does not perturb the run', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const withSave = await make({ ...cfg, seed });
    const without = await make({ ...cfg, seed });
    const r1 = new Rng(seed, 7), r2 = new Rng(seed, 7);
    await record(withSave, before, r1, actionScale);
    await record(without, before, r2, actionScale);
    await withSave.saveState();
    const x = await record(withSave, after, r1, actionScale);
    const y = await record(without, after, r2, actionScale);
    expect(firstDifference(x, y, withSave.numEnvs)).toBe(-1);
  });
});

describe('loading a mismatched env state', () => {
  it('is an error naming each mismatch, and leaves the vec env as it was', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const base = { task: 'cartpole', numEnvs: 4, numWorkers: 2, seed };
    const a = await make(base);
    const state = await a.saveState();
    const cases: [VecEnvConfig, RegExp][] = [
      [{ ...base, numWorkers: 1 }, /cannot load vec env state: saved for a different configuration \(numWorkers: saved 2, here 1\)/],
      [{ ...base, numEnvs: 6 }, /numEnvs: saved 4, here 6/],
      [{ ...base, seed: seed + 1 }, new RegExp(`seed: saved ${seed}, here ${seed + 1}`)],
      [{ ...base, dr: { friction: [0.5, 1.5] } }, /dr\.friction: saved \[1,1\], here \[0\.5,1\.5\]/],
      [{ ...base, task: 'pendulum' }, /task: saved "cartpole", here "pendulum"; robot: saved "cartpole", here "pendulum"; dims\.obsDim: saved 4, here 3/],
    ];
    for (const [cfg, message] of cases) {
      const v = await make(cfg);
      const obs = v.buffers.obs.slice();
      await expect(v.loadState(state)).rejects.toThrow(message);
      expect(Array.from(v.buffers.obs)).toEqual(Array.from(obs));
      v.buffers.actions.fill(0);
      await v.step();
      expect(v.workerRestarts.every((n) => n === 0)).toBe(true);
    }
    await expect(a.loadState({ ...state, version: 2 } as unknown as VecEnvState)).rejects.toThrow(/saved as version 2, this build reads version 1/);
    await expect(a.loadState({} as VecEnvState)).rejects.toThrow(/not a saved env state/);
  });
});

describe('EnvGroup state (one thread)', () => {
  // saved so that the 60 steps after the save cross a time-out reset (episodes of 500 and 50 steps)
  it.each([['pendulum', 470], ['reacher', 20]] as const)('%s: a second group continues bit for bit from a saved state, through a reset', async (name, before) => {
    const task = getTask(name);
    const seed = Math.floor(Math.random() * 1e6);
    const mk = () => EnvGroup.create({ task, numEnvs: 3, firstEnvIndex: 0, seed, dr: resolveRandomization(task.dr) });
    const a = await mk(), b = await mk();
    const rng = new Rng(seed, 5);
    const run = (g: EnvGroup, r: Rng, steps: number): Float32Array => {
      const out = new Float32Array(steps * (g.buffers.obs.length + g.buffers.rewards.length));
      for (let s = 0, o = 0; s < steps; s++) {
        for (let i = 0; i < g.buffers.actions.length; i++) g.buffers.actions[i] = 2 * r.next() - 1;
        g.step();
        out.set(g.buffers.obs, o);
        out.set(g.buffers.rewards, (o += g.buffers.obs.length));
        o += g.buffers.rewards.length;
      }
      return out;
    };
    run(a, rng, before);
    const state: EnvGroupState = a.saveState();
    const at = rng.getState();
    const x = run(a, rng, 60);
    b.loadState(throughJson(state));
    const y = run(b, rngFrom(at), 60);
    expect(Buffer.from(y.buffer).equals(Buffer.from(x.buffer))).toBe(true);
    const other = await EnvGroup.create({ task, numEnvs: 3, firstEnvIndex: 3, seed, dr: resolveRandomization(task.dr) });
    expect(() => other.loadState(state)).toThrow(/cannot load env group state: saved for a different configuration \(firstEnvIndex: saved 0, here 3\)/);
    for (const g of [a, b, other]) g.dispose();
  });
});
