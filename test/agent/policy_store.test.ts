/**
 * The policy store: versions are numbered and survive a restart with the active one and the
 * rollback stack; whatever a crash leaves half-done is gone when the store is opened again and
 * the index is exactly as it was; a damaged file is found before it runs.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PolicyStore } from '../../src/agent/policy_store.ts';
import type { PolicyContract } from '../../src/onnx/metadata.ts';

const contract = { task: 'cartpole', robot: 'cartpole' } as PolicyContract;
const meta = { name: 'p.onnx', keyId: '0123456789abcdef', signature: 'sig', contract };
const open = (dir: string, keep = 20) => PolicyStore.open(dir, 'cartpole', { maxBytes: 1 << 20, keep });

describe('policy store', () => {
  it('keeps versions, the active one and the rollback stack across a reopen', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-store-'));
    const s = open(dir);
    const files = [randomBytes(300), randomBytes(400), randomBytes(500)];
    for (const f of files) await s.add(f, meta);
    await s.setActive(1, 'activate', 'first');
    await s.setActive(2, 'activate', 'second');
    await s.setActive(3, 'activate', 'third');
    expect(s.previous).toBe(2);
    await s.setActive(2, 'rollback', 'back');
    const t = open(dir);
    expect(t.active).toBe(2);
    expect(t.previous).toBe(1);
    expect(t.list().map((m) => m.version)).toEqual([1, 2, 3]);
    expect(t.read(3).bytes).toEqual(files[2]);
    expect(t.history().map((e) => `${e.kind} ${e.from}→${e.version}`)).toEqual(['activate null→1', 'activate 1→2', 'activate 2→3', 'rollback 3→2']);
    await expect(t.setActive(3, 'rollback', 'not the previous one')).rejects.toThrow(/the version before 2 is 1/);
  });

  it('a crash mid-push leaves the store as it was: staging, an unlisted version and a half-written index are removed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-store-'));
    const s = open(dir);
    await s.add(randomBytes(200), meta);
    await s.setActive(1, 'activate', 'first');
    const index = readFileSync(path.join(dir, 'state.json'), 'utf8');
    // what a push killed at each step leaves behind
    mkdirSync(path.join(dir, 'staging', '2-deadbeef'));
    writeFileSync(path.join(dir, 'staging', '2-deadbeef', 'policy.onnx'), randomBytes(100));
    mkdirSync(path.join(dir, 'versions', '000002'));
    writeFileSync(path.join(dir, 'versions', '000002', 'policy.onnx'), randomBytes(100));
    writeFileSync(path.join(dir, '.state.json.new-123-abcd'), '{"half":');
    const t = open(dir);
    expect(readFileSync(path.join(dir, 'state.json'), 'utf8')).toBe(index);
    expect(readdirSync(path.join(dir, 'staging'))).toEqual([]);
    expect(readdirSync(path.join(dir, 'versions'))).toEqual(['000001']);
    expect(readdirSync(dir).sort()).toEqual(['staging', 'state.json', 'versions']);
    expect(t.active).toBe(1);
    expect(t.list().map((m) => m.version)).toEqual([1]);
    // the next version number is not reused from the leftover
    expect((await t.add(randomBytes(10), meta)).version).toBe(2);
  });

  it('finds a file damaged on disk, and refuses a store of another robot', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-store-'));
    const s = open(dir);
    await s.add(randomBytes(256), meta);
    const file = path.join(dir, 'versions', '000001', 'policy.onnx');
    const b = readFileSync(file);
    b[Math.floor(Math.random() * b.length)]! ^= 0x10;
    writeFileSync(file, b);
    expect(() => open(dir).read(1)).toThrow(/no longer matches its SHA-256/);
    expect(() => PolicyStore.open(dir, 'reacher', { maxBytes: 1 << 20, keep: 20 })).toThrow(/holds policies for robot cartpole, not reacher/);
  });

  it('keeps at most `keep` versions, never the active one or the rollback stack', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-store-'));
    const s = open(dir, 3);
    await s.add(randomBytes(10), meta);
    await s.setActive(1, 'activate', 'a');
    await s.add(randomBytes(10), meta);
    await s.setActive(2, 'activate', 'b');
    for (let i = 0; i < 4; i++) await s.add(randomBytes(10), meta);
    expect(s.list().map((m) => m.version)).toEqual([1, 2, 6]);
    expect(readdirSync(path.join(dir, 'versions')).sort()).toEqual(['000001', '000002', '000006']);
  });
});
