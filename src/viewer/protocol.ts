/**
 * The viewer's WebSocket protocol: JSON messages between the server and the page (documented in
 * docs/viewer.md). Client messages are validated here; anything malformed gets an error reply
 * and changes nothing.
 */
import type { RobotDescription } from './scene_description.ts';
import type { DrSampleLabel } from '../task/randomize.ts';

/** How the live simulation picks actions when no policy drives it (or the user overrides it). */
export type ActionMode = 'policy' | 'zero' | 'random';

/** One named signal with its unit, as the plots label it. */
export interface SignalLabel {
  name: string;
  unit: string;
}

/** Sent when a session starts (and to each new page): what to draw and label. */
export interface SceneMessage {
  type: 'scene';
  mode: 'live' | 'replay';
  task: string;
  numEnvs: number;
  /** Each env's origin in the world (m). */
  origins: [number, number, number][];
  robot: RobotDescription;
  observations: SignalLabel[];
  actions: SignalLabel[];
  rewardTerms: string[];
  controlDtS: number;
  /** Policy driving the envs (a file or run name), or null. */
  policy: string | null;
  actionMode: ActionMode;
  /** The randomization each env got at its last reset (`DR_KEYS`). */
  dr: Record<string, number>[];
  /** The ranges samples are drawn from, by range key (live only). */
  drRanges: Record<string, [number, number]> | null;
  /**
   * How to label each sample key (unit, description, the range key it is drawn from), from the
   * randomization declarations: the page restates none of it.
   */
  drKeys: DrSampleLabel[];
  /** Replays: the recording's episodes, and which one plays. */
  replay?: { file: string; source: string; episodes: { env: number; steps: number; return: number; terminated: boolean }[]; episode: number };
}

/** The state after one control step (live) or at one recorded step (replay). */
export interface FrameMessage {
  type: 'frame';
  /** Control steps since the session started (live), or the step within the episode (replay). */
  step: number;
  /** Link poses per env, flat `[env][body][x y z qx qy qz qw]`, positions relative to the env origin. */
  poses: number[];
  /** Per env: contact points, flat xyz relative to its origin (empty unless contacts are on). */
  contacts: number[][];
  /** Per env, flat `[env][i]`: observations after the step, the actions applied, reward and terms of the step. */
  obs: number[];
  actions: number[];
  rewards: number[];
  terms: number[];
  /** Per env: 1 where the step ended the episode (the env was reset). */
  dones: number[];
}

/** Playback state, sent after every control message. */
export interface StatusMessage {
  type: 'status';
  playing: boolean;
  speed: number;
  step: number;
  actionMode: ActionMode;
  contacts: boolean;
  /** Replays: total steps of the playing episode. */
  steps?: number;
}

/** Server → page messages. */
export type ServerMessage =
  | SceneMessage
  | FrameMessage
  | StatusMessage
  | { type: 'hello'; tasks: string[]; mode: 'live' | 'replay' | 'idle'; metrics: boolean }
  | { type: 'dr'; dr: Record<string, number>[] }
  | { type: 'error'; message: string }
  | { type: 'metrics'; reset: boolean; rows: Record<string, number | null>[] };

/** Page → server messages. */
export type ClientMessage =
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step'; count: number }
  | { type: 'reset' }
  | { type: 'speed'; value: number }
  | { type: 'load'; env: string }
  | { type: 'actions'; mode: ActionMode }
  | { type: 'contacts'; on: boolean }
  | { type: 'push'; env: number; body: number; velocity: [number, number, number] }
  | { type: 'seek'; step: number }
  | { type: 'episode'; index: number };

/** Largest speed multiplier; the loop also caps steps per tick. */
const MAX_SPEED = 16;

/** Longest message `type` an error reply quotes back. */
const MAX_TYPE_CHARS = 32;

/**
 * Parses one page message; throws an Error saying what is wrong. Error texts quote at most a
 * short prefix of what the page sent, so a page cannot make the server echo bulk back.
 */
export function parseClientMessage(text: string, maxNameChars = 128): ClientMessage {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new Error('message is not JSON');
  }
  if (typeof m !== 'object' || m === null || typeof (m as { type?: unknown }).type !== 'string') throw new Error('message needs a "type"');
  const r = m as Record<string, unknown>;
  const num = (key: string, ok: (v: number) => boolean, want: string): number => {
    const v = r[key];
    if (typeof v !== 'number' || !ok(v)) throw new Error(`${r.type}.${key} must be ${want}, got ${quote(v)}`);
    return v;
  };
  const index = (v: number) => Number.isInteger(v) && v >= 0;
  switch (r.type) {
    case 'play': case 'pause': case 'reset':
      return { type: r.type };
    case 'step':
      return { type: 'step', count: r.count === undefined ? 1 : num('count', (v) => Number.isInteger(v) && v >= 1 && v <= 10_000, 'a whole number 1–10000') };
    case 'speed':
      return { type: 'speed', value: num('value', (v) => v > 0 && v <= MAX_SPEED, `a number in (0, ${MAX_SPEED}]`) };
    case 'load':
      if (typeof r.env !== 'string' || r.env === '') throw new Error('load.env must be a task name');
      if (r.env.length > maxNameChars) throw new Error(`load.env must be a task name of at most ${maxNameChars} characters, got ${r.env.length}`);
      return { type: 'load', env: r.env };
    case 'actions':
      if (r.mode !== 'policy' && r.mode !== 'zero' && r.mode !== 'random') throw new Error('actions.mode must be "policy", "zero" or "random"');
      return { type: 'actions', mode: r.mode };
    case 'contacts':
      return { type: 'contacts', on: r.on === true };
    case 'push': {
      const v = r.velocity;
      if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= 20)) {
        throw new Error('push.velocity must be [x, y, z] in m/s, each within ±20');
      }
      return { type: 'push', env: num('env', index, 'an env index'), body: num('body', index, 'a body index'), velocity: [v[0], v[1], v[2]] };
    }
    case 'seek':
      return { type: 'seek', step: num('step', index, 'a step index') };
    case 'episode':
      return { type: 'episode', index: num('index', index, 'an episode index') };
    default: {
      const t = String(r.type);
      throw new Error(`unknown message type ${t.length > MAX_TYPE_CHARS ? `(${t.length} characters)` : JSON.stringify(t)}`);
    }
  }
}

/** `v` as JSON, cut to 40 characters: enough to say what was wrong without echoing bulk. */
function quote(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}… (${s.length} characters)` : s;
}
