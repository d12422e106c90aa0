/**
 * The checkpoint file format: encoding a tree of JSON values and typed arrays into the
 * versioned, 64-byte-aligned, SHA-256-checked layout of docs/run-directory.md, and decoding it
 * with every kind of damage refused by name.
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { errorMessage } from './atomic_file.ts';
import { sourceInfo } from './source_info.ts';

// -- types

/** A value JSON can hold exactly. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The typed arrays a checkpoint stores bit for bit (a `Buffer` is stored as a `Uint8Array`). */
export type CheckpointArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint32Array;

/**
 * A node of a checkpoint's state tree: JSON values and typed arrays, nested in plain objects and
 * arrays. Numbers are kept exactly, NaN, ±Infinity and -0 included.
 */
export type StateValue = null | boolean | number | string | CheckpointArray | StateValue[] | { [key: string]: StateValue };

/** A checkpoint's state tree as read back: named state values. */
export type StateTree = { [key: string]: StateValue };

/** The metadata a checkpoint is written with; further fields are stored too if JSON can hold them. */
export interface CheckpointMetaInput {
  /** Training iterations completed. */
  iteration: number;
  /** Environment steps collected so far (all envs together). */
  envSteps: number;
  /** The fully resolved run config (JSON values only). */
  config: unknown;
  /** ISO 8601 time of writing; filled in when absent. */
  createdAt?: string;
  /** The sim2real package version; filled in when absent. */
  packageVersion?: string;
  /** The git commit of the sim2real checkout (`-dirty` if modified) or null; filled in when absent. */
  gitRevision?: string | null;
}

/** A checkpoint's metadata as read back: what it was written with, plus the filled-in fields. */
export interface CheckpointMeta extends CheckpointMetaInput {
  config: JsonValue;
  /** The file's format version. */
  formatVersion: number;
  createdAt: string;
  packageVersion: string;
  gitRevision: string | null;
  [key: string]: unknown;
}

/** A checkpoint as read back. */
export interface Checkpoint {
  meta: CheckpointMeta;
  arrays: StateTree;
}

/**
 * A checkpoint to write: metadata plus the trainer's state, any object whose leaves are JSON
 * values and `CheckpointArray`s (checked when written).
 */
export interface CheckpointInput<M extends CheckpointMetaInput = CheckpointMetaInput> {
  meta: M;
  arrays: object;
}

/** Options of `writeCheckpoint`. */
export interface WriteCheckpointOptions {
  /** Keep this many numbered checkpoints (the one just written included); absent: keep all. */
  keepLast?: number;
}

/** A numbered checkpoint file found in a directory. */
export interface CheckpointEntry {
  iteration: number;
  file: string;
}

// -- format constants

/** The format version this build writes and the only one it reads. */
export const CHECKPOINT_FORMAT_VERSION = 1;
/** The first 8 bytes of every checkpoint file. */
const CHECKPOINT_MAGIC = Buffer.from('S2RCKPT\0', 'latin1');
const PREFIX_BYTES = 24; // magic 8 + version u32 + header length u32 + payload length u64
const ALIGN_BYTES = 64;
const DIGEST_BYTES = 32; // SHA-256
const ZEROS = new Uint8Array(ALIGN_BYTES);

const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint32: Uint32Array,
} as const;
type DType = keyof typeof DTYPES;

// -- encoding

/** An encoded checkpoint before it is written: header and arrays with their offsets. */
export interface Plan {
  header: Buffer;
  arrays: { bytes: Uint8Array; offset: number }[];
  payloadBytes: number;
}

/** Serializes a checkpoint to bytes (the file's exact content), e.g. to send weights elsewhere. */
export function encodeCheckpoint<M extends CheckpointMetaInput>(ckpt: CheckpointInput<M>): Buffer {
  return Buffer.concat([...checkpointChunks(planCheckpoint(ckpt))]);
}

