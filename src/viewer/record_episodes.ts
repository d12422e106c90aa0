/**
 * Records evaluation episodes of a policy into a recording file: one episode per env, each from
 * its reset to its first termination or time-out, seeded like `evaluatePolicy` so the recorded
 * episodes are the evaluated ones.
 */
import { EnvGroup } from '../sim/env_group.ts';
import type { DomainRandomization } from '../sim/randomize.ts';
import type { TaskSpec } from '../sim/task.ts';
import { describeRobot } from './scene_description.ts';
import { RecordingWriter } from './recording.ts';

/** What to record and where. */
export interface RecordEpisodesOptions {
  task: TaskSpec;
  /** Batch policy: observations `[n, obs_dim]` → actions `[n, act_dim]`. */
  policy: (obs: Float32Array) => Promise<Float32Array>;
  episodes: number;
  seed: number;
  dr: DomainRandomization;
  file: string;
  /** Written into the header (`source`), e.g. the command that recorded it. */
  source: string;
}

/** Runs one episode in each of `episodes` envs and writes them to `file`; resolves to the episode count. */
export async function recordEpisodes(o: RecordEpisodesOptions): Promise<number> {
  const group = await EnvGroup.create({ task: o.task, numEnvs: o.episodes, firstEnvIndex: 0, seed: o.seed, dr: o.dr });
  const t = o.task;
  const scene = describeRobot(group.robot(0));
  const writer = RecordingWriter.open(o.file, {
    task: t.name, robot: group.spec.name, controlDtS: group.spec.control_dt_s, source: o.source, scene,
    observations: t.observations.map((s) => s.name), actions: t.actions.map((s) => s.name), rewardTerms: [...t.rewardTerms],
  });
  try {
    const n = o.episodes;
    const { obsDim, actDim, numTerms } = group.dims;
    const nb = scene.bodies.length;
    const b = group.buffers;
    const steps = Array.from({ length: n }, () => [] as { poses: Float64Array; obs: Float32Array }[]);
    const rows = Array.from({ length: n }, () => [] as { actions: Float32Array; reward: number; terms: Float32Array }[]);
    const done = new Uint8Array(n);
    const drs = Array.from({ length: n }, (_, i) => ({ ...group.sample(i) }));
    const pose = new Float64Array(7);
    let left = n;
    while (left > 0) {
      for (let i = 0; i < n; i++) {
        if (done[i]) continue;
        const poses = new Float64Array(nb * 7);
        for (let k = 0; k < nb; k++) {
          group.robot(i).readLinkPose(k, pose);
          poses.set(pose, k * 7);
        }
        steps[i]?.push({ poses, obs: b.obs.slice(i * obsDim, (i + 1) * obsDim) });
      }
      b.actions.set(await o.policy(b.obs));
      group.step();
      for (let i = 0; i < n; i++) {
        if (done[i]) continue;
        rows[i]?.push({ actions: b.actions.slice(i * actDim, (i + 1) * actDim), reward: b.rewards[i] as number, terms: b.rewardTerms.slice(i * numTerms, (i + 1) * numTerms) });
        if (b.terminated[i] || b.truncated[i]) {
          writeEpisode(writer, i, drs[i] as Record<string, number>, steps[i] ?? [], rows[i] ?? [], b.terminated[i] === 1);
          steps[i] = [];
          rows[i] = [];
          done[i] = 1;
          left--;
        }
      }
    }
    return writer.episodes;
  } finally {
    writer.close();
    group.dispose();
  }
}

function writeEpisode(
  w: RecordingWriter, env: number, dr: Record<string, number>,
  states: { poses: Float64Array; obs: Float32Array }[], results: { actions: Float32Array; reward: number; terms: Float32Array }[], terminated: boolean,
): void {
  w.beginEpisode({ env, dr });
  states.forEach((s, k) => {
    const r = results[k];
    if (r) w.addStep({ poses: s.poses, obs: s.obs, actions: r.actions, reward: r.reward, terms: r.terms });
  });
  w.endEpisode({ terminated });
}
