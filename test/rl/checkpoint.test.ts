import { createHash, randomInt } from 'node:crypto';
import * as realFs from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CHECKPOINT_FORMAT_VERSION,
  checkpointName,
  decodeCheckpoint,
  encodeCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  readCheckpoint,
  sourceInfo,
  writeCheckpoint,
  type CheckpointInput,
  type StateTree,
  type StateValue,
} from '../../src/rl/checkpoint.ts';
import { Rng } from '../../src/task/rng.ts';

// A switch to make the Nth write() of a file fail with ENOSPC, as a full disk would.
const failure = vi.hoisted(() => ({ afterWrites: -1 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
    if (failure.afterWrites === 0) {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    if (failure.afterWrites > 0) failure.afterWrites--;
    return (fs.writeSync as (...a: unknown[]) => number)(...args);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ckpt-test-'));
  failure.afterWrites = -1;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// -- random state trees

const CTORS = [Float32Array, Float64Array, Int32Array, Uint8Array, Uint32Array] as const;
const SPECIAL_NUMBERS = [NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 - 1, -1e-310];
const KEYS = ['w', 'b', '$array', '$number', '$$x', '__proto__', 'µ-σ', '0', '12', 'adam.m', ''];

function randomArray(rng: Rng): StateValue {
  const Ctor = CTORS[rng.int(0, CTORS.length - 1)]!;
  const length = rng.int(0, 300);
  const pad = rng.int(0, 3); // a view into a larger buffer: only the view must be stored
  const whole = new Ctor(length + 2 * pad);
  const bytes = new Uint8Array(whole.buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255); // random bits: NaN payloads, denormals
  return whole.subarray(pad, pad + length);
}

function randomNumber(rng: Rng): number {
  if (rng.next() < 0.3) return SPECIAL_NUMBERS[rng.int(0, SPECIAL_NUMBERS.length - 1)]!;
  const f = new Float64Array(1);
  new Uint32Array(f.buffer).set([rng.nextU32(), rng.nextU32()]);
  return rng.next() < 0.5 ? f[0]! : rng.normal() * 10 ** rng.int(-5, 5);
}

function randomState(rng: Rng, depth: number): StateValue {
  const kind = rng.int(0, depth > 0 ? 7 : 5);
  switch (kind) {
    case 0:
    case 1:
      return randomArray(rng);
    case 2:
      return randomNumber(rng);
    case 3:
      return rng.next() < 0.5 ? null : rng.next() < 0.5;
    case 4:
      return ['', 'tanh', 'ünïcødé ✓', '"quoted"\n', '\ud800 lone surrogate'][rng.int(0, 4)]!;
    case 5:
      return rng.int(-1000, 1000);
    case 6:
      return Array.from({ length: rng.int(0, 4) }, () => randomState(rng, depth - 1));
    default: {
      const obj: { [key: string]: StateValue } = {};
      for (let i = rng.int(0, 5); i > 0; i--) {
        Object.defineProperty(obj, KEYS[rng.int(0, KEYS.length - 1)]!, {
          value: randomState(rng, depth - 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return obj;
    }
  }
}

/** Asserts `got` is `want` exactly: typed arrays of the same type with identical bytes, numbers by Object.is. */
function expectSame(got: unknown, want: unknown, path = 'arrays'): void {
  if (ArrayBuffer.isView(want)) {
    expect(ArrayBuffer.isView(got), path).toBe(true);
    const g = got as Uint8Array;
    const w = want as Uint8Array;
    expect(g.constructor, path).toBe(w.constructor);
    expect(g.length, path).toBe(w.length);
    expect(Buffer.from(g.buffer, g.byteOffset, g.byteLength).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength)), path).toBe(true);
  } else if (typeof want === 'number') {
    expect(Object.is(got, want), `${path}: ${String(got)} vs ${String(want)}`).toBe(true);
  } else if (Array.isArray(want)) {
    expect(Array.isArray(got), path).toBe(true);
    expect((got as unknown[]).length, path).toBe(want.length);
    want.forEach((w, i) => expectSame((got as unknown[])[i], w, `${path}[${i}]`));
  } else if (typeof want === 'object' && want !== null) {
    expect(typeof got === 'object' && got !== null && !Array.isArray(got), path).toBe(true);
    expect(Object.getPrototypeOf(got), path).toBe(Object.prototype);
    expect(Object.keys(got as object).sort(), path).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) expectSame((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}.${k}`);
  } else {
    expect(got, path).toBe(want);
  }
}

function ckptAt(iteration: number, arrays: StateTree = { w: new Float32Array([iteration, 1, 2]) }): CheckpointInput {
  return { meta: { iteration, envSteps: iteration * 2048, config: { env: 'cartpole', lr: 1e-3 } }, arrays };
}

function filesIn(d: string): string[] {
  return readdirSync(d).sort();
}

// -- tests

describe('checkpoint round trip', () => {
  it('reads back exactly what was written: every typed array bit for bit, every JSON value', () => {
    const seed = randomInt(2 ** 31);
    const rng = new Rng(seed);
    for (let trial = 0; trial < 25; trial++) {
      const arrays = { state: randomState(rng, 4), weights: randomArray(rng), rng: { s: [rng.nextU32(), 7], spare: randomNumber(rng) } };
      const meta = { iteration: trial, envSteps: trial * 4096, config: { seed, note: '$array', nested: { x: [1, -0, 'y'] } }, runner: { resumedFrom: null } };
      const file = writeCheckpoint(dir, checkpointName(trial), { meta, arrays });
      const back = readCheckpoint(file);
      expectSame(back.arrays, arrays, `seed ${seed} trial ${trial}: arrays`);
      expectSame(back.meta.config, meta.config, 'meta.config');
      expect(back.meta).toMatchObject({ iteration: trial, envSteps: trial * 4096, runner: { resumedFrom: null } });
    }
  });

  it('fills in format version, creation time, package version and git revision', () => {
    const before = Date.now();
    const back = readCheckpoint(writeCheckpoint(dir, checkpointName(3), ckptAt(3)));
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(back.meta.formatVersion).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(back.meta.packageVersion).toBe(pkg.version);
    expect(back.meta.gitRevision).toBe(sourceInfo().gitRevision);
    expect(back.meta.gitRevision === null || /^[0-9a-f]{40}(-dirty)?$/.test(back.meta.gitRevision!)).toBe(true);
    expect(Date.parse(back.meta.createdAt!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('lays the file out as documented: prefix, JSON header, 64-byte-aligned payload, SHA-256 trailer', () => {
    const w = new Float64Array([Math.PI, -0, NaN]);
    const ckpt = ckptAt(5, { a: new Uint8Array([1, 2, 3]), b: w });
    ckpt.meta.createdAt = '2020-01-01T00:00:00.000Z';
    const bytes = readFileSync(writeCheckpoint(dir, checkpointName(5), ckpt));
    expect(bytes.equals(encodeCheckpoint(ckpt))).toBe(true);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('S2RCKPT\0');
    expect(bytes.readUInt32LE(8)).toBe(1);
    const headerBytes = bytes.readUInt32LE(12);
    const payloadBytes = Number(bytes.readBigUInt64LE(16));
    const payloadStart = Math.ceil((24 + headerBytes) / 64) * 64;
    expect(bytes.length).toBe(payloadStart + payloadBytes + 32);
    const header = JSON.parse(bytes.toString('utf8', 24, 24 + headerBytes)) as { arrays: { b: { $array: { dtype: string; offset: number; length: number } } } };
    expect(header.arrays.b.$array).toEqual({ dtype: 'float64', offset: 64, length: 3 });
    expect(Buffer.from(bytes.buffer, bytes.byteOffset + payloadStart + 64, 24).equals(Buffer.from(w.buffer))).toBe(true);
    const digest = createHash('sha256').update(bytes.subarray(0, bytes.length - 32)).digest();
    expect(digest.equals(bytes.subarray(bytes.length - 32))).toBe(true);
    expectSame(decodeCheckpoint(bytes, 'mem').arrays, ckpt.arrays);
  });
});

describe('damaged and foreign files', () => {
  function goodFile(): { file: string; bytes: Buffer } {
    const rng = new Rng(randomInt(2 ** 31));
    const file = writeCheckpoint(dir, checkpointName(1), ckptAt(1, { s: randomState(rng, 3), w: randomArray(rng) }));
    return { file, bytes: readFileSync(file) };
  }

  it('refuses a file truncated anywhere, naming the file', () => {
    const { bytes } = goodFile();
    const cuts = [0, 1, 7, 8, 11, 12, 23, 24, bytes.length - 32, bytes.length - 1];
    for (let i = 0; i < 40; i++) cuts.push(randomInt(bytes.length));
    for (const cut of cuts) {
      const bad = join(dir, `cut_${cut}.bin`);
      writeFileSync(bad, bytes.subarray(0, cut));
      expect(() => readCheckpoint(bad), `cut at ${cut}`).toThrow(new RegExp(`checkpoint ${bad} is truncated`));
    }
  });

  it('refuses a file with any one byte changed', () => {
    const { bytes } = goodFile();
    const positions = [0, 8, 12, 16, 24, bytes.length - 1];
    for (let i = 0; i < 60; i++) positions.push(randomInt(bytes.length));
    for (const pos of positions) {
      const bad = join(dir, `flip_${pos}.bin`);
      const copy = Buffer.from(bytes);
      copy[pos] = copy[pos]! ^ (1 << randomInt(8));
      writeFileSync(bad, copy);
      const why =
        pos < 8 ? 'is not a sim2real checkpoint' : pos < 12 ? 'has format version' : pos < 24 ? 'is (truncated or )?corrupt' : 'is corrupt: SHA-256 checksum mismatch';
      expect(() => readCheckpoint(bad), `byte ${pos}`).toThrow(new RegExp(`checkpoint ${bad} ${why}`));
    }
  });

  it('refuses foreign files and names a newer format version', () => {
    const cases: [string, Uint8Array][] = [
      ['config.json', Buffer.from('{"iteration": 3}\n')],
      ['image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])],
      ['model.pt', Buffer.from('PK\x03\x04 a zip archive, as torch.save writes')],
    ];
    for (const [name, content] of cases) {
      const file = join(dir, name);
      writeFileSync(file, content);
      expect(() => readCheckpoint(file)).toThrow(`checkpoint ${file} is not a sim2real checkpoint`);
    }
    const { bytes } = goodFile();
    const future = Buffer.from(bytes);
    future.writeUInt32LE(2, 8);
    const file = join(dir, 'future.bin');
    writeFileSync(file, future);
    expect(() => readCheckpoint(file)).toThrow(`checkpoint ${file} has format version 2; this sim2real reads version 1 only`);
    expect(() => readCheckpoint(join(dir, 'missing.bin'))).toThrow(/cannot read checkpoint .*missing\.bin: ENOENT/);
  });
});

describe('checkpoint directory', () => {
  it('keeps the last K numbered checkpoints, never the wrong ones', () => {
    for (let it = 1; it <= 7; it++) writeCheckpoint(dir, checkpointName(it * 10), ckptAt(it * 10), { keepLast: 3 });
    expect(filesIn(dir)).toEqual(['ckpt_000050.bin', 'ckpt_000060.bin', 'ckpt_000070.bin']);
    expect(latestCheckpoint(dir)).toBe(join(dir, 'ckpt_000070.bin'));
    expect((readCheckpoint(latestCheckpoint(dir)!).arrays.w as Float32Array)[0]).toBe(70);
    // A run resumed from iteration 50 abandons 60 and 70: its next checkpoint replaces them.
    writeCheckpoint(dir, checkpointName(55), ckptAt(55), { keepLast: 3 });
    expect(filesIn(dir)).toEqual(['ckpt_000050.bin', 'ckpt_000055.bin']);
    // keepLast 1 keeps only the one just written; no keepLast keeps everything; other names are never pruned.
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeCheckpoint(dir, 'final.bin', ckptAt(56), { keepLast: 1 });
    writeCheckpoint(dir, checkpointName(57), ckptAt(57), { keepLast: 1 });
    expect(filesIn(dir)).toEqual(['ckpt_000057.bin', 'final.bin', 'notes.txt']);
    writeCheckpoint(dir, checkpointName(1234567), ckptAt(1234567));
    writeCheckpoint(dir, checkpointName(1234568), ckptAt(1234568));
    expect(listCheckpoints(dir).map((e) => e.iteration)).toEqual([57, 1234567, 1234568]);
    expect(latestCheckpoint(join(dir, 'nope'))).toBeNull();
  });

  it('never picks up temp files a crash left behind, and cleans them on the next write', () => {
    const sub = join(dir, 'checkpoints');
    mkdirSync(sub);
    writeCheckpoint(sub, checkpointName(3), ckptAt(3));
    const stale = ['.ckpt_000004.bin.tmp-4242-deadbeef', '.ckpt_000009.bin.tmp-17-00c0ffee'];
    writeFileSync(join(sub, stale[0]!), readFileSync(join(sub, checkpointName(3))).subarray(0, 100));
    writeFileSync(join(sub, stale[1]!), 'garbage');
    expect(latestCheckpoint(sub)).toBe(join(sub, 'ckpt_000003.bin'));
    writeCheckpoint(sub, checkpointName(4), ckptAt(4), { keepLast: 5 });
    expect(filesIn(sub)).toEqual(['ckpt_000003.bin', 'ckpt_000004.bin']);
  });

  it('a value that cannot be stored fails the write before any file is touched', () => {
    writeCheckpoint(dir, checkpointName(1), ckptAt(1));
    const before = readFileSync(join(dir, checkpointName(1)));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: [unknown, RegExp][] = [
      [() => 0, /arrays\.x is function/],
      [10n, /arrays\.x is bigint/],
      [new Map(), /arrays\.x is a Map/],
      [new Int16Array(3), /Int16Array is not a supported array type/],
      [{ deep: [1, undefined] }, /arrays\.x\.deep\[1\] is undefined|arrays\.x\.deep\[1\]/],
      [{ y: undefined }, /arrays\.x\.y is undefined/],
      [cyclic, /arrays\.x\.self refers back to itself/],
    ];
    for (const [value, why] of bad) {
      for (const name of [checkpointName(2), checkpointName(1)]) {
        const iteration = name === checkpointName(1) ? 1 : 2;
        const attempt = () => writeCheckpoint(dir, name, ckptAt(iteration, { x: value as StateValue }), { keepLast: 1 });
        expect(attempt).toThrow(why);
        expect(attempt).toThrow(`cannot write checkpoint ${join(dir, name)}`);
      }
    }
    expect(filesIn(dir)).toEqual([checkpointName(1)]);
    expect(readFileSync(join(dir, checkpointName(1))).equals(before)).toBe(true);
  });

  it('a write that fails midway (disk full) leaves the previous checkpoint intact and no temp file', () => {
    const rng = new Rng(randomInt(2 ** 31));
    writeCheckpoint(dir, checkpointName(1), ckptAt(1));
    writeCheckpoint(dir, 'final.bin', ckptAt(1));
    const before = readFileSync(join(dir, checkpointName(1)));
    const big = { w: randomArray(rng), v: new Float64Array(10_000) };
    for (const name of [checkpointName(2), 'final.bin']) {
      failure.afterWrites = 2; // prefix and header get out, then the disk is full
      const iteration = name === 'final.bin' ? 9 : 2;
      expect(() => writeCheckpoint(dir, name, ckptAt(iteration, big), { keepLast: 1 })).toThrow(
        `cannot write ${join(dir, name)}: ENOSPC: no space left on device`,
      );
      failure.afterWrites = -1;
    }
    expect(filesIn(dir)).toEqual([checkpointName(1), 'final.bin']);
    expect(readFileSync(join(dir, checkpointName(1))).equals(before)).toBe(true);
    expect(readCheckpoint(join(dir, 'final.bin')).meta.iteration).toBe(1);
    expect(latestCheckpoint(dir)).toBe(join(dir, checkpointName(1)));
    // And once there is room again, the same write succeeds.
    writeCheckpoint(dir, checkpointName(2), ckptAt(2, big), { keepLast: 1 });
    expectSame(readCheckpoint(join(dir, checkpointName(2))).arrays, big);
    expect(realFs.existsSync(join(dir, checkpointName(1)))).toBe(false);
  });

  it('rejects names that disagree with the iteration and bad keepLast values', () => {
    expect(() => writeCheckpoint(dir, checkpointName(4), ckptAt(5))).toThrow('does not match meta.iteration 5');
    expect(() => writeCheckpoint(dir, '../escape.bin', ckptAt(5))).toThrow('plain file name');
    expect(() => writeCheckpoint(dir, checkpointName(5), ckptAt(5), { keepLast: 0 })).toThrow('keepLast');
    expect(() => checkpointName(-1)).toThrow('non-negative integer');
    expect(filesIn(dir)).toEqual([]);
  });
});
