/**
 * Recordings: episodes of one robot (simulated, or a real one through the bridge) as per-step
 * link poses, observations, actions, rewards and reward terms, in a compact binary file that
 * `sim2real view --replay` plays back. The layout is documented in docs/recording.md; a file
 * that is not a recording, is from another version, is truncated or fails its checksum is a
 * `RecordingError` naming what is wrong.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import CRC32 from 'crc-32';
import type { RobotDescription } from './robot_description.ts';

/** The 8 bytes every recording starts with. */
const RECORDING_MAGIC = 'S2R-REC\n';
/** Tag in the header's `format` field. */
const RECORDING_FORMAT = 'sim2real.recording';
/** The layout version this build writes and reads. */
const RECORDING_VERSION = 1;

/** What a recording says about itself: the robot, the signal layout and where it came from. */
export interface RecordingHeader {
  format: typeof RECORDING_FORMAT;
  version: number;
  /** Task name (or a free label for a real robot's session). */
  task: string;
  robot: string;
  /** Seconds between recorded steps. */
  controlDtS: number;
  /** Who recorded it, e.g. `sim2real eval --policy policies/cartpole.onnx` or `bridge`. */
  source: string;
  /** The bodies and their collision shapes, so a replay needs no URDF. */
  scene: RobotDescription;
  observations: string[];
  actions: string[];
  rewardTerms: string[];
}

/** Per-episode facts stored before its step data. */
export interface EpisodeMeta {
  /** Env index the episode ran in (0 for a real robot). */
  env: number;
  /** The randomization values in force (`DR_KEYS`), empty for a real robot. */
  dr: Record<string, number>;
  /** Whether the episode ended in a terminal state (false: time-out or stopped). */
  terminated: boolean;
  steps: number;
  /** Sum of the recorded rewards. */
  return: number;
}

/** One recorded control step: the state before the action, the action, and what it earned. */
export interface RecordedStep {
  /** Link poses relative to the env origin, 7 per body (xyz, quaternion xyzw). */
  poses: ArrayLike<number>;
  obs: ArrayLike<number>;
  actions: ArrayLike<number>;
  reward: number;
  terms: ArrayLike<number>;
}

/** A read recording: header, and per episode its meta and `steps × stride` float32 values. */
export interface Recording {
  header: RecordingHeader;
  episodes: { meta: EpisodeMeta; data: Float32Array }[];
}

/** A recording file that cannot be read, with the reason. */
export class RecordingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordingError';
  }
}

/** Offsets of each field inside one step's float32 row, from the header's sizes. */
export interface StepLayout {
  poses: number;
  obs: number;
  actions: number;
  reward: number;
  terms: number;
  /** Floats per step. */
  stride: number;
}

/** The row layout of a recording with this header. */
export function stepLayout(h: Pick<RecordingHeader, 'scene' | 'observations' | 'actions' | 'rewardTerms'>): StepLayout {
  const poses = 0;
  const obs = poses + 7 * h.scene.bodies.length;
  const actions = obs + h.observations.length;
  const reward = actions + h.actions.length;
  const terms = reward + 1;
  return { poses, obs, actions, reward, terms, stride: terms + h.rewardTerms.length };
}

/**
 * Writes a recording episode by episode: `beginEpisode`, `addStep` per control step,
 * `endEpisode`. Each episode is written when it ends, to a temp file beside the target that
 * `close()` renames into place, so a recording that fails part way keeps every finished
 * episode, and the target is a regular file replaced whole: a symbolic link, FIFO or device
 * there is refused, never written through.
 */
export class RecordingWriter {
  private fd: number | null;
  private readonly layout: StepLayout;
  private rows: Float32Array[] = [];
  private meta: { env: number; dr: Record<string, number> } | null = null;
  private ret = 0;
  /** Episodes written so far. */
  episodes = 0;

  private constructor(fd: number, readonly header: RecordingHeader, /** The file it is renamed to on `close()`. */ readonly file: string, private readonly temp: string) {
    this.fd = fd;
    this.layout = stepLayout(header);
  }

  /** Starts the recording `file` (created, or replaced on `close()`; its directory must exist) with the header. */
  static open(file: string, header: Omit<RecordingHeader, 'format' | 'version'>): RecordingWriter {
    const full: RecordingHeader = { format: RECORDING_FORMAT, version: RECORDING_VERSION, ...header };
    refuseNonRegular(file);
    const temp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fd = openSync(temp, 'wx', 0o644);
    const w = new RecordingWriter(fd, full, file, temp);
    try {
      writeSync(fd, Buffer.from(RECORDING_MAGIC, 'latin1'));
      w.writeChunk(full, new Uint8Array(0));
    } catch (e) {
      closeSync(fd);
      rmSync(temp, { force: true });
      throw e;
    }
    return w;
  }