/** Checks and lays out a checkpoint; throws naming the path of a value that cannot be stored. */
export function planCheckpoint(ckpt: CheckpointInput): Plan {
  assertLittleEndian();
  const { meta } = ckpt;
  if (!Number.isSafeInteger(meta.iteration) || meta.iteration < 0) throw new Error(`meta.iteration must be a non-negative integer, got ${meta.iteration}`);
  if (!Number.isSafeInteger(meta.envSteps) || meta.envSteps < 0) throw new Error(`meta.envSteps must be a non-negative integer, got ${meta.envSteps}`);
  const fullMeta = {
    ...meta,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    createdAt: meta.createdAt ?? new Date().toISOString(),
    packageVersion: meta.packageVersion ?? sourceInfo().packageVersion,
    gitRevision: meta.gitRevision !== undefined ? meta.gitRevision : sourceInfo().gitRevision,
  };
  const plan: Plan = { header: Buffer.alloc(0), arrays: [], payloadBytes: 0 };
  const tree = {
    meta: encodeValue(fullMeta, 'meta', null, new Set()),
    arrays: encodeValue(ckpt.arrays, 'arrays', plan, new Set()),
  };
  plan.header = Buffer.from(JSON.stringify(tree), 'utf8');
  return plan;
}

/** The bytes of a planned checkpoint, chunk by chunk (no copy of the arrays). */
export function* checkpointChunks(plan: Plan): Generator<Uint8Array> {
  const hash = createHash('sha256');
  const out = (b: Uint8Array): Uint8Array => (hash.update(b), b);
  const prefix = Buffer.alloc(PREFIX_BYTES);
  CHECKPOINT_MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
  prefix.writeUInt32LE(plan.header.byteLength, 12);
  prefix.writeBigUInt64LE(BigInt(plan.payloadBytes), 16);
  yield out(prefix);
  yield out(plan.header);
  const headerEnd = PREFIX_BYTES + plan.header.byteLength;
  yield out(ZEROS.subarray(0, alignUp(headerEnd) - headerEnd));
  let pos = 0;
  for (const { bytes, offset } of plan.arrays) {
    yield out(ZEROS.subarray(0, offset - pos));
    yield out(bytes);
    pos = offset + bytes.byteLength;
  }
  yield hash.digest();
}

/** Turns a state value into header JSON, registering typed arrays in `plan` (null: none allowed). */
function encodeValue(value: unknown, path: string, plan: Plan | null, onPath: Set<object>): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : { $number: specialNumberName(value) };
  if (typeof value !== 'object') throw new Error(`${path} is ${typeof value}, which a checkpoint cannot hold`);
  const dtype = dtypeOf(value);
  if (dtype !== null) {
    if (plan === null) throw new Error(`${path} is a typed array; meta holds JSON values only`);
    const arr = value as CheckpointArray;
    const offset = alignUp(plan.payloadBytes);
    plan.arrays.push({ bytes: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), offset });
    plan.payloadBytes = offset + arr.byteLength;
    return { $array: { dtype, offset, length: arr.length } };
  }
  if (onPath.has(value)) throw new Error(`${path} refers back to itself (a cycle)`);
  onPath.add(value);
  let out: JsonValue;
  if (Array.isArray(value)) {
    out = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new Error(`${path}[${i}] is a hole in a sparse array`);
      out.push(encodeValue(value[i], `${path}[${i}]`, plan, onPath));
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new Error(`${path} is a ${describeObject(value)}, which a checkpoint cannot hold`);
    out = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) throw new Error(`${path}.${key} is undefined`);
      setKey(out, key.startsWith('$') ? `$${key}` : key, encodeValue(v, `${path}.${key}`, plan, onPath));
    }
  }
  onPath.delete(value);
  return out;
}

function dtypeOf(value: object): DType | null {
  if (value instanceof Float32Array) return 'float32';
  if (value instanceof Float64Array) return 'float64';
  if (value instanceof Int32Array) return 'int32';
  if (value instanceof Uint8Array) return 'uint8';
  if (value instanceof Uint32Array) return 'uint32';
  if (ArrayBuffer.isView(value)) throw new Error(`${describeObject(value)} is not a supported array type (Float32/Float64/Int32/Uint8/Uint32)`);
  return null;
}

function specialNumberName(x: number): string {
  return Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : '-0';
}

// -- decoding

/**
 * Parses checkpoint bytes; `source` names them in errors (the file path). Typed arrays come back
 * as fresh copies of the type that was written.
 */
