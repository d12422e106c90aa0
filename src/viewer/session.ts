/**
 * What the server plays: a live simulation or a recording. Both produce the same scene and
 * frame messages, so the page draws them alike.
 */
import type { DomainRandomization } from '../task/randomize.ts';
import type { ActionMode, FrameMessage, SceneMessage } from './protocol.ts';

/** A policy the live viewer can drive envs with. */
export interface ViewerPolicy {
  /** How the page names it (a file, or a run directory). */
  readonly name: string;
  /** The randomization ranges it trained under, used for the envs it drives. */
  readonly dr?: DomainRandomization;
  /** Actions `[n, act_dim]` for observations `[n, obs_dim]`. */
  act(obs: Float32Array): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * Loads the user's policy for a task; throws when it does not fit that task. `sim2real view`
 * builds it from the one policy loader every command uses (`loadPolicy` in src/cli/load_policy.ts).
 */
export type PolicyLoader = (task: import('../task/task.ts').TaskSpec) => Promise<ViewerPolicy>;

/** A source of frames the server steps through. */
export interface ViewerSession {
  readonly mode: 'live' | 'replay';
  /** Seconds of simulated time per step. */
  readonly controlDtS: number;
  readonly actionMode: ActionMode;
  /** Steps so far (live) or the current step of the episode (replay). */
  readonly step: number;
  /** Total steps (replay), or null (live). */
  readonly steps: number | null;
  scene(): SceneMessage;
  frame(contacts: boolean): FrameMessage;
  /** Advances one step; false when there is nothing further (end of a replay). */
  advance(): Promise<boolean>;
  reset(): void;
  dispose(): Promise<void>;
}
