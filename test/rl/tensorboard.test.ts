import { randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import protobuf from 'protobufjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c, readScalarEvents, TensorBoardWriter } from '../../src/rl/tensorboard.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tb-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Bit-at-a-time CRC-32C, the definition (reflected polynomial 0x82F63B78), to check the fast one against. */
function referenceCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's mask, in BigInt arithmetic so it shares nothing with the code under test. */
function referenceMask(crc: number): number {
  const c = BigInt(crc);
  const rotated = ((c >> 15n) | (c << 17n)) & 0xffffffffn;
  return Number((rotated + 0xa282ead8n) & 0xffffffffn);
}

// tensorflow/core/util/event.proto and framework/summary.proto, the parts scalars use.
const EVENT_PROTO = `
syntax = "proto3";
package tensorflow;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what { string file_version = 3; Summary summary = 5; SessionLog session_log = 6; }
}
message SessionLog { enum SessionStatus { STATUS_UNSPECIFIED = 0; START = 1; STOP = 2; CHECKPOINT = 3; } SessionStatus status = 1; }
message Summary { message Value { string tag = 1; oneof value { float simple_value = 2; } } repeated Value value = 1; }
`;
const Event = protobuf.parse(EVENT_PROTO, { keepCase: true }).root.lookupType('tensorflow.Event');

interface DecodedEvent {
  wall_time?: number;
  step?: number;
  file_version?: string;
  summary?: { value: { tag: string; simple_value: number }[] };
  session_log?: { status: string };
}

/** Parses TFRecord framing independently, checking both masked CRCs of every record. */
function readRecords(file: string): DecodedEvent[] {
  const buf = readFileSync(file);
  const events: DecodedEvent[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const len = Number(buf.readBigUInt64LE(pos));
    expect(buf.readUInt32LE(pos + 8), `length CRC at ${pos}`).toBe(referenceMask(referenceCrc32c(buf.subarray(pos, pos + 8))));
    const data = buf.subarray(pos + 12, pos + 12 + len);
    expect(buf.readUInt32LE(pos + 12 + len), `data CRC at ${pos}`).toBe(referenceMask(referenceCrc32c(data)));
    events.push(Event.toObject(Event.decode(data), { longs: Number, enums: String }) as DecodedEvent);
    pos += 16 + len;
  }
  expect(pos).toBe(buf.length);
  return events;
}

function onlyFile(): string {
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  return join(dir, files[0]!);
}

describe('CRC-32C', () => {
  it('matches the published check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI) appendix B.4
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    // an iSCSI read command PDU (RFC 3720 B.4, also in TensorFlow's crc32c_test.cc)
    const pdu = [0x01, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x18, 0x28, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0];
    expect(crc32c(Uint8Array.from(pdu))).toBe(0xd9963a56);
    expect(crc32c(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x22620404);
  });

  it('masks as TFRecord readers expect', () => {
    // a masked CRC published by an independent TFRecord implementation's tests
    expect(maskedCrc32c(Buffer.from('1234567890asdfghjkl'))).toBe(4134599430);
  });

  it('agrees with the bitwise definition on random data, masked too', () => {
    for (let i = 0; i < 50; i++) {
      const data = randomBytes(randomInt(0, 3000));
      expect(crc32c(data)).toBe(referenceCrc32c(data));
      expect(maskedCrc32c(data)).toBe(referenceMask(referenceCrc32c(data)));
    }
  });
});

describe('TensorBoardWriter', () => {
  it('writes an event file TensorBoard can read: version record, then one event per scalar', () => {
    const writer = new TensorBoardWriter(join(dir, 'nested', 'tb'));
    const written: { tag: string; value: number; step: number; wallTimeS: number }[] = [];
    const tags = ['train/mean_return', 'train/policy_loss', 'train/ünïcode tag'];
    for (let i = 0; i < 40; i++) {
      const s = {
        tag: tags[i % tags.length]!,
        value: Math.fround((Math.random() - 0.5) * 10 ** randomInt(-6, 7)),
        step: i < 39 ? i * 2048 : 2 ** 40 + 7, // steps past 2^32 must survive as int64
        wallTimeS: 1.7e9 + i * 0.25,
      };
      writer.scalar(s.tag, s.value, s.step, s.wallTimeS);
      written.push(s);
    }
    writer.scalar('train/nan', NaN, 1);
    writer.close();
    const file = join(dir, 'nested', 'tb', readdirSync(join(dir, 'nested', 'tb'))[0]!);
    expect(file).toBe(writer.file);
    expect(basename(file)).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${hostname().replace(/[^\w.-]/g, '_').replace(/\./g, '\\.')}$`));
    const [first, ...rest] = readRecords(file);
    expect(first!.file_version).toBe('brain.Event:2');
    expect(Math.abs(first!.wall_time! - Date.now() / 1000)).toBeLessThan(60);
    expect(rest).toHaveLength(41);
    written.forEach((s, i) => {
      const ev = rest[i]!;
      expect(ev.step ?? 0).toBe(s.step);
      expect(ev.wall_time).toBe(s.wallTimeS);
      expect(ev.summary!.value).toEqual([{ tag: s.tag, simple_value: s.value }]); // float32-exact values
    });
    expect(rest[40]!.summary!.value[0]!.simple_value).toBeNaN();
    expect(readScalarEvents(file).map(({ tag, value, step, wallTimeS }) => ({ tag, value, step, wallTimeS })).slice(0, 40)).toEqual(written);
  });

  it('scalars reach the file on flush(), and a restart marker purges stale steps', () => {
    const writer = new TensorBoardWriter(dir);
    const file = onlyFile();
    writer.scalar('a', 1.5, 10, 100);
    expect(readRecords(file)).toHaveLength(1); // only the version record so far
    writer.flush();
    expect(readRecords(file)).toHaveLength(2);
    writer.sessionStart(11, 101);
    writer.close();
    writer.close();
    const last = readRecords(file).at(-1)!;
    expect(last).toEqual({ wall_time: 101, step: 11, session_log: { status: 'START' } });
    expect(() => writer.scalar('a', 1, 12)).toThrow(`TensorBoard writer for ${file} is closed`);
  });

  it('two writers in one directory in the same second get separate files', () => {
    const a = new TensorBoardWriter(dir);
    const b = new TensorBoardWriter(dir);
    a.scalar('x', 1, 1);
    b.scalar('x', 2, 1);
    a.close();
    b.close();
    expect(a.file).not.toBe(b.file);
    expect(readScalarEvents(a.file).map((e) => e.value)).toEqual([1]);
    expect(readScalarEvents(b.file).map((e) => e.value)).toEqual([2]);
  });

  it('rejects bad input with a message and reads past a torn last record', () => {
    const writer = new TensorBoardWriter(dir);
    expect(() => writer.scalar('', 1, 0)).toThrow('tag must be a non-empty string');
    expect(() => writer.scalar('x', 1, -1)).toThrow('step must be a non-negative integer');
    expect(() => writer.scalar('x', 1, 1.5)).toThrow('step must be a non-negative integer');
    writer.scalar('x', 3, 5);
    writer.close();
    appendFileSync(writer.file, Buffer.from([40, 0, 0, 0, 0, 0, 0, 0, 1, 2])); // a writer killed mid-record
    expect(readScalarEvents(writer.file)).toMatchObject([{ tag: 'x', value: 3, step: 5 }]);
  });
});