export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  assertLittleEndian();
  const fail = (what: string): never => {
    throw new Error(`checkpoint ${source} ${what}`);
  };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicSeen = buf.subarray(0, Math.min(buf.length, CHECKPOINT_MAGIC.length));
  if (!magicSeen.equals(CHECKPOINT_MAGIC.subarray(0, magicSeen.length))) {
    fail(`is not a sim2real checkpoint (it does not start with "S2RCKPT"; a foreign or damaged file)`);
  }
  if (buf.length < 12) fail(`is truncated: ${buf.length} bytes, shorter than the file prefix`);
  const version = buf.readUInt32LE(8);
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    fail(`has format version ${version}; this sim2real reads version ${CHECKPOINT_FORMAT_VERSION} only`);
  }
  if (buf.length < PREFIX_BYTES) fail(`is truncated: ${buf.length} bytes, shorter than the file prefix`);
  const headerBytes = buf.readUInt32LE(12);
  const payloadBytes = Number(buf.readBigUInt64LE(16));
  const payloadStart = alignUp(PREFIX_BYTES + headerBytes);
  const expected = payloadStart + payloadBytes + DIGEST_BYTES;
  if (buf.length < expected) fail(`is truncated or corrupt: ${buf.length} bytes, its prefix describes ${expected}`);
  if (buf.length > expected) fail(`is corrupt: ${buf.length} bytes, its prefix describes ${expected}`);
  const digest = createHash('sha256').update(buf.subarray(0, expected - DIGEST_BYTES)).digest();
  if (!digest.equals(buf.subarray(expected - DIGEST_BYTES))) fail(`is corrupt: SHA-256 checksum mismatch`);

  let tree: unknown;
  try {
    tree = JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes));
  } catch (err) {
    fail(`has an unreadable header: ${errorMessage(err)}`);
  }
  const payload = { buffer: buf.buffer, start: buf.byteOffset + payloadStart, bytes: payloadBytes };
  try {
    if (!isPlainRecord(tree) || !isPlainRecord(tree.meta) || !isPlainRecord(tree.arrays)) throw new Error('header lacks meta or arrays');
    const meta = decodeValue(tree.meta, 'meta', null) as CheckpointMeta;
    if (!Number.isSafeInteger(meta.iteration) || !Number.isSafeInteger(meta.envSteps) || meta.formatVersion !== version) {
      throw new Error('meta lacks iteration, envSteps or formatVersion');
    }
    return { meta, arrays: decodeValue(tree.arrays, 'arrays', payload) as StateTree };
  } catch (err) {
    return fail(`has an invalid header: ${errorMessage(err)}`);
  }
}

interface Payload {
  buffer: ArrayBufferLike;
  start: number;
  bytes: number;
}

function decodeValue(value: unknown, path: string, payload: Payload | null): StateValue {
  if (value === null || typeof value !== 'object') return value as StateValue;
  if (Array.isArray(value)) return value.map((v, i) => decodeValue(v, `${path}[${i}]`, payload));
  const rec = value as Record<string, unknown>;
  if ('$number' in rec) {
    const n = ({ NaN, Infinity, '-Infinity': -Infinity, '-0': -0 } as Record<string, number>)[String(rec.$number)];
    if (n === undefined || Object.keys(rec).length !== 1) throw new Error(`${path}: bad $number`);
    return n;
  }
  if ('$array' in rec) {
    if (payload === null || Object.keys(rec).length !== 1) throw new Error(`${path}: misplaced $array`);
    return decodeArray(rec.$array, path, payload);
  }
  const out: { [key: string]: StateValue } = {};
  for (const [key, v] of Object.entries(rec)) {
    if (key.startsWith('$') && !key.startsWith('$$')) throw new Error(`${path}: unknown tag ${key}`);
    setKey(out, key.startsWith('$') ? key.slice(1) : key, decodeValue(v, `${path}.${key}`, payload));
  }
  return out;
}

function decodeArray(spec: unknown, path: string, payload: Payload): CheckpointArray {
  const s = (isPlainRecord(spec) ? spec : {}) as { dtype?: unknown; offset?: unknown; length?: unknown };
  const Ctor = typeof s.dtype === 'string' && Object.hasOwn(DTYPES, s.dtype) ? DTYPES[s.dtype as DType] : null;
  const { offset, length } = s;
  if (Ctor === null || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) throw new Error(`${path}: bad $array`);
  const [off, len] = [offset as number, length as number];
  const end = off + len * Ctor.BYTES_PER_ELEMENT;
  if (off < 0 || len < 0 || off % ALIGN_BYTES !== 0 || end > payload.bytes) throw new Error(`${path}: array outside the payload`);
  return new Ctor(payload.buffer.slice(payload.start + off, payload.start + end) as ArrayBuffer);
}

// -- helpers

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN_BYTES) * ALIGN_BYTES;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets an own property even for the key "__proto__". */
function setKey<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function describeObject(value: object): string {
  return value.constructor?.name ?? 'object without prototype';
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('checkpoints are little-endian; big-endian hosts are not supported');
}
