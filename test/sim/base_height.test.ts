/**
 * `eval`'s trunk height: for a robot with a locomotion contract, the mean base height over each
 * env's first episode after the settling time, against the contract's nominal height — the
 * number model cards report; absent for robots without legs.
 */
import { describe, expect, it } from 'vitest';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { evaluatePolicy } from '../../src/sim/evaluate.ts';
import type { BatchPolicy } from '../../src/sim/episodes.ts';
import { NOMINAL } from '../../src/task/randomize.ts';
import { taskOnRobot } from '../../src/task/task_registry.ts';
import { quadruped } from '../../envs/quadruped/quadruped.ts';
import { cartpole } from '../../envs/cartpole.ts';

const zero: BatchPolicy = async (obs) => new Float32Array((obs.length / 48) * 12);
const seed = Math.floor(Math.random() * 2 ** 31);

describe('eval base height', () => {
  it('is the mean base height from the settling time on, over every env still in its first episode, against nominal', async () => {
    const task = { ...taskOnRobot(quadruped, 'robots/a1.json'), maxEpisodeSteps: 80 };
    const r = await evaluatePolicy({ task, policy: zero, episodes: 3, seed, dr: { ...NOMINAL } });
    // the same episodes by hand: base z before each step from 1 s (50 steps) on, while the first episode lasts
    const g = await EnvGroup.create({ task, numEnvs: 3, firstEnvIndex: 0, seed, dr: { ...NOMINAL } });
    let sum = 0, count = 0;
    const live = [1, 1, 1], b = new Float64Array(13);
    try {
      for (let s = 0; live.some(Boolean); s++) {
        for (let i = 0; i < 3 && s >= 50; i++) if (live[i]) { g.robot(i).readBase(b); sum += b[2]!; count++; }
        g.buffers.actions.fill(0);
        g.step();
        for (let i = 0; i < 3; i++) if (g.buffers.terminated[i] || g.buffers.truncated[i]) live[i] = 0;
      }
    } finally {
      g.dispose();
    }
    expect(r.base_height, `seed ${seed}`).toMatchObject({ nominal_m: 0.25, settle_s: 1, measured_steps: count });
    expect(r.base_height!.mean_m, `seed ${seed}`).toBeCloseTo(sum / count, 12);
    expect(r.base_height!.ratio).toBe(r.base_height!.mean_m / 0.25);
  });

  it('follows --settle-s with held commands, and is absent for a robot without a locomotion contract', async () => {
    const task = { ...quadruped, maxEpisodeSteps: 30 };
    const r = await evaluatePolicy({ task, policy: zero, episodes: 2, seed, dr: { ...NOMINAL }, tracking: { commands: Float64Array.from([0.5, 0, 0]), settleS: 0.2 } });
    expect(r.base_height).toMatchObject({ nominal_m: 0.27, settle_s: 0.2 });
    expect(r.base_height!.measured_steps).toBe(r.tracking!.measured_steps);
    const c = await evaluatePolicy({ task: cartpole, policy: async (obs) => new Float32Array(obs.length / 4), episodes: 2, seed, dr: { ...NOMINAL } });
    expect(c.base_height).toBeUndefined();
  });
});
