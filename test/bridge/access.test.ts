/**
 * Who may open a WebSocket on the bridge, against the real server over loopback: a browser
 * `Origin` only from `--allow-origin`, at most `--max-connections` open (the others still
 * served), and failed token attempts throttled per address while a good client elsewhere still
 * connects. The throttle runs on the server's injected clock, so its expiry is tested without
 * waiting.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { policyInfo, safetyLimitsFor } from '../../src/bridge/limits.ts';
import { BridgeServer } from '../../src/bridge/server.ts';
import type { Deployment } from '../../src/bridge/deploy.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { CARTPOLE_POLICY, deployCartpole, hello, RawPeer } from './helpers.ts';

const deployments: Deployment[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  for (const d of deployments.splice(0)) await d.close();
});

async function deploy(extra: Parameters<typeof deployCartpole>[0] = {}): Promise<Deployment> {
  const d = await deployCartpole({ timeoutMs: 600_000, ...extra });
  deployments.push(d);
  return d;
}

/** The outcome of an upgrade: 101 (opened, then closed again) or the HTTP refusal with its Retry-After and body. */
interface Attempt {
  status: number;
  retryAfter?: string | undefined;
  body?: string;
}

/** Tries an upgrade and reports its HTTP status. */
function attempt(url: string, opts: WebSocket.ClientOptions = {}): Promise<Attempt> {
  const ws = new WebSocket(url, opts);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += String(c)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
    });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.once('close', () => resolve({ status: 101 }));
      ws.close();
    });
  });
}

/** Opens a peer that is kept (and closed after the test). */
async function open(url: string, opts: WebSocket.ClientOptions = {}): Promise<RawPeer> {
  const p = await RawPeer.open(url, opts);
  peers.push(p);
  return p;
}

/** hello, one observation, its answer. */
async function served(peer: RawPeer, seq: number): Promise<string> {
  peer.send(hello());
  expect((await peer.takeJson()).op).toBe('welcome');
  peer.send({ op: 'obs', seq, t_ms: 0, obs: Array.from({ length: 4 }, () => 0.1 * (Math.random() - 0.5)) });
  return String((await peer.takeJson()).op);
}

describe('Origin allow-list', () => {
  it('by default refuses any request with an Origin (a browser page) with 403, and admits controllers that send none', async () => {
    const d = await deploy();
    const url = d.server.url;
    for (const origin of ['https://evil.example', `http://127.0.0.1:${d.server.port}`, 'null']) {
      const a = await attempt(url, { headers: { origin } });
      expect(a.status, origin).toBe(403);
      expect(a.body).toMatch(/origin .* is not allowed .*--allow-origin/);
    }
    expect(await served(await open(url), 1)).toBe('action');
    expect(d.server.stats().refused).toBe(3);
  });

  it('admits exactly the origins given by --allow-origin', async () => {
    const d = await deploy({ allowOrigins: ['https://ops.example:8443', 'http://localhost:3000'] });
    const url = d.server.url;
    expect(await served(await open(url, { headers: { origin: 'https://OPS.example:8443' } }), 1)).toBe('action');
    expect(await served(await open(url, { headers: { origin: 'http://localhost:3000' } }), 1)).toBe('action');
    for (const origin of ['https://ops.example', 'http://ops.example:8443', 'https://evil.example', 'https://ops.example:8443.evil.example']) {
      expect((await attempt(url, { headers: { origin } })).status, origin).toBe(403);
    }
  });
});

describe('connection cap', () => {
  it('refuses the 65th connection (the default cap) with 503 while the 64 open ones are still served', async () => {
    const d = await deploy();
    const url = d.server.url;
    const open64 = await Promise.all(Array.from({ length: 64 }, () => open(url)));
    const refused = await attempt(url);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatch(/connection limit reached \(64 open; --max-connections\)/);
    expect(await served(open64[0]!, 1)).toBe('action');
    expect(await served(open64[63]!, 1)).toBe('action');
    expect(d.server.stats()).toMatchObject({ open: 64, refused: 1 });
  });

  it('--max-connections 2: the third is refused, the two served', async () => {
    const d = await deploy({ maxConnections: 2 });
    const [a, b] = [await open(d.server.url), await open(d.server.url)];
    expect((await attempt(d.server.url)).status).toBe(503);
    expect(await served(a, 1)).toBe('action');
    expect(await served(b, 1)).toBe('action');
  });
});

describe('failed token attempts', () => {
  const token = `tok-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const clock = { now: 0 };
  let policy: OnnxPolicy | null = null;
  let server: BridgeServer | null = null;
  afterAll(async () => {
    await server?.close();
    await policy?.dispose();
  });

  it('10 bad tokens from one address block it (429, even with the right token) while a good client from another address connects; the block ends', async () => {
    policy = await OnnxPolicy.load(CARTPOLE_POLICY);
    const spec = loadRobotSpec('cartpole');
    const limits = { ...safetyLimitsFor(policy.contract, spec, loadUrdf(spec.urdfPath)), timeoutMs: 600_000 };
    server = await BridgeServer.start({ policy, info: policyInfo(policy.contract, limits), limits, host: '0.0.0.0', port: 0, token, clock: () => clock.now, watchdogTimer: false });
    const url = `ws://127.0.0.1:${server.port}`;
    const attacker = { localAddress: '127.0.0.1' };
    const good = { localAddress: '127.0.0.2', headers: { authorization: `Bearer ${token}` } };

    for (let i = 0; i < 10; i++) {
      expect((await attempt(`${url}/?token=guess-${i}-${Math.random()}`, attacker)).status).toBe(401);
      clock.now += 1000; // ten guesses within the minute
    }
    const blocked = await attempt(url, { ...attacker, headers: { authorization: `Bearer ${token}` } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
    expect(Number(blocked.retryAfter)).toBeLessThanOrEqual(60);
    expect(blocked.body).toMatch(/too many failed token attempts/);
    expect(await served(await open(url, good), 1)).toBe('action');

    clock.now += 60_001;
    expect(await served(await open(url, { ...attacker, headers: { authorization: `Bearer ${token}` } }), 1)).toBe('action');
  });
});
