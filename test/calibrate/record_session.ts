/**
 * Logs a session of a simulated robot with hidden dynamics the way `sim2real robot --record`
 * does (the same `SessionRecorder` hooks on the same episode loop), driven by a scripted
 * controller with exploration noise instead of a bridge, for the calibration tests.
 */
import { EnvGroup } from '../../src/sim/env_group.ts';
import { runFirstEpisodes } from '../../src/sim/episodes.ts';
import { SessionRecorder } from '../../src/rehearsal/session_recorder.ts';
import { effectiveRanges, NOMINAL } from '../../src/task/randomize.ts';
import { shiftRandomization } from '../../src/task/shift.ts';
import { Rng } from '../../src/task/rng.ts';
import type { TaskSpec } from '../../src/task/task.ts';

/**
 * Records `episodes` episodes of `task` (at most `maxSteps` steps each) with the dynamics
 * `shift` (every other parameter nominal) to `file`; `controller(obs, out)` writes the actions
 * for one env, to which uniform noise of ±`noise` is added.
 */
export async function recordSession(o: {
  task: TaskSpec; file: string; shift: Record<string, number>; episodes: number; seed: number; maxSteps: number; noise: number;
  controller: (obs: Float32Array, out: Float32Array) => void;
}): Promise<void> {
  const task: TaskSpec = { ...o.task, maxEpisodeSteps: o.maxSteps };
  const { dr } = shiftRandomization(effectiveRanges(NOMINAL, { randomize: false }), o.shift);
  const group = await EnvGroup.create({ task, numEnvs: o.episodes, firstEnvIndex: 0, seed: o.seed, dr });
  const { obsDim, actDim } = group.dims;
  const commands = new Float32Array(o.episodes * actDim);
  const recorder = new SessionRecorder(task, o.file, 'test', commands);
  const rng = new Rng(o.seed, 99);
  const out = new Float32Array(actDim);
  try {
    await runFirstEpisodes(group, async (g) => {
      for (let i = 0; i < o.episodes; i++) {
        o.controller(g.buffers.obs.subarray(i * obsDim, (i + 1) * obsDim), out);
        for (let k = 0; k < actDim; k++) {
          const a = Math.max(-1, Math.min(1, out[k]! + rng.uniform(-o.noise, o.noise)));
          g.buffers.actions[i * actDim + k] = a;
          commands[i * actDim + k] = a * (task.actions[k]!.scale ?? 1);
        }
      }
    }, recorder);
  } finally {
    recorder.close();
    group.dispose();
  }
}
