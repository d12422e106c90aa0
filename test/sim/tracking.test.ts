/**
 * Command tracking: the statistics against a hand computation on scripted episodes, composed
 * with other hooks in the shared episode loop; command resolution; and a real quadruped held at
 * a command it does not follow (zero actions: it stands).
 */
import { describe, expect, it } from 'vitest';
import { composeHooks, runFirstEpisodes, type EpisodeHooks } from '../../src/sim/episodes.ts';
import type { EnvGroup } from '../../src/sim/env_group.ts';
import type { CommandSpec, TaskSpec } from '../../src/task/task.ts';
import { Rng } from '../../src/task/rng.ts';
import { NOMINAL } from '../../src/task/randomize.ts';
import { CommandTracker, resolveCommands, type CommandTrackingStats } from '../../src/sim/tracking.ts';
import { evaluatePolicy } from '../../src/sim/evaluate.ts';
import { quadruped } from '../../envs/quadruped/quadruped.ts';
import { cartpole } from '../../envs/cartpole.ts';

const DT = 0.02;
const COMMANDS: CommandSpec[] = [
  { name: 'v', unit: 'm/s', range: [-1, 1], commandKey: 'cmd_v', measuredKey: 'meas_v' },
  { name: 'w', unit: 'rad/s', range: [-2, 2], commandKey: 'cmd_w', measuredKey: 'meas_w' },
];
const fakeTask = { name: 'fake', commands: COMMANDS } as unknown as TaskSpec;

/**
 * Stands in for an env group: env i's state k steps after its reset has the measured values
 * `measured[i][k]`; its first episode ends after `lengths[i]` steps, terminated when `fell[i]`.
 * After that (the auto-reset episodes nobody counts) it reports junk.
 */
function fakeGroup(measured: number[][][], held: Float64Array, lengths: number[], fell: boolean[]): EnvGroup {
  const n = lengths.length;
  const buffers = {
    obs: new Float32Array(n), actions: new Float32Array(n), terminated: new Uint8Array(n), truncated: new Uint8Array(n),
    episodeReturn: new Float32Array(n), episodeLength: new Int32Array(n),
  };
  let k = 0;
  return {
    numEnvs: n, spec: { control_dt_s: DT }, task: fakeTask, buffers,
    taskEnv: (i: number) => ({
      info: () => {
        const m = k < lengths[i]! ? measured[i]![k]! : [1e6, -1e6];
        return { cmd_v: held[0]!, cmd_w: held[1]!, meas_v: m[0]!, meas_w: m[1]! };
      },
    }),
    step: () => {
      k++;
      for (let i = 0; i < n; i++) {
        const ended = k === lengths[i];
        buffers.terminated[i] = ended && fell[i] ? 1 : 0;
        buffers.truncated[i] = ended && !fell[i] ? 1 : 0;
        buffers.episodeLength[i] = k;
      }
    },
  } as unknown as EnvGroup;
}

describe('CommandTracker', () => {
  it('reports mean measured, mean |error|, RMS error and the worst env over the steps after settling, and how episodes ended', async () => {
    const seed = Math.floor(Math.random() * 1e9);
    const rng = new Rng(seed);
    const settleS = 0.1; // 5 steps: states 0…4 after the reset are not measured
    const settleSteps = 5;
    const held = Float64Array.of(rng.uniform(-1, 1), rng.uniform(-2, 2));
    // env 0 falls while settling (nothing measured); the others end at random lengths, some fall
    const lengths = [3, ...Array.from({ length: 4 }, () => 6 + Math.floor(rng.next() * 40))];
    const fell = lengths.map((_, i) => i === 0 || rng.next() < 0.5);
    const measured = lengths.map((len) => Array.from({ length: len }, () => [rng.normal(), 2 * rng.normal()]));
    // by hand
    const expected = COMMANDS.map((_, c) => {
      let steps = 0, sumM = 0, sumAbs = 0, sumSq = 0, worst = -1, worstEnv = -1;
      measured.forEach((env, i) => {
        let envAbs = 0, envSteps = 0;
        for (let k = settleSteps; k < env.length; k++) {
          const m = env[k]![c]!, e = m - held[c]!;
          steps++; envSteps++;
          sumM += m; sumAbs += Math.abs(e); sumSq += e * e; envAbs += Math.abs(e);
        }
        if (envSteps > 0 && envAbs / envSteps > worst) [worst, worstEnv] = [envAbs / envSteps, i];
      });
      return { steps, mean_measured: sumM / steps, mean_abs_error: sumAbs / steps, rms_error: Math.sqrt(sumSq / steps), worst, worstEnv };
    });

    const tracker = new CommandTracker(fakeTask, settleS, held);
    const seen: string[] = [];
    const other: EpisodeHooks = { onStart: () => seen.push('start'), onEpisodeEnd: (_, i) => seen.push(`end ${i}`) };
    const group = fakeGroup(measured, held, lengths, fell);
    const stats = await runFirstEpisodes(group, async () => {}, composeHooks(tracker, other));
    expect(stats.lengths).toEqual(lengths);
    const r = tracker.result();
    const msg = `seed ${seed}`;
    expect(r).toMatchObject({ settle_s: 0.1, episodes: 5, terminated: fell.filter(Boolean).length, truncated: fell.filter((f) => !f).length, measured_envs: 4 });
    expect(r.measured_steps, msg).toBe(expected[0]!.steps);
    expect(Object.keys(r.commands)).toEqual(['v', 'w']);
    COMMANDS.forEach((spec, c) => {
      const got = r.commands[spec.name]!, want = expected[c]!;
      expect(got.unit).toBe(spec.unit);
      expect(got.command).toBe(held[c]);
      for (const k of ['mean_measured', 'mean_abs_error', 'rms_error'] as const) expect(got[k], `${spec.name} ${k}, ${msg}`).toBeCloseTo(want[k], 12);
      expect(got.worst_env_mean_abs_error, msg).toBeCloseTo(want.worst, 12);
      expect(got.worst_env, msg).toBe(want.worstEnv);
    });
    // the other hooks ran too, each episode end once
    expect(seen[0]).toBe('start');
    expect(seen.slice(1).sort()).toEqual(lengths.map((_, i) => `end ${i}`).sort());
  });

  it('reports NaN statistics (null in JSON) when every env fell while settling', async () => {
    const held = Float64Array.of(0.5, 0);
    const tracker = new CommandTracker(fakeTask, 1, held);
    await runFirstEpisodes(fakeGroup([[[0, 0]], [[0, 0], [0, 0]]], held, [1, 2], [true, true]), async () => {}, tracker);
    const r = tracker.result();
    expect(r).toMatchObject({ measured_steps: 0, measured_envs: 0, terminated: 2, truncated: 0 });
    expect(r.commands.v).toMatchObject({ command: 0.5, worst_env: -1 });
    expect(r.commands.v!.mean_abs_error).toBeNaN();
    expect(JSON.parse(JSON.stringify(r)).commands.v.rms_error).toBeNull();
  });

  it('refuses a task without commands, a negative settling time, and an info() without the declared keys', async () => {
    expect(() => new CommandTracker(cartpole, 1)).toThrow('task cartpole declares no commands to track');
    expect(() => new CommandTracker(fakeTask, -0.5)).toThrow(/settling time/);
    const group = fakeGroup([[[0, 0]]], Float64Array.of(0, 0), [1], [false]);
    const bad = { ...group, numEnvs: 1, spec: group.spec, task: fakeTask, taskEnv: () => ({ info: () => ({ cmd_v: 0, meas_v: 0, cmd_w: 0 }) }) } as unknown as EnvGroup;
    expect(() => new CommandTracker(fakeTask, 0).onStart(bad)).toThrow('task fake: command w: info() has no number meas_w');
  });
});

