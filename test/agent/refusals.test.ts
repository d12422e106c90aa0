/**
 * Hostile or broken pushes, with a simulated robot running on the agent the whole time: a policy
 * for another robot, a corrupt file, a bad signature, an untrusted key, a file damaged in transit,
 * a truncated upload and one larger than it declared are each refused, nothing is stored, and
 * the robot keeps balancing through every one of them with no step missed. An agent killed in the
 * middle of an upload restarts with its store exactly as it was and serves the last active version.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { ManageClient, PushRefused } from '../../src/agent/manage_client.ts';
import { loadPrivateKey, signPolicy } from '../../src/agent/signing.ts';
import { BridgeClient } from '../../src/bridge/client.ts';
import { lastJson, push, run, scratch, shipped, startAgent, statusWhen, TOKEN, withClient, type AgentProcess, type Scratch } from './helpers.ts';

const agents: AgentProcess[] = [];
afterAll(async () => {
  for (const a of agents) await a.stop();
});

/** A push request for `bytes` signed with `keyFile`, sent by hand, so a test can stop the upload where it likes. */
async function rawUpload(manageUrl: string, bytes: Uint8Array, keyFile: string, send: number, declare = bytes.length): Promise<{ ws: WebSocket; replies: Record<string, unknown>[]; next: () => Promise<Record<string, unknown>> }> {
  const sig = signPolicy(bytes, loadPrivateKey(keyFile));
  const ws = new WebSocket(manageUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
  const replies: Record<string, unknown>[] = [];
  let wake: (() => void) | null = null;
  ws.on('message', (d) => {
    replies.push(JSON.parse(String(d)) as Record<string, unknown>);
    wake?.();
  });
  ws.on('close', () => wake?.());
  await new Promise((r) => ws.once('open', r));
  let taken = 0;
  const next = async () => {
    while (replies.length <= taken) {
      if (ws.readyState !== WebSocket.OPEN) throw new Error('closed');
      await new Promise<void>((r) => (wake = r));
    }
    return replies[taken++]!;
  };
  ws.send(JSON.stringify({ op: 'push', v: 1, name: 'partial.onnx', bytes: declare, sha256: sig.sha256, key_id: sig.keyId, signature: sig.signature, shadow_s: 0, activate: true }));
  expect(await next()).toEqual({ op: 'ready' });
  ws.send(bytes.subarray(0, send));
  return { ws, replies, next };
}

/** Every file of the store but its telemetry, with a hash of its content. */
function storeListing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e), rel = path.relative(dir, p);
      if (rel === 'telemetry') continue;
      if (statSync(p).isDirectory()) walk(p);
      else out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** An agent on `store` serving the shipped cartpole policy as version 1. */
async function servingCartpole(s: Scratch, store: string): Promise<AgentProcess> {
  const a = await startAgent(s, 'robots/cartpole.json', store);
  await push(a.manageUrl, shipped('cartpole'), s.keys.privateFile, { name: 'cartpole.onnx' });
  await a.waitFor(/serving the controller on ws:/);
  return a;
}