  /** Starts an episode; a step added before this is an error. */
  beginEpisode(meta: { env?: number; dr?: Record<string, number> } = {}): void {
    if (this.meta !== null) throw new Error('recording: beginEpisode while an episode is open (call endEpisode first)');
    this.meta = { env: meta.env ?? 0, dr: { ...(meta.dr ?? {}) } };
    this.rows = [];
    this.ret = 0;
  }

  /** Appends one step to the open episode; arrays of the wrong length are errors naming the field. */
  addStep(s: RecordedStep): void {
    if (this.meta === null) throw new Error('recording: addStep outside an episode (call beginEpisode first)');
    const L = this.layout;
    const row = new Float32Array(L.stride);
    const put = (name: string, src: ArrayLike<number>, at: number, len: number) => {
      if (src.length !== len) throw new Error(`recording: ${name} has ${src.length} values, the header declares ${len}`);
      for (let i = 0; i < len; i++) row[at + i] = src[i] as number;
    };
    put('poses', s.poses, L.poses, L.obs - L.poses);
    put('obs', s.obs, L.obs, L.actions - L.obs);
    put('actions', s.actions, L.actions, L.reward - L.actions);
    row[L.reward] = s.reward;
    put('terms', s.terms, L.terms, L.stride - L.terms);
    this.ret += s.reward;
    this.rows.push(row);
  }

  /** Ends the open episode and writes it to the file. */
  endEpisode(end: { terminated: boolean }): void {
    if (this.meta === null) throw new Error('recording: endEpisode without an open episode');
    const data = new Float32Array(this.rows.length * this.layout.stride);
    this.rows.forEach((r, i) => data.set(r, i * this.layout.stride));
    const bytes = new Uint8Array(data.buffer);
    const meta: EpisodeMeta & { crc32: number } = {
      ...this.meta, terminated: end.terminated, steps: this.rows.length, return: this.ret, crc32: CRC32.buf(bytes) >>> 0,
    };
    this.writeChunk(meta, bytes);
    this.meta = null;
    this.rows = [];
    this.episodes++;
  }

  /** Closes the file and renames it into place (an open episode is dropped). */
  close(): void {
    const fd = this.fd;
    this.fd = null;
    this.meta = null;
    if (fd === null) return;
    try {
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      refuseNonRegular(this.file);
      renameSync(this.temp, this.file);
    } catch (e) {
      rmSync(this.temp, { force: true });
      throw e;
    }
  }

  /** `[u32 json length][json][u32 data length][data]`, little-endian. */
  private writeChunk(json: unknown, data: Uint8Array): void {
    if (this.fd === null) throw new Error('recording: the writer is closed');
    const text = Buffer.from(JSON.stringify(json), 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(text.length);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(data.byteLength);
    writeSync(this.fd, Buffer.concat([head, text, len, data]));
  }
}

/**
 * Throws unless `file` is absent or a regular file: a rename would replace a symbolic link, FIFO
 * or device at the path (the same rule as `writeFileAtomic` in src/rl/, which this room may not
 * import).
 */
function refuseNonRegular(file: string): void {
  let isFile: boolean;
  try {
    isFile = lstatSync(file).isFile();
  } catch {
    return;
  }
  if (!isFile) throw new Error(`cannot write ${file}: it is not a regular file (a symbolic link, FIFO, device or directory); refusing to replace it`);
}

/** Reads and checks a recording file. */
export function readRecording(file: string): Recording {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new RecordingError(`recording ${file}: file not found or unreadable`);
  }
  return decodeRecording(bytes, file);
}

