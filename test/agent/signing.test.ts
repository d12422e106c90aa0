/**
 * Keys and signatures: `sim2real keys` writes a private key only its owner can read and never
 * replaces one; a signature holds for exactly the file it was made for, from a trusted key.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPrivateKey, signPolicy, TrustedKeys, writeKeyPair } from '../../src/agent/signing.ts';
import { run } from './helpers.ts';

describe('keys', () => {
  it('sim2real keys writes DIR/key (mode 600) and DIR/key.pub, and refuses to overwrite them', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 's2r-keys-')), 'k');
    const first = await run(['keys', '--out', dir, '--json']).done;
    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout) as { private_key: string; public_key: string; key_id: string };
    expect(out.private_key).toBe(path.join(dir, 'key'));
    expect(statSync(out.private_key).mode & 0o777).toBe(0o600);
    expect(readFileSync(out.public_key, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(out.key_id).toMatch(/^[0-9a-f]{16}$/);
    const before = readFileSync(out.private_key);
    const again = await run(['keys', '--out', dir]).done;
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists: refusing to overwrite/);
    expect(readFileSync(out.private_key)).toEqual(before);
  });

  it('a missing --out is a usage error', async () => {
    const r = await run(['keys']).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out/);
  });
});

describe('signatures', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 's2r-sign-'));
  const mine = writeKeyPair(path.join(dir, 'mine')), theirs = writeKeyPair(path.join(dir, 'theirs'));
  const trust = new TrustedKeys([mine.publicFile]);
  const bytes = randomBytes(1000 + Math.floor(Math.random() * 5000));

  it('verifies a file signed with a trusted key', () => {
    const sig = signPolicy(bytes, loadPrivateKey(mine.privateFile));
    expect(sig.keyId).toBe(mine.keyId);
    expect(trust.check(sig, sig.sha256, bytes.length)).toBeNull();
  });

  it('refuses another key, a changed file, a changed length and a changed signature', () => {
    const sig = signPolicy(bytes, loadPrivateKey(mine.privateFile));
    expect(trust.check(signPolicy(bytes, loadPrivateKey(theirs.privateFile)), sig.sha256, bytes.length)?.code).toBe('untrusted_key');
    const other = Buffer.from(bytes);
    other[Math.floor(Math.random() * other.length)]! ^= 1;
    expect(trust.check(sig, signPolicy(other, loadPrivateKey(mine.privateFile)).sha256, other.length)?.code).toBe('bad_signature');
    expect(trust.check(sig, sig.sha256, bytes.length + 1)?.code).toBe('bad_signature');
    const forged = Buffer.from(sig.signature, 'base64');
    forged[7]! ^= 0x40;
    expect(trust.check({ ...sig, signature: forged.toString('base64') }, sig.sha256, bytes.length)?.code).toBe('bad_signature');
    expect(trust.check({ ...sig, signature: 'AAAA' }, sig.sha256, bytes.length)?.code).toBe('bad_signature');
  });

  it('names the file when a key is not an ed25519 PEM key', () => {
    const bad = path.join(dir, 'bad.pub');
    writeFileSync(bad, 'not a key');
    expect(() => new TrustedKeys([bad])).toThrow(/bad\.pub: not a PEM key/);
    expect(() => new TrustedKeys([path.join(dir, 'missing.pub')])).toThrow(/missing\.pub/);
  });
});
