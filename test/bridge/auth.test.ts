/**
 * Who may connect: loopback without a token; any other bind only with one, checked in the HTTP
 * upgrade (header or query); and wss:// with a certificate made here by openssl.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BridgeClient } from '../../src/bridge/client.ts';
import { checkBindAllowed, isLoopback } from '../../src/bridge/auth.ts';
import type { Deployment } from '../../src/bridge/deploy.ts';
import { CARTPOLE_OBS, deployCartpole, hello, RawPeer } from './helpers.ts';

const started: Deployment[] = [];
afterAll(async () => {
  for (const d of started) await d.close();
});

async function deploy(extra: Parameters<typeof deployCartpole>[0]): Promise<Deployment> {
  const d = await deployCartpole(extra);
  started.push(d);
  return d;
}

const token = `tok-${Math.random().toString(36).slice(2)}-${Date.now()}`;

describe('binding', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.8.0.2', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'robot.local']) expect(isLoopback(h)).toBe(false);
  });

  it('refuses to start on a non-loopback address without a token', async () => {
    await expect(deployCartpole({ host: '0.0.0.0' })).rejects.toThrow(/not loopback.*--token/);
    expect(() => checkBindAllowed('0.0.0.0', 'short')).toThrow(/at least 8/);
  });
});

describe('token', () => {
  it('on 0.0.0.0 with a token: refused without it or with a wrong one, accepted by header or query', async () => {
    const d = await deploy({ host: '0.0.0.0', token });
    const url = `ws://127.0.0.1:${d.server.port}`;
    await expect(RawPeer.open(url)).rejects.toThrow('HTTP 401');
    await expect(RawPeer.open(`${url}/?token=wrong-token`)).rejects.toThrow('HTTP 401');
    await expect(RawPeer.open(url, { headers: { authorization: 'Bearer nope-nope' } })).rejects.toThrow('HTTP 401');
    for (const peer of [await RawPeer.open(url, { headers: { authorization: `Bearer ${token}` } }), await RawPeer.open(`${url}/?token=${encodeURIComponent(token)}`)]) {
      peer.send(hello());
      expect((await peer.takeJson()).op).toBe('welcome');
      await peer.close();
    }
    expect(d.server.stats().refused).toBe(3);
    await expect(BridgeClient.connect(url, { observations: CARTPOLE_OBS })).rejects.toThrow(/HTTP 401 \(missing or wrong token\)/);
  });
});

function opensslCert(dir: string): boolean {
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('TLS', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim2real-tls-'));
  const haveOpenssl = opensslCert(dir);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  if (!haveOpenssl) console.warn('openssl not available: skipping the wss:// test');

  it.skipIf(!haveOpenssl)('serves wss:// with a self-signed certificate the client trusts', async () => {
    const cert = readFileSync(path.join(dir, 'cert.pem'));
    const d = await deploy({ tls: { cert, key: readFileSync(path.join(dir, 'key.pem')) } });
    expect(d.server.url).toMatch(/^wss:\/\//);
    await expect(BridgeClient.connect(d.server.url, { observations: CARTPOLE_OBS })).rejects.toThrow(/self[- ]signed|certificate/i);
    const c = await BridgeClient.connect(d.server.url, { observations: CARTPOLE_OBS, ca: cert });
    const r = await c.request([0.01, 0, 0.02, 0]);
    expect(r.kind).toBe('action');
    await c.close();
  });
});
