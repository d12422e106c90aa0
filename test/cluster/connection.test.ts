import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clusterServers, connectOptions, isLoopback } from '../../src/cluster/connection.ts';

const dir = mkdtempSync(path.join(tmpdir(), 's2r-conn-'));
const tokenFile = path.join(dir, 'token');
writeFileSync(tokenFile, 's3cret\n');
const base = { name: 't', log: () => undefined };

describe('cluster connection settings', () => {
  it('refuse to run without authentication off loopback, and take a token file there', () => {
    expect(() => connectOptions({ ...base, url: 'nats://10.1.2.3:4222' })).toThrow(/10\.1\.2\.3:4222 is not this machine: refusing to run without authentication/);
    expect(() => connectOptions({ ...base, url: 'nats://127.0.0.1:4222,nats://lab.example:4222' })).toThrow(/lab\.example:4222 is not this machine/);
    expect(connectOptions({ ...base, url: 'nats://10.1.2.3:4222', tokenFile }).token).toBe('s3cret');
    expect(connectOptions({ ...base, url: 'nats://localhost:4222' }).token).toBeUndefined();
    expect(['127.0.0.1', '127.3.0.9', 'localhost', '[::1]'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '0.0.0.0', 'example.com'].some(isLoopback)).toBe(false);
  });

  it('turn TLS on for tls:// or a CA file, and refuse bad settings by name', () => {
    expect(connectOptions({ ...base, url: 'tls://127.0.0.1:4222' }).tls).toBeTypeOf('object');
    expect(connectOptions({ ...base, url: 'nats://127.0.0.1:4222', tlsCa: tokenFile }).tls).toMatchObject({ caFile: tokenFile });
    expect(connectOptions({ ...base, url: 'nats://127.0.0.1:4222' }).tls).toBeUndefined();
    expect(() => connectOptions({ ...base, url: 'nats://127.0.0.1:4222', tlsCa: path.join(dir, 'nope.pem') })).toThrow(/--tls-ca .*nope\.pem: no such file/);
    expect(() => connectOptions({ ...base, url: 'nats://x:1', tokenFile, creds: tokenFile })).toThrow(/--token-file or --creds, not both/);
    expect(() => clusterServers('http://x:4222')).toThrow(/not a nats:\/\/ or tls:\/\/ URL/);
    expect(() => clusterServers('')).toThrow(/give the nats-server URL/);
    writeFileSync(path.join(dir, 'empty'), '\n');
    expect(() => connectOptions({ ...base, url: 'nats://10.0.0.1:4222', tokenFile: path.join(dir, 'empty') })).toThrow(/is empty/);
  });
});
