/**
 * The compact binary frame of protocol v1 (docs/bridge-protocol.md): a 24-byte little-endian
 * header followed by float32 values. Observations, action replies and safe commands travel
 * this way when a client says `encoding: "binary"` in its hello; everything else is JSON.
 * Pure: no sockets.
 */
import { PROTOCOL_VERSION, ProtocolError, type SafeReason } from './protocol.ts';

/** First byte of every binary frame ('S'). */
const FRAME_MAGIC = 0x53;
/** Header length in bytes. */
export const HEADER_BYTES = 24;

/** Frame types (header byte 2). */
export const FrameType = { obs: 1, action: 2, safe: 3 } as const;

/** Safe-frame reason codes (header byte 3 of a safe frame). */
export const SAFE_REASON_CODES: Readonly<Record<SafeReason, number>> = { watchdog: 1, estop: 2, no_policy: 3 };

/** A decoded binary frame. */
export interface Frame {
  type: number;
  /** Action: bit 0 = the safety layer limited the command. Safe: the reason code. */
  flags: number;
  seq: number;
  /** Obs: robot timestamp (ms); action: the answered observation's timestamp. */
  tMs: number;
  /** Action: server latency (ms); 0 otherwise. */
  latencyMs: number;
  values: Float32Array;
}

/** Encodes one frame. `values` are written as float32. */
export function encodeFrame(f: Frame): Uint8Array {
  const n = f.values.length;
  if (n > 0xffff) throw new Error(`binary frame: ${n} values do not fit (at most 65535)`);
  const buf = new ArrayBuffer(HEADER_BYTES + 4 * n);
  const dv = new DataView(buf);
  dv.setUint8(0, FRAME_MAGIC);
  dv.setUint8(1, PROTOCOL_VERSION);
  dv.setUint8(2, f.type);
  dv.setUint8(3, f.flags);
  dv.setUint32(4, f.seq >>> 0, true);
  dv.setFloat64(8, f.tMs, true);
  dv.setFloat32(16, f.latencyMs, true);
  dv.setUint16(20, n, true);
  dv.setUint16(22, 0, true);
  for (let i = 0; i < n; i++) dv.setFloat32(HEADER_BYTES + 4 * i, f.values[i] as number, true);
  return new Uint8Array(buf);
}

/** An observation frame. */
export function encodeObsFrame(seq: number, tMs: number, obs: ArrayLike<number>): Uint8Array {
  return encodeFrame({ type: FrameType.obs, flags: 0, seq, tMs, latencyMs: 0, values: Float32Array.from(obs) });
}

/**
 * Decodes a frame; a wrong magic, version, type, length or value count is a ProtocolError
 * naming the header field. Values are copied (the socket's buffer may be reused).
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.byteLength < HEADER_BYTES) throw new ProtocolError('bad_frame', `binary frame of ${bytes.byteLength} bytes is shorter than the ${HEADER_BYTES}-byte header`, 'header');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint8(0) !== FRAME_MAGIC) throw new ProtocolError('bad_frame', `binary frame magic is 0x${dv.getUint8(0).toString(16)}, expected 0x53`, 'magic');
  if (dv.getUint8(1) !== PROTOCOL_VERSION) throw new ProtocolError('version', `binary frame version ${dv.getUint8(1)} is not supported (v${PROTOCOL_VERSION})`, 'version');
  const type = dv.getUint8(2);
  if (type !== FrameType.obs && type !== FrameType.action && type !== FrameType.safe) throw new ProtocolError('bad_frame', `unknown binary frame type ${type}`, 'type');
  const n = dv.getUint16(20, true);
  if (bytes.byteLength !== HEADER_BYTES + 4 * n) throw new ProtocolError('bad_frame', `binary frame says ${n} values but carries ${bytes.byteLength - HEADER_BYTES} payload bytes`, 'count');
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = dv.getFloat32(HEADER_BYTES + 4 * i, true);
  return { type, flags: dv.getUint8(3), seq: dv.getUint32(4, true), tMs: dv.getFloat64(8, true), latencyMs: dv.getFloat32(16, true), values };
}
