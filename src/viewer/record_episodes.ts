/**
 * Records evaluation episodes of a policy into a recording file: one episode per env, each from
 * its reset to its first termination or time-out. `EpisodeRecorder` is a set of hooks for the
 * shared episode loop (`runFirstEpisodes`), so `sim2real eval --record` writes the very episodes
 * it evaluates, in the same pass; `recordEpisodes` is that evaluation with nothing else.
 */
import type { EnvGroup } from '../sim/env_group.ts';
import type { BatchPolicy, EpisodeHooks } from '../sim/episodes.ts';
import { evaluatePolicy } from '../sim/evaluate.ts';
import type { DomainRandomization } from '../task/randomize.ts';
import type { TaskSpec } from '../task/task.ts';
import { describeRobot } from './scene_description.ts';
import { RecordingWriter } from '../robot/recording.ts';

/** What to record and where. */
export interface RecordEpisodesOptions {
  task: TaskSpec;
  policy: BatchPolicy;
  episodes: number;
  seed: number;
  dr: DomainRandomization;
  file: string;
  /** Written into the header (`source`), e.g. the command that recorded it. */
  source: string;
}

interface State { poses: Float64Array; obs: Float32Array }
interface Result { actions: Float32Array; reward: number; terms: Float32Array }

/**
 * Episode-loop hooks that write each env's first episode to `file` (opened when the loop
 * starts). Call `close()` when the loop has ended or failed; `episodes` counts those written.
 */
export class EpisodeRecorder implements EpisodeHooks {
  private writer: RecordingWriter | null = null;
  private states: State[][] = [];
  private results: Result[][] = [];
  private drs: Record<string, number>[] = [];
  private readonly pose = new Float64Array(7);
  private bodies = 0;

  constructor(private readonly task: TaskSpec, private readonly file: string, private readonly source: string) {}

  /** Episodes written so far. */
  get episodes(): number {
    return this.writer?.episodes ?? 0;
  }

  onStart(group: EnvGroup): void {
    const t = this.task;
    const scene = describeRobot(group.robot(0));
    this.bodies = scene.bodies.length;
    this.writer = RecordingWriter.open(this.file, {
      task: t.name, robot: group.spec.name, controlDtS: group.spec.control_dt_s, source: this.source, scene,
      observations: t.observations.map((s) => s.name), actions: t.actions.map((s) => s.name), rewardTerms: [...t.rewardTerms],
    });
    const n = group.numEnvs;
    this.states = Array.from({ length: n }, () => []);
    this.results = Array.from({ length: n }, () => []);
    this.drs = Array.from({ length: n }, (_, i) => ({ ...group.sample(i) }));
  }

  beforeStep(group: EnvGroup, counting: Uint8Array): void {
    const nb = this.bodies;
    const { obsDim } = group.dims;
    for (let i = 0; i < counting.length; i++) {
      if (!counting[i]) continue;
      const poses = new Float64Array(nb * 7);
      for (let k = 0; k < nb; k++) {
        group.robot(i).readLinkPose(k, this.pose);
        poses.set(this.pose, k * 7);
      }
      this.states[i]!.push({ poses, obs: group.buffers.obs.slice(i * obsDim, (i + 1) * obsDim) });
    }
  }

  afterStep(group: EnvGroup, counting: Uint8Array): void {
    const { actDim, numTerms } = group.dims;
    const b = group.buffers;
    for (let i = 0; i < counting.length; i++) {
      if (!counting[i]) continue;
      this.results[i]!.push({ actions: b.actions.slice(i * actDim, (i + 1) * actDim), reward: b.rewards[i] as number, terms: b.rewardTerms.slice(i * numTerms, (i + 1) * numTerms) });
    }
  }

  onEpisodeEnd(group: EnvGroup, i: number): void {
    const w = this.writer as RecordingWriter;
    w.beginEpisode({ env: i, dr: this.drs[i] as Record<string, number> });
    this.states[i]!.forEach((s, k) => {
      const r = this.results[i]![k];
      if (r) w.addStep({ poses: s.poses, obs: s.obs, actions: r.actions, reward: r.reward, terms: r.terms });
    });
    w.endEpisode({ terminated: group.buffers.terminated[i] === 1 });
    this.states[i] = [];
    this.results[i] = [];
  }

  /** Closes the file (safe to call when it was never opened). */
  close(): void {
    this.writer?.close();
  }
}

/**
 * Runs one episode in each of `episodes` envs (as `evaluatePolicy` does) and writes them to
 * `file`; resolves to the episode count.
 */
export async function recordEpisodes(o: RecordEpisodesOptions): Promise<number> {
  const recorder = new EpisodeRecorder(o.task, o.file, o.source);
  try {
    await evaluatePolicy({ task: o.task, policy: o.policy, episodes: o.episodes, seed: o.seed, dr: o.dr, hooks: recorder });
    return recorder.episodes;
  } finally {
    recorder.close();
  }
}
