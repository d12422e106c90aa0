/**
 * Fairness under a flood, over real WebSockets on loopback: while 20 other connections send
 * frames as fast as their sockets take them (valid observations, garbage bytes, broken JSON,
 * unknown ops), a well-behaved controller gets an action for every observation, none later
 * than REPLY_BOUND_MS, and its watchdog (the same bound) never trips. The bound is generous
 * for a loaded 2-core CI box: it is about starvation (seconds before this change), not speed;
 * `npm run bench:bridge` measures the latency itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient } from '../../src/bridge/client.ts';
import type { Deployment } from '../../src/bridge/deploy.ts';
import { Flood } from './abuse_peers.ts';
import { CARTPOLE_OBS, deployCartpole } from './helpers.ts';

/** Longest a reply to the good controller may take, and its watchdog timeout. */
const REPLY_BOUND_MS = 500;
const FLOODERS = 20;
const OBSERVATIONS = 200;
/** The controller's period (100 Hz). */
const PERIOD_MS = 10;

let d: Deployment;
beforeAll(async () => {
  d = await deployCartpole({ timeoutMs: REPLY_BOUND_MS });
});
afterAll(async () => {
  await d?.close();
});

const randomObs = () => Array.from({ length: 4 }, () => 0.1 * (Math.random() - 0.5));

describe('fairness under a flood', () => {
  it(`a controller gets every reply within ${REPLY_BOUND_MS} ms while ${FLOODERS} connections flood valid and malformed frames`, async () => {
    const good = await BridgeClient.connect(d.server.url, { observations: CARTPOLE_OBS, encoding: 'binary', client: 'good', replyTimeoutMs: 10_000 });
    const unsolicited: string[] = [];
    good.on('safe', (s: { reason: string }) => unsolicited.push(s.reason));
    // the controller runs at 100 Hz from before the flood starts until OBSERVATIONS replies after it is under way
    let flooding = false;
    const flood = Flood.start(d.server.url, FLOODERS).then((f) => {
      flooding = true;
      return f;
    });
    const rtts: number[] = [];
    const kinds = new Set<string>();
    for (let during = 0; during < OBSERVATIONS; ) {
      const r = await good.request(randomObs());
      kinds.add(r.kind);
      rtts.push(r.rttMs);
      if (flooding) during++;
      if (r.kind !== 'action' || r.rttMs >= REPLY_BOUND_MS) break;
      await sleep(PERIOD_MS);
    }
    const status = await good.status();
    const flooders = await (await flood).stop();
    await good.close();

    expect([...kinds]).toEqual(['action']);
    expect(Math.max(...rtts)).toBeLessThan(REPLY_BOUND_MS);
    expect(status.interventions.watchdog_trips).toBe(0);
    expect(unsolicited).toEqual([]);
    // the flood was real and lasted: every flooder sent more than the controller, had replies, and was not dropped
    for (const f of flooders) {
      expect(f.sent).toBeGreaterThan(OBSERVATIONS);
      expect(f.replies).toBeGreaterThan(0);
      expect(f.closeCode === null || f.closeCode === 1008).toBe(true);
    }
  });
});
