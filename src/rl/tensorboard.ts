/**
 * TensorBoard event files for training curves, so users watch a run in the tool they already
 * have. Records use TFRecord framing (masked CRC32C); payloads are `tensorflow.Event` protobufs
 * encoded by protobufjs from the schema subset declared below.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import CRC32C from 'crc-32/crc32c.js';
import protobuf from 'protobufjs';

// -- checksums

/** CRC-32C (Castagnoli) of `data`, unsigned. */
export function crc32c(data: Uint8Array): number {
  return CRC32C.buf(data) >>> 0;
}

/** TFRecord's masked CRC-32C: rotated right by 15 bits plus a constant, so CRCs of CRCs stay strong. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

// -- schema (the subset of tensorflow/core/util/event.proto and summary.proto that scalars use)

const root = protobuf.Root.fromJSON({
  nested: {
    tensorflow: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['file_version', 'summary', 'session_log'] } },
          fields: {
            wall_time: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            file_version: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
            session_log: { type: 'SessionLog', id: 6 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              oneofs: { value: { oneof: ['simple_value'] } },
              fields: { tag: { type: 'string', id: 1 }, simple_value: { type: 'float', id: 2 } },
            },
          },
        },
        SessionLog: {
          fields: { status: { type: 'SessionStatus', id: 1 } },
          nested: { SessionStatus: { values: { STATUS_UNSPECIFIED: 0, START: 1, STOP: 2, CHECKPOINT: 3 } } },
        },
      },
    },
  },
});
const EventType = root.lookupType('tensorflow.Event');
const SESSION_START = 1;

/** One scalar read back from an event file. */
export interface ScalarEvent {
  tag: string;
  value: number;
  step: number;
  wallTimeS: number;
}

// -- writer

const AUTO_FLUSH_BYTES = 1 << 16;

/**
 * Appends scalars to a new `events.out.tfevents.<unix>.<hostname>` file in `logDir`. Records
 * are buffered; `flush()` hands them to the OS, `close()` flushes and closes the file.
 */
export class TensorBoardWriter {
  /** The event file this writer appends to. */
  readonly file: string;
  private fd: number | null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(logDir: string) {
    mkdirSync(logDir, { recursive: true });
    const base = `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname().replace(/[^\w.-]/g, '_')}`;
    let opened: { file: string; fd: number } | null = null;
    for (let n = 0; opened === null; n++) {
      const file = join(logDir, n === 0 ? base : `${base}.${n}`);
      try {
        opened = { file, fd: openSync(file, 'wx') };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    this.file = opened.file;
    this.fd = opened.fd;
    this.record({ wall_time: Date.now() / 1000, step: 0, file_version: 'brain.Event:2' });
    this.flush();
  }

  /** Records `value` under `tag` at `step` (an integer: iteration or env steps). */
  scalar(tag: string, value: number, step: number, wallTimeS: number = Date.now() / 1000): void {
    if (typeof tag !== 'string' || tag === '') throw new Error(`TensorBoard tag must be a non-empty string, got ${JSON.stringify(tag)}`);
    if (typeof value !== 'number') throw new Error(`TensorBoard value for ${tag} must be a number, got ${typeof value}`);
    checkStep(step);
    this.record({ wall_time: wallTimeS, step, summary: { value: [{ tag, simple_value: value }] } });
  }

  /**
   * Marks a (re)start at `step`: TensorBoard then drops points at this step and beyond that
   * earlier files of the same run recorded, e.g. from the part of a run a resume replaces.
   */
  sessionStart(step: number, wallTimeS: number = Date.now() / 1000): void {
    checkStep(step);
    this.record({ wall_time: wallTimeS, step, session_log: { status: SESSION_START } });
  }

  /** Writes buffered records to the file. */
  flush(): void {
    const fd = this.openFd();
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done);
  }

  /** Flushes and closes the file; later calls are errors, a second `close()` is a no-op. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }

  private record(event: Record<string, unknown>): void {
    this.openFd();
    const frame = frameRecord(EventType.encode(EventType.fromObject(event)).finish());
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    if (this.pendingBytes >= AUTO_FLUSH_BYTES) this.flush();
  }

  private openFd(): number {
    if (this.fd === null) throw new Error(`TensorBoard writer for ${this.file} is closed`);
    return this.fd;
  }
}

function checkStep(step: number): void {
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`TensorBoard step must be a non-negative integer, got ${step}`);
}

/** One TFRecord: length u64 LE, masked CRC of the length, data, masked CRC of the data. */
function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

// -- reader (for tests and tools)

/**
 * Reads the scalars of an event file, verifying every record's CRCs. A torn final record (a
 * writer killed mid-write) is ignored, as TensorBoard does; any other damage is an Error.
 */
export function readScalarEvents(file: string): ScalarEvent[] {
  const buf = readFileSync(file);
  const out: ScalarEvent[] = [];
  for (let pos = 0; pos < buf.length; ) {
    if (pos + 12 > buf.length) break;
    const len = Number(buf.readBigUInt64LE(pos));
    if (buf.readUInt32LE(pos + 8) !== maskedCrc32c(buf.subarray(pos, pos + 8))) throw new Error(`${file}: bad length CRC at byte ${pos}`);
    if (pos + 16 + len > buf.length) break;
    const data = buf.subarray(pos + 12, pos + 12 + len);
    if (buf.readUInt32LE(pos + 12 + len) !== maskedCrc32c(data)) throw new Error(`${file}: bad data CRC at byte ${pos}`);
    const ev = EventType.toObject(EventType.decode(data), { longs: Number }) as {
      wall_time?: number;
      step?: number;
      summary?: { value?: { tag?: string; simple_value?: number }[] };
    };
    for (const v of ev.summary?.value ?? []) {
      out.push({ tag: v.tag ?? '', value: v.simple_value ?? 0, step: ev.step ?? 0, wallTimeS: ev.wall_time ?? 0 });
    }
    pos += 16 + len;
  }
  return out;
}
