import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { VecEnv, VecEnvError } from '../../src/sim/vec/vec_env.ts';
import { Rng } from '../../src/task/rng.ts';
import { NOMINAL, DR_KEYS } from '../../src/task/randomize.ts';

const fixture = (f: string) => path.resolve(import.meta.dirname, '../fixtures/tasks', f);
const open: VecEnv[] = [];
async function make(cfg: Parameters<typeof VecEnv.create>[0]): Promise<VecEnv> {
  const v = await VecEnv.create(cfg);
  open.push(v);
  return v;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close()));
});

/** Runs `steps` steps with actions from `seed`; returns a copy of every step's obs and rewards. */
async function rollout(v: VecEnv, steps: number, seed: number): Promise<Float32Array[]> {
  const rng = new Rng(seed);
  const out: Float32Array[] = [];
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < v.buffers.actions.length; i++) v.buffers.actions[i] = 2 * rng.next() - 1;
    await v.step();
    out.push(v.buffers.obs.slice(), v.buffers.rewards.slice());
  }
  return out;
}

describe('VecEnv', () => {
  it('is deterministic for a seed and worker count, and the seed matters', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const a = await make({ task: 'cartpole', numEnvs: 6, numWorkers: 2, seed });
    const b = await make({ task: 'cartpole', numEnvs: 6, numWorkers: 2, seed });
    const c = await make({ task: 'cartpole', numEnvs: 6, numWorkers: 2, seed: seed + 1 });
    const ra = await rollout(a, 60, seed);
    const rb = await rollout(b, 60, seed);
    const rc = await rollout(c, 60, seed);
    for (let k = 0; k < ra.length; k++) expect(Array.from(rb[k]!)).toEqual(Array.from(ra[k]!));
    expect(ra.some((x, k) => x.some((v, i) => v !== rc[k]![i]))).toBe(true);
  });

  it('auto-resets a fallen cartpole: terminal observation kept, fresh episode observed', async () => {
    const v = await make({ task: 'cartpole', numEnvs: 4, numWorkers: 1, seed: 7, randomize: false });
    v.buffers.actions.fill(0);
    const steps = new Array(4).fill(0);
    let seen = 0;
    for (let s = 0; s < 400 && seen < 4; s++) {
      await v.step();
      for (let i = 0; i < 4; i++) {
        steps[i]++;
        if (v.buffers.terminated[i]) {
          expect(v.buffers.truncated[i]).toBe(0);
          const term = v.buffers.terminalObs.subarray(i * 4, i * 4 + 4);
          const cur = v.buffers.obs.subarray(i * 4, i * 4 + 4);
          // the pole fell past 12° (or the cart left ±2.4 m), and the new episode starts near upright
          expect(Math.abs(term[2]!) > (12 * Math.PI) / 180 || Math.abs(term[0]!) > 2.4).toBe(true);
          for (const x of cur) expect(Math.abs(x)).toBeLessThanOrEqual(0.05 + 1e-6);
          expect(v.buffers.episodeLength[i]).toBe(steps[i]);
          expect(v.buffers.episodeReturn[i]).toBeCloseTo(steps[i], 3); // +1 per step alive
          steps[i] = 0;
          seen++;
        }
      }
    }
    expect(seen).toBeGreaterThanOrEqual(4);
  });

  it('truncates at the time limit without terminating (pendulum, 500 steps)', async () => {
    const v = await make({ task: 'pendulum', numEnvs: 3, numWorkers: 1, seed: 3 });
    v.buffers.actions.fill(0);
    for (let s = 1; s <= 500; s++) {
      await v.step();
      for (let i = 0; i < 3; i++) {
        expect(v.buffers.terminated[i]).toBe(0);
        expect(v.buffers.truncated[i]).toBe(s === 500 ? 1 : 0);
      }
    }
    for (let i = 0; i < 3; i++) expect(v.buffers.episodeLength[i]).toBe(500);
  });

  it('reward equals the sum of the reported reward terms', async () => {
    const v = await make({ task: 'reacher', numEnvs: 5, numWorkers: 1, seed: 11 });
    const n = v.task.rewardTerms.length;
    await rollout(v, 10, 5);
    for (let i = 0; i < 5; i++) {
      let sum = 0;
      for (let t = 0; t < n; t++) sum += v.buffers.rewardTerms[i * n + t]!;
      expect(v.buffers.rewards[i]).toBeCloseTo(sum, 5);
    }
  });

  it('samples randomization inside the configured ranges, reproducibly, and nominal when off', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const dr = { friction: [0.4, 1.2], motor_strength: [0.8, 1.1], latency_steps: [0, 2] };
    const a = await make({ task: 'cartpole', numEnvs: 16, numWorkers: 2, seed, dr });
    const b = await make({ task: 'cartpole', numEnvs: 16, numWorkers: 2, seed, dr });
    const frictions = new Set<number>();
    for (let i = 0; i < 16; i++) {
      const s = a.drSample(i);
      expect(s.friction).toBeGreaterThanOrEqual(0.4);
      expect(s.friction).toBeLessThanOrEqual(1.2);
      expect(s.motor_strength).toBeGreaterThanOrEqual(0.8);
      expect(s.motor_strength).toBeLessThanOrEqual(1.1);
      expect([0, 1, 2]).toContain(s.latency_steps);
      expect(b.drSample(i)).toEqual(s);
      frictions.add(s.friction);
    }
    expect(frictions.size).toBe(16);
    const off = await make({ task: 'cartpole', numEnvs: 4, numWorkers: 1, seed, dr, randomize: false });
    for (let i = 0; i < 4; i++) {
      const s = off.drSample(i);
      expect(s.friction).toBe(NOMINAL.friction[0]);
      expect(s.latency_steps).toBe(0);
      expect(s.gravity_z).toBeCloseTo(-9.81, 12);
      expect(Object.keys(s)).toEqual([...DR_KEYS]);
    }
  });

  it('refuses an unknown randomization key and an inverted range, naming the key', async () => {
    await expect(VecEnv.create({ task: 'cartpole', numEnvs: 1, dr: { frictoin: [0, 1] } })).rejects.toThrow(/dr\.frictoin: unknown/);
    await expect(VecEnv.create({ task: 'cartpole', numEnvs: 1, dr: { friction: [1.2, 0.4] } })).rejects.toThrow(/dr\.friction: lower bound/);
    await expect(VecEnv.create({ task: 'no_such_task', numEnvs: 1 })).rejects.toThrow(/unknown env "no_such_task" \(known: cartpole/);
  });

  it('a NaN action is refused with the env and action named, and nothing is stepped', async () => {
    const v = await make({ task: 'cartpole', numEnvs: 4, numWorkers: 2, seed: 1 });
    v.buffers.actions.fill(0);
    v.buffers.actions[2] = NaN;
    await expect(v.step()).rejects.toThrow(/env 2: action\[0\] \(slider_force\) is NaN/);
  });

  it('a worker whose task throws is reported with the env index and restarted', async () => {
    const v = await make({ task: fixture('faulty_throw.ts'), numEnvs: 6, numWorkers: 2, seed: 2 });
    v.buffers.actions.fill(0);
    let err: unknown;
    for (let s = 0; s < 10 && !err; s++) await v.step().catch((e) => (err = e));
    expect(err).toBeInstanceOf(VecEnvError);
    expect((err as VecEnvError).envIndex).toBe(3);
    expect((err as Error).message).toMatch(/env 3: task failure injected/);
    expect(v.workerRestarts).toEqual([0, 1]);
    for (let s = 0; s < 3; s++) await v.step(); // the restarted worker serves again
    expect(v.buffers.obs.every(Number.isFinite)).toBe(true);
  });

  it('a worker thread that dies is reported with its env range and restarted, not a hang', async () => {
    const v = await make({ task: fixture('faulty_exit.ts'), numEnvs: 4, numWorkers: 2, seed: 2 });
    v.buffers.actions.fill(0);
    let err: unknown;
    for (let s = 0; s < 5 && !err; s++) await v.step().catch((e) => (err = e));
    expect((err as Error).message).toMatch(/worker 0 \(envs 0–1\) exited with code 7/);
    expect(v.workerRestarts).toEqual([1, 0]);
    await v.step();
  });
});
