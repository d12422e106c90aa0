/**
 * `ReplaySession`: plays one episode of a recording at a time, step by step or from any step
 * (the page's timeline scrubber), producing the same scene and frame messages as a live session.
 */
import type { ActionMode, FrameMessage, SceneMessage } from './protocol.ts';
import { sampleLabels } from '../task/randomize.ts';
import { stepLayout, type Recording, type StepLayout } from '../robot/recording.ts';
import type { ViewerSession } from './session.ts';

/** A recording being played back. */
export class ReplaySession implements ViewerSession {
  readonly mode = 'replay';
  readonly actionMode: ActionMode = 'policy';
  readonly controlDtS: number;
  /** The step shown now, within the playing episode. */
  step = 0;
  private episode_ = 0;
  private readonly layout: StepLayout;

  constructor(private readonly rec: Recording, private readonly file: string) {
    if (rec.episodes.length === 0) throw new Error(`recording ${file}: it holds no episodes`);
    this.controlDtS = rec.header.controlDtS;
    this.layout = stepLayout(rec.header);
  }

  /** Steps in the playing episode. */
  get steps(): number {
    return this.current().meta.steps;
  }

  /** Index of the playing episode. */
  get episode(): number {
    return this.episode_;
  }

  /** Plays episode `i` from its first step. */
  selectEpisode(i: number): void {
    if (i >= this.rec.episodes.length) throw new Error(`episode ${i} does not exist (the recording has ${this.rec.episodes.length})`);
    this.episode_ = i;
    this.step = 0;
  }

  /** Jumps to step `s` of the playing episode (clamped to the last). */
  seek(s: number): void {
    this.step = Math.max(0, Math.min(s, this.steps - 1));
  }

  scene(): SceneMessage {
    const h = this.rec.header;
    return {
      type: 'scene', mode: 'replay', task: h.task, numEnvs: 1, origins: [[0, 0, 0]], robot: h.scene,
      observations: h.observations.map((name) => ({ name, unit: '' })),
      actions: h.actions.map((name) => ({ name, unit: '' })),
      rewardTerms: [...h.rewardTerms], controlDtS: h.controlDtS, policy: h.source, actionMode: 'policy',
      dr: [{ ...this.current().meta.dr }], drRanges: null, drKeys: sampleLabels(),
      replay: {
        file: this.file, source: h.source, episode: this.episode_,
        episodes: this.rec.episodes.map((e) => ({ env: e.meta.env, steps: e.meta.steps, return: e.meta.return, terminated: e.meta.terminated })),
      },
    };
  }

  async advance(): Promise<boolean> {
    if (this.step + 1 >= this.steps) return false;
    this.step++;
    return true;
  }

  frame(): FrameMessage {
    const L = this.layout;
    const ep = this.current();
    const row = ep.data.subarray(this.step * L.stride, (this.step + 1) * L.stride);
    const part = (a: number, b: number) => Array.from(row.subarray(a, b));
    return {
      type: 'frame', step: this.step, poses: part(L.poses, L.obs), contacts: [[]],
      obs: part(L.obs, L.actions), actions: part(L.actions, L.reward), rewards: part(L.reward, L.terms), terms: part(L.terms, L.stride),
      dones: [this.step === this.steps - 1 ? 1 : 0],
    };
  }

  reset(): void {
    this.step = 0;
  }

  async dispose(): Promise<void> {}

  private current(): Recording['episodes'][number] {
    return this.rec.episodes[this.episode_] as Recording['episodes'][number];
  }
}