describe('resolveCommands', () => {
  it('orders values as the task declares them, 0 for those not given; flags values outside the sampled range; refuses unknown names', () => {
    const r = resolveCommands(quadruped, { yaw_rate: 0.3, vx: 1.5 });
    expect(Array.from(r.values)).toEqual([1.5, 0, 0.3]);
    expect(r.outOfRange).toEqual([{ name: 'vx', value: 1.5, unit: 'm/s', range: [-1, 1] }]);
    expect(resolveCommands(quadruped, { vx: 0.8 }).outOfRange).toEqual([]);
    expect(() => resolveCommands(quadruped, { vz: 1 })).toThrow('command vz: unknown command of task quadruped (valid: vx, vy, yaw_rate)');
    expect(() => resolveCommands(quadruped, { vx: Infinity })).toThrow(/command vx: expected a finite number/);
    expect(() => resolveCommands(cartpole, { vx: 1 })).toThrow('task cartpole declares no commands');
  });
});

describe('evaluatePolicy with held commands', () => {
  it('holds a quadruped standing still (zero actions) at vx = 0.5 m/s: measured ≈ 0, error ≈ 0.5; other hooks still run', async () => {
    const firstObs: number[] = [];
    let steps = 0;
    const hooks: EpisodeHooks = {
      beforeStep: (g) => { if (steps++ === 0) for (let i = 0; i < g.numEnvs; i++) firstObs.push(...g.buffers.obs.subarray(i * 48 + 9, i * 48 + 12)); },
    };
    const seed = Math.floor(Math.random() * 1e9);
    const r = await evaluatePolicy({
      task: quadruped, episodes: 2, seed, dr: NOMINAL, hooks,
      policy: async (obs) => new Float32Array((obs.length / 48) * 12),
      tracking: { commands: Float64Array.of(0.5, 0, 0), settleS: 1 },
    });
    const msg = `seed ${seed}, lengths ${r.lengths.join(', ')}`;
    // the very first observation already carries the held command (scaled ×2 for vx)
    expect(firstObs).toEqual([1, 0, 0, 1, 0, 0]);
    const t = r.tracking!;
    // the states 50 steps (1 s) and more after the reset, up to each env's end, were measured;
    // zero actions do not hold the robot up for 20 s every time (it creeps, slips, sometimes falls)
    expect(t.measured_steps, msg).toBe(r.lengths.reduce((s, l) => s + Math.max(0, l - 50), 0));
    expect(t.terminated, msg).toBe(r.lengths.filter((l) => l < 1000).length);
    expect(t.truncated + t.terminated).toBe(2);
    // standing: velocities near zero (measured over 12 seeds: |mean vx| ≤ 0.03 m/s, vy error ≤ 0.02 m/s, yaw-rate error ≤ 0.06 rad/s)
    const { vx, vy, yaw_rate } = t.commands as Record<string, CommandTrackingStats>;
    expect(Math.abs(vx!.mean_measured), msg).toBeLessThan(0.05);
    expect(Math.abs(vx!.mean_abs_error - 0.5), msg).toBeLessThan(0.06);
    expect(vx!.mean_abs_error).toBeGreaterThanOrEqual(Math.abs(0.5 - vx!.mean_measured) - 1e-12);
    expect(vx!.rms_error).toBeGreaterThanOrEqual(vx!.mean_abs_error);
    expect(vy!.mean_abs_error, msg).toBeLessThan(0.05);
    expect(yaw_rate!.mean_abs_error, msg).toBeLessThan(0.15);
  });
});