/** Makes a self-signed certificate for 127.0.0.1 in `dir` (false when openssl is missing). */
function haveOpenssl(dir: string): boolean {
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PushRefused) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('refused pushes', () => {
  const s: Scratch = scratch();

  it('each is refused and stores nothing while the robot keeps running, with no step missed', async () => {
    const store = path.join(s.dir, 'store');
    const agent = await startAgent(s, 'robots/cartpole.json', store, ['--timeout-ms', '2000', '--max-policy-mb', '1']);
    agents.push(agent);
    const good = shipped('cartpole');
    await push(agent.manageUrl, good, s.keys.privateFile, { name: 'cartpole.onnx' });
    const url = (await agent.waitFor(/serving the controller on (ws:\/\/\S+) /))[1]!;
    const robot = run(['robot', '--env', 'cartpole', '--connect', url, '--episodes', '2', '--rate-hz', '50', '--json']); // 10 s
    await statusWhen(agent.manageUrl, (st) => ((st.controller as { steps: number } | null)?.steps ?? 0) >= 20);
    const before = storeListing(store);

    const corrupt = Buffer.from(good);
    corrupt.fill(0xff, 0, 64);
    const damaged = Buffer.from(good);
    damaged[Math.floor(damaged.length / 2)]! ^= 0x01;
    const key = loadPrivateKey(s.keys.privateFile);
    const codes = {
      'another robot': await refusal(push(agent.manageUrl, shipped('reacher'), s.keys.privateFile, { name: 'reacher.onnx' })),
      'a corrupt file': await refusal(push(agent.manageUrl, corrupt, s.keys.privateFile, { name: 'corrupt.onnx' })),
      'a bad signature': await refusal(withClient(agent.manageUrl, (c) => c.push(good, { ...signPolicy(good, key), signature: signPolicy(shipped('pendulum'), key).signature }, { name: 'forged.onnx', activate: true }))),
      'an untrusted key': await refusal(push(agent.manageUrl, good, s.other.privateFile, { name: 'other-key.onnx' })),
      'damaged in transit': await refusal(withClient(agent.manageUrl, (c) => c.push(damaged, signPolicy(good, key), { name: 'damaged.onnx', activate: true }))),
      'too large': await refusal(withClient(agent.manageUrl, (c) => c.push(Buffer.alloc(2 * 1024 * 1024), signPolicy(Buffer.alloc(2 * 1024 * 1024), key), { name: 'huge.onnx', activate: true }))),
    };
    expect(codes).toEqual({
      'another robot': 'contract_mismatch', 'a corrupt file': 'not_loadable', 'a bad signature': 'bad_signature',
      'an untrusted key': 'untrusted_key', 'damaged in transit': 'sha256_mismatch', 'too large': 'too_large',
    });

    // a truncated upload: half the file, then the connection goes
    const half = await rawUpload(agent.manageUrl, good, s.keys.privateFile, Math.floor(good.length / 2));
    expect(await half.next()).toEqual({ op: 'received', bytes: Math.floor(good.length / 2) });
    half.ws.terminate();
    await agent.waitFor(/push of partial\.onnx cut off after \d+ of \d+ bytes: dropped, nothing stored/);
    // more bytes than declared
    const over = await rawUpload(agent.manageUrl, good, s.keys.privateFile, good.length, good.length - 100);
    expect(await over.next()).toMatchObject({ op: 'refused', code: 'too_large' });
    over.ws.terminate();
    // binary data with no push before it
    const stray = new WebSocket(agent.manageUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    await new Promise((r) => stray.once('open', r));
    stray.send(Buffer.from([1, 2, 3]));
    expect(JSON.parse(String(await new Promise((r) => stray.once('message', r))))).toMatchObject({ op: 'error', code: 'unexpected_data' });
    stray.terminate();

    const st = await withClient(agent.manageUrl, (c) => c.status());
    expect(st).toMatchObject({ active: 1, running: 1, versions: [expect.objectContaining({ version: 1, active: true })] });
    expect(storeListing(store)).toEqual(before);
    expect(robot.proc.exitCode, 'the robot was still running through all of it').toBeNull();
    const r = await robot.done;
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ mean_return: 500, dropped: 0, safe_commands_received: 0, safety_interventions: 0 });
  }, 120_000);

  it('the management port wants its token and no browser', async () => {
    const agent = await startAgent(s, 'robots/cartpole.json', path.join(s.dir, 'store-auth'));
    agents.push(agent);
    await expect(ManageClient.connect(agent.manageUrl, { token: 'wrong-token-123' })).rejects.toThrow(/HTTP 401/);
    const page = new WebSocket(agent.manageUrl, { headers: { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' } });
    page.on('error', () => {});
    const status = await new Promise<number>((resolve) => page.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
    await expect(ManageClient.connect('ws://10.1.2.3:9091', { token: TOKEN })).rejects.toThrow(/ws:\/\/ is for loopback only/);
    const offLoopback = await run(['agent', '--robot', 'robots/cartpole.json', '--store', path.join(s.dir, 'store-off'), '--manage', '0.0.0.0:0', '--token-file', s.tokenFile, '--trust', s.keys.publicFile]).done;
    expect(offLoopback.code).toBe(2);
    expect(offLoopback.stderr).toMatch(/needs TLS there/);
    const noToken = await run(['agent', '--robot', 'robots/cartpole.json', '--store', path.join(s.dir, 'store-off')]).done;
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/needs a token/);
  }, 60_000);

  it('an active version damaged on disk is not run: the controller gets the safe command until a good push', async () => {
    const store = path.join(s.dir, 'store-damaged');
    const first = await servingCartpole(s, store);
    expect(await first.stop()).toBe(0);
    const file = path.join(store, 'versions', '000001', 'policy.onnx');
    const bytes = readFileSync(file);
    bytes[100 + Math.floor(Math.random() * (bytes.length - 200))]! ^= 0x20;
    writeFileSync(file, bytes);

    const agent = await startAgent(s, 'robots/cartpole.json', store);
    agents.push(agent);
    const url = (await agent.waitFor(/serving the controller on (ws:\/\/\S+) /))[1]!;
    expect(agent.log()).toMatch(/the active version 1 cannot run \(.*no longer matches its SHA-256.*\): serving the safe command/);
    const robot = await BridgeClient.connect(url, { observations: ['cart_pos', 'cart_vel', 'pole_angle', 'pole_angvel'] });
    try {
      expect(await robot.request(Float32Array.of(0, 0, 0.02, 0), 0)).toMatchObject({ kind: 'safe', reason: 'no_policy' });
      expect(await withClient(agent.manageUrl, (c) => c.status())).toMatchObject({ active: 1, running: null, serving: 'the safe command', not_running: expect.stringMatching(/damaged/) });
      await push(agent.manageUrl, shipped('cartpole'), s.keys.privateFile, { name: 'cartpole.onnx' });
      expect(await robot.request(Float32Array.of(0, 0, 0.02, 0), 1)).toMatchObject({ kind: 'action' });
    } finally {
      await robot.close();
    }
  }, 60_000);

  it.skipIf(!haveOpenssl(s.dir))('serves the management port over wss:// off loopback, to a pusher that trusts its certificate', async () => {
    const cert = path.join(s.dir, 'cert.pem'), key = path.join(s.dir, 'key.pem');
    const agent = await startAgent(s, 'robots/cartpole.json', path.join(s.dir, 'store-tls'), ['--manage', '0.0.0.0:0', '--tls-cert', cert, '--tls-key', key], /management (wss:\/\/\S+);/);
    agents.push(agent);
    const url = agent.manageUrl.replace('0.0.0.0', '127.0.0.1');
    await expect(ManageClient.connect(url, { token: TOKEN })).rejects.toThrow(/self-signed|certificate/);
    const client = await ManageClient.connect(url, { token: TOKEN, ca: readFileSync(cert) });
    const good = shipped('cartpole');
    expect((await client.push(good, signPolicy(good, loadPrivateKey(s.keys.privateFile)), { name: 'cartpole.onnx', activate: true })).activated).toMatchObject({ version: 1 });
    expect(await client.status()).toMatchObject({ active: 1, running: 1 });
    await client.close();
  }, 60_000);

  it('an agent killed in the middle of an upload restarts with its store as it was and serves the last active version', async () => {
    const store = path.join(s.dir, 'store-crash');
    const first = await servingCartpole(s, store);
    const before = storeListing(store);
    const good = shipped('cartpole');
    const cut = 1000 + Math.floor(Math.random() * (good.length - 2000));
    const partial = await rawUpload(first.manageUrl, good, s.keys.privateFile, cut);
    expect(await partial.next()).toEqual({ op: 'received', bytes: cut });
    first.proc.kill('SIGKILL');
    await first.stop();
    partial.ws.terminate();
    expect(storeListing(store)).toEqual(before);

    const second = await startAgent(s, 'robots/cartpole.json', store);
    agents.push(second);
    const url = (await second.waitFor(/serving the controller on (ws:\/\/\S+) /))[1]!;
    expect(second.log()).toMatch(/controller ws:\/\/127\.0\.0\.1:\d+ \(version 1\)/);
    expect(storeListing(store)).toEqual(before);
    const r = await run(['robot', '--env', 'cartpole', '--connect', url, '--episodes', '1', '--json']).done;
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ mean_return: 500, dropped: 0 });
  }, 60_000);
});
