/**
 * The bytes of every cluster message: a JSON header and named typed arrays, copied bit for bit
 * (NaN, -0 and float32 values survive, which JSON numbers would not), plus the split of a
 * message above the server's payload limit into parts and their reassembly. Decoding trusts
 * nothing: lengths, types and offsets are checked, and a damaged frame is an error naming what.
 */

/** The typed arrays a frame carries. */
export type FrameArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint32Array;

const TYPES = { f32: Float32Array, f64: Float64Array, i32: Int32Array, u8: Uint8Array, u32: Uint32Array } as const;
type TypeName = keyof typeof TYPES;

/** A decoded frame: its header and its arrays by name (copies, aligned, owned by the caller). */
export interface Frame<H = Record<string, unknown>> {
  header: H;
  arrays: Record<string, FrameArray>;
}

const MAGIC = 0x53324346; // "S2CF"
const HEAD = 8;

function typeName(a: FrameArray): TypeName {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  return 'u8';
}

/** Encodes `header` (JSON values) and `arrays` into one frame: magic, header length, header, arrays at 8-byte offsets. */
export function encodeFrame(header: object, arrays: Record<string, FrameArray> = {}): Uint8Array {
  const names = Object.keys(arrays);
  const layout = names.map((name) => {
    const a = arrays[name] as FrameArray;
    return { name, type: typeName(a), length: a.length };
  });
  const json = new TextEncoder().encode(JSON.stringify({ h: header, a: layout }));
  let size = align8(HEAD + json.length);
  const offsets = names.map((name) => {
    const at = size;
    size = align8(size + (arrays[name] as FrameArray).byteLength);
    return at;
  });
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  out.set(json, HEAD);
  names.forEach((name, i) => {
    const a = arrays[name] as FrameArray;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offsets[i]);
  });
  return out;
}

/** Decodes a frame made by `encodeFrame`; a damaged or foreign one throws, saying what is wrong. */
export function decodeFrame<H = Record<string, unknown>>(bytes: Uint8Array): Frame<H> {
  if (bytes.length < HEAD) throw new Error(`frame of ${bytes.length} bytes is too short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error('not a sim2real cluster frame (bad magic)');
  const jsonLength = view.getUint32(4, true);
  if (HEAD + jsonLength > bytes.length) throw new Error(`frame header of ${jsonLength} bytes runs past the frame's ${bytes.length}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(HEAD, HEAD + jsonLength)));
  } catch {
    throw new Error('frame header is not JSON');
  }
  const { h, a } = (parsed ?? {}) as { h?: unknown; a?: unknown };
  if (typeof h !== 'object' || h === null || !Array.isArray(a)) throw new Error('frame header has no header object or array list');
  const arrays: Record<string, FrameArray> = {};
  let at = align8(HEAD + jsonLength);
  for (const entry of a as unknown[]) {
    const { name, type, length } = (entry ?? {}) as { name?: unknown; type?: unknown; length?: unknown };
    if (typeof name !== 'string' || typeof type !== 'string' || !Object.hasOwn(TYPES, type) || !Number.isSafeInteger(length) || (length as number) < 0) {
      throw new Error(`frame lists a malformed array ${JSON.stringify(entry)}`);
    }
    if (Object.hasOwn(arrays, name)) throw new Error(`frame lists array "${name}" twice`);
    const Ctor = TYPES[type as TypeName];
    const byteLength = (length as number) * Ctor.BYTES_PER_ELEMENT;
    if (at + byteLength > bytes.length) throw new Error(`frame array "${name}" (${byteLength} bytes) runs past the frame's ${bytes.length}`);
    const copy = new Uint8Array(byteLength);
    copy.set(bytes.subarray(at, at + byteLength));
    arrays[name] = new Ctor(copy.buffer);
    at = align8(at + byteLength);
  }
  return { header: h as H, arrays };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

// -- parts: one message above the payload limit as several

/** What each part of a split message says about itself. */
export interface PartHeader {
  /** Identifies the whole message among others from the same sender (e.g. `<host>:<seq>`). */
  id: string;
  part: number;
  parts: number;
}

/**
 * `message` as one or more part frames of at most `maxBytes` each (the header's room taken off),
 * each tagged with `id` and its place, for `PartsCollector` to put back together.
 */
export function splitParts(id: string, message: Uint8Array, maxBytes: number): Uint8Array[] {
  const room = Math.max(1024, maxBytes - 512);
  const parts = Math.max(1, Math.ceil(message.length / room));
  const out: Uint8Array[] = [];
  for (let p = 0; p < parts; p++) {
    const header: PartHeader = { id, part: p, parts };
    out.push(encodeFrame(header, { bytes: message.subarray(p * room, Math.min(message.length, (p + 1) * room)) }));
  }
  return out;
}

/**
 * Puts split messages back together. Parts of a message may arrive in any order and more than
 * once; `add` returns the whole message once its last missing part arrives, and null before.
 * A message sent again (a resent request) comes out again: telling repeats apart is the
 * receiver's business (by the sequence number in the message). At most `keep` incomplete
 * messages are held; older ones are dropped.
 */
export class PartsCollector {
  private readonly open = new Map<string, { parts: (Uint8Array | undefined)[]; missing: number }>();

  constructor(private readonly keep = 8) {}

  /** Adds one part frame; throws on a damaged one. */
  add(frame: Uint8Array): { id: string; message: Uint8Array } | null {
    const { header, arrays } = decodeFrame<PartHeader>(frame);
    const { id, part, parts } = header;
    const bytes = arrays.bytes;
    if (typeof id !== 'string' || !Number.isSafeInteger(parts) || parts < 1 || !Number.isSafeInteger(part) || part < 0 || part >= parts || !(bytes instanceof Uint8Array)) {
      throw new Error(`malformed message part ${JSON.stringify(header)}`);
    }
    let entry = this.open.get(id);
    if (!entry) {
      entry = { parts: new Array<Uint8Array | undefined>(parts), missing: parts };
      this.open.set(id, entry);
      while (this.open.size > this.keep) this.open.delete(this.open.keys().next().value as string);
    }
    if (entry.parts.length !== parts) throw new Error(`message ${id}: part says ${parts} parts, an earlier one ${entry.parts.length}`);
    if (entry.parts[part] === undefined) {
      entry.parts[part] = bytes;
      entry.missing--;
    }
    if (entry.missing > 0) return null;
    this.open.delete(id);
    const whole = new Uint8Array(entry.parts.reduce((n, p) => n + (p as Uint8Array).length, 0));
    let at = 0;
    for (const p of entry.parts as Uint8Array[]) {
      whole.set(p, at);
      at += p.length;
    }
    return { id, message: whole };
  }
}