/** Decodes recording bytes; `source` names them in errors. */
export function decodeRecording(bytes: Uint8Array, source = 'recording'): Recording {
  const fail = (why: string) => new RecordingError(`recording ${source}: ${why}`);
  const magic = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  if (magic !== RECORDING_MAGIC) throw fail(`not a sim2real recording (it does not start with ${JSON.stringify(RECORDING_MAGIC)})`);
  const reader = new ChunkReader(bytes, 8, fail);
  const first = reader.next('header');
  if (first === null) throw fail('the header is missing (file ends after the magic bytes)');
  const header = checkHeader(first.json, fail);
  const layout = stepLayout(header);
  const episodes: Recording['episodes'] = [];
  for (let chunk = reader.next(`episode ${episodes.length}`); chunk !== null; chunk = reader.next(`episode ${episodes.length}`)) {
    const where = `episode ${episodes.length}`;
    const meta = checkEpisode(chunk.json, where, fail);
    if (chunk.data.byteLength !== meta.steps * layout.stride * 4) {
      throw fail(`${where}: ${chunk.data.byteLength} bytes of step data, ${meta.steps} steps of ${layout.stride} float32 need ${meta.steps * layout.stride * 4}`);
    }
    if ((CRC32.buf(chunk.data) >>> 0) !== meta.crc32) throw fail(`${where}: checksum mismatch (the step data is corrupted)`);
    const data = new Float32Array(meta.steps * layout.stride);
    new Uint8Array(data.buffer).set(chunk.data);
    const { crc32: _crc, ...plain } = meta;
    episodes.push({ meta: plain, data });
  }
  return { header, episodes };
}

/** Walks `[u32 json length][json][u32 data length][data]` chunks. */
class ChunkReader {
  constructor(private readonly bytes: Uint8Array, private at: number, private readonly fail: (why: string) => Error) {}

  /** The next chunk, or null at the end of the file. */
  next(what: string): { json: unknown; data: Uint8Array } | null {
    const b = this.bytes;
    if (this.at === b.length) return null;
    const jsonLen = this.u32(what, 'its length');
    if (this.at + jsonLen > b.length) throw this.fail(`${what} is truncated (its description needs ${jsonLen} bytes, ${b.length - this.at} left)`);
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(b.subarray(this.at, this.at + jsonLen)).toString('utf8'));
    } catch {
      throw this.fail(`${what}: its description is not valid JSON (the file is corrupted)`);
    }
    this.at += jsonLen;
    const dataLen = this.u32(what, 'its data length');
    if (this.at + dataLen > b.length) throw this.fail(`${what} is truncated (its step data needs ${dataLen} bytes, ${b.length - this.at} left)`);
    const data = b.subarray(this.at, this.at + dataLen);
    this.at += dataLen;
    return { json, data };
  }

  private u32(what: string, field: string): number {
    if (this.at + 4 > this.bytes.length) throw this.fail(`${what} is truncated (the file ends inside ${field})`);
    const v = Buffer.from(this.bytes.subarray(this.at, this.at + 4)).readUInt32LE(0);
    this.at += 4;
    return v;
  }
}

function checkHeader(h: unknown, fail: (why: string) => Error): RecordingHeader {
  if (typeof h !== 'object' || h === null) throw fail('the header is not an object');
  const r = h as Partial<RecordingHeader>;
  if (r.format !== RECORDING_FORMAT) throw fail(`the header's format is ${JSON.stringify(r.format)}, expected ${JSON.stringify(RECORDING_FORMAT)}`);
  if (r.version !== RECORDING_VERSION) throw fail(`written as version ${JSON.stringify(r.version)}; this build reads version ${RECORDING_VERSION}`);
  for (const key of ['task', 'robot', 'source'] as const) if (typeof r[key] !== 'string') throw fail(`header.${key} must be a string`);
  if (!(typeof r.controlDtS === 'number' && r.controlDtS > 0)) throw fail('header.controlDtS must be a positive number');
  for (const key of ['observations', 'actions', 'rewardTerms'] as const) {
    if (!Array.isArray(r[key]) || !r[key].every((x) => typeof x === 'string')) throw fail(`header.${key} must be a list of names`);
  }
  const scene = r.scene as Partial<RobotDescription> | undefined;
  if (typeof scene !== 'object' || scene === null || !Array.isArray(scene.bodies) || scene.bodies.length === 0) throw fail('header.scene must list the robot\'s bodies');
  return r as RecordingHeader;
}

function checkEpisode(m: unknown, where: string, fail: (why: string) => Error): EpisodeMeta & { crc32: number } {
  if (typeof m !== 'object' || m === null) throw fail(`${where}: its description is not an object`);
  const e = m as Partial<EpisodeMeta & { crc32: number }>;
  if (!Number.isInteger(e.steps) || (e.steps as number) < 0) throw fail(`${where}: steps must be a count`);
  if (!Number.isInteger(e.env) || (e.env as number) < 0) throw fail(`${where}: env must be an index`);
  if (!Number.isInteger(e.crc32)) throw fail(`${where}: crc32 missing`);
  if (typeof e.terminated !== 'boolean' || typeof e.return !== 'number') throw fail(`${where}: terminated and return are required`);
  if (typeof e.dr !== 'object' || e.dr === null) throw fail(`${where}: dr must be an object`);
  return e as EpisodeMeta & { crc32: number };
}
