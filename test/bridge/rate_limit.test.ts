/**
 * Per-connection rate limits against the real server on loopback, on a fake clock: every
 * frame, malformed or not, takes from the sender's budget; past it frames are dropped unread
 * with one `rate_limited` error per second; a sender that stays over budget for
 * `abuseCloseMs` is closed with 1008; other connections keep their own budget. Error replies
 * take from an error budget: once it is spent the sender's frames are dropped until it
 * refills, without closing the connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyInfo, safetyLimitsFor } from '../../src/bridge/limits.ts';
import { BridgeServer } from '../../src/bridge/server.ts';
import type { TrafficLimits } from '../../src/bridge/traffic_limits.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { nextTurn } from './abuse_peers.ts';
import { CARTPOLE_POLICY, RawPeer } from './helpers.ts';

const clock = { now: 0 };
let policy: OnnxPolicy;
let server: BridgeServer;
let start: (traffic: Partial<TrafficLimits>, now: () => number) => Promise<BridgeServer>;

beforeAll(async () => {
  policy = await OnnxPolicy.load(CARTPOLE_POLICY);
  const spec = loadRobotSpec('cartpole');
  const limits = safetyLimitsFor(policy.contract, spec, loadUrdf(spec.urdfPath));
  start = (traffic, now) => BridgeServer.start({ policy, info: policyInfo(policy.contract, limits), limits, port: 0, clock: now, watchdogTimer: false, traffic });
  server = await start({ framesPerS: 10, frameBurst: 5, abuseCloseMs: 2000 }, () => clock.now);
});
afterAll(async () => {
  await server?.close();
  await policy?.dispose();
});

/** Waits (turn by turn) until `on` (default: the shared server) has dropped `n` frames in all. */
async function droppedReach(n: number, on: BridgeServer = server): Promise<void> {
  while (on.stats().traffic.dropped_frames < n) await nextTurn();
}

const status = { op: 'status' };

describe('rate limits', () => {
  it('drops frames past the budget (malformed ones count) with one rate_limited error, and serves again once it refills', async () => {
    const peer = await RawPeer.open(server.url);
    const other = await RawPeer.open(server.url);
    for (const f of [status, '{"op":', status, '{"op":', status, status, status, status]) peer.send(f);
    const got = (await peer.atLeast(6)).map((r) => r.json!);
    expect(got.map((m) => m.code ?? m.op)).toEqual(['status', 'bad_json', 'status', 'bad_json', 'status', 'rate_limited']);
    expect(got[5]).toMatchObject({ op: 'error', field: 'frame' });
    await droppedReach(3);
    // another connection has its own budget
    other.send(status);
    expect((await other.takeJson()).op).toBe('status');
    // refilled: the next frame is served, and the two dropped after the error were never answered
    clock.now += 1000;
    peer.send(status);
    expect((await peer.atLeast(7))[6]!.json!.op).toBe('status');
    expect(peer.received.length).toBe(7);
    expect(peer.closeCode).toBe(null);
    await peer.close();
    await other.close();
  });

  it('closes a connection that stays over budget for abuseCloseMs with 1008, and counts it', async () => {
    clock.now += 10_000;
    const closesBefore = server.stats().traffic.rate_limit_closes;
    const peer = await RawPeer.open(server.url);
    const reason = new Promise<string>((resolve) => peer.ws.on('close', (_code, r) => resolve(r.toString())));
    // 20 frames every 900 ms: 5 (or the refill) served, the rest dropped, the drop streak never broken
    for (let step = 0; peer.closeCode === null && step < 10; step++) {
      const before = server.stats().traffic.dropped_frames;
      for (let i = 0; i < 20; i++) peer.send(status);
      await Promise.race([droppedReach(before + 15), peer.waitClosed()]);
      clock.now += 900;
    }
    expect(await peer.waitClosed()).toBe(1008);
    expect(await reason).toMatch(/^rate limit/);
    expect(server.stats().traffic.rate_limit_closes).toBe(closesBefore + 1);
    // it was told before being closed
    expect(peer.received.some((r) => r.json?.code === 'rate_limited')).toBe(true);
  });

  it('throttles a sender whose frames keep being answered with errors, without closing it', async () => {
    const t = { now: 0 };
    const s2 = await start({ errorsPerS: 2, errorBurst: 4, abuseCloseMs: 1000 }, () => t.now);
    try {
      const peer = await RawPeer.open(s2.url);
      for (let i = 0; i < 6; i++) peer.send('{"op":');
      const got = (await peer.atLeast(5)).map((r) => r.json!.code);
      expect(got).toEqual(['bad_json', 'bad_json', 'bad_json', 'bad_json', 'rate_limited']);
      await droppedReach(2, s2);
      // a valid frame waits for the error budget too
      peer.send(status);
      await droppedReach(3, s2);
      t.now += 1000;
      peer.send(status);
      expect((await peer.atLeast(6))[5]!.json!.op).toBe('status');
      // malformed frames for three times abuseCloseMs: throttled all along, never closed
      const handled = () => s2.stats().traffic.dropped_frames + peer.received.filter((r) => r.json?.code === 'bad_json').length;
      for (let step = 0; step < 6; step++) {
        t.now += 500;
        const before = handled();
        for (let i = 0; i < 10; i++) peer.send('{"op":');
        while (handled() < before + 10) await nextTurn();
      }
      t.now += 1000;
      peer.send(status);
      while (!peer.received.some((r, i) => i > 5 && r.json?.op === 'status')) await peer.atLeast(peer.received.length + 1);
      expect(peer.closeCode).toBe(null);
      expect(s2.stats().traffic.rate_limit_closes).toBe(0);
      await peer.close();
    } finally {
      await s2.close();
    }
  });
});
