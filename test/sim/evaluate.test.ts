/**
 * The one driver of an env group with a policy: `evaluatePolicy` reports each env's first
 * episode exactly as stepping an identically seeded env group by hand with the same policy
 * gives it, and a recording made through it holds those very episodes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { evaluatePolicy } from '../../src/sim/evaluate.ts';
import type { BatchPolicy } from '../../src/sim/episodes.ts';
import { Rng } from '../../src/task/rng.ts';
import { recordEpisodes } from '../../src/viewer/record_episodes.ts';
import { readRecording } from '../../src/robot/recording.ts';
import { cartpole } from '../../envs/cartpole.ts';

const dir = mkdtempSync(path.join(tmpdir(), 's2r-evaluate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A linear controller a = k · obs with random gains near a balancing one (cartpole: 4 obs, 1 action). */
function linearPolicy(rng: Rng): BatchPolicy {
  const k = [0.5, 1, 8, 1.5].map((g) => g * rng.uniform(0.3, 1.2));
  return async (obs) => Float32Array.from({ length: obs.length / 4 }, (_, i) => k.reduce((a, g, j) => a + g * obs[4 * i + j]!, 0));
}

/** Each env's first-episode return and length, stepping a fresh group by hand. */
async function byHand(policy: BatchPolicy, episodes: number, seed: number): Promise<{ returns: number[]; lengths: number[] }> {
  const g = await EnvGroup.create({ task: cartpole, numEnvs: episodes, firstEnvIndex: 0, seed, dr: cartpole.dr });
  const returns = new Array<number>(episodes).fill(NaN), lengths = new Array<number>(episodes).fill(NaN);
  try {
    while (lengths.some(Number.isNaN)) {
      g.buffers.actions.set(await policy(g.buffers.obs));
      g.step();
      for (let i = 0; i < episodes; i++) {
        if (Number.isNaN(lengths[i]!) && (g.buffers.terminated[i] || g.buffers.truncated[i])) {
          returns[i] = g.buffers.episodeReturn[i]!;
          lengths[i] = g.buffers.episodeLength[i]!;
        }
      }
    }
  } finally {
    g.dispose();
  }
  return { returns, lengths };
}

describe('evaluatePolicy', () => {
  it('reports exactly the first episodes of an identically seeded env group stepped by hand, and records those episodes', async () => {
    const seed = Math.floor(Math.random() * 1e9);
    const msg = `seed ${seed}`;
    const policy = linearPolicy(new Rng(seed, 1));
    const want = await byHand(policy, 6, seed);
    const r = await evaluatePolicy({ task: cartpole, policy, episodes: 6, seed, dr: cartpole.dr });
    expect(r.returns, msg).toEqual(want.returns);
    expect(r.lengths, msg).toEqual(want.lengths);
    expect(r.episodes).toBe(6);
    const mean = want.returns.reduce((a, b) => a + b, 0) / 6;
    expect(r.mean_return, msg).toBeCloseTo(mean, 9);
    expect(r.std_return, msg).toBeCloseTo(Math.sqrt(want.returns.reduce((a, b) => a + (b - mean) ** 2, 0) / 6), 9);

    const file = path.join(dir, 'eval.rec');
    expect(await recordEpisodes({ task: cartpole, policy, episodes: 6, seed, dr: cartpole.dr, file, source: 'vitest' })).toBe(6);
    const rec = readRecording(file);
    const byEnv = new Map(rec.episodes.map((e) => [e.meta.env, e.meta.steps]));
    expect(want.lengths.map((_, i) => byEnv.get(i)), msg).toEqual(want.lengths);
  });
});
