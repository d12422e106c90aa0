/**
 * Bounded send buffers, over real WebSockets on loopback: a client that asks for replies and
 * never reads them is disconnected (1008, "not reading replies", counted in the server's
 * stats) once its unsent bytes have stayed at the bound for `slowReaderMs`; the server never
 * holds more than the bound for it; and a well-behaved controller is served all the while.
 * The frame budget is raised here so that the reader fills the kernel's socket buffers (tens
 * of MB on loopback) in well under a second instead of tens of seconds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient } from '../../src/bridge/client.ts';
import type { Deployment } from '../../src/bridge/deploy.ts';
import { nextTurn, openSocket } from './abuse_peers.ts';
import { CARTPOLE_OBS, deployCartpole, hello } from './helpers.ts';

const MAX_BUFFERED = 64 * 1024;
/** Hellos the reader sends at most (each answered by a welcome of ~1 KB): several times what loopback's socket buffers hold. */
const MAX_HELLOS = 200_000;
/** The good controller's watchdog and its bound on a reply (generous for a loaded CI box). */
const REPLY_BOUND_MS = 500;

const lines: string[] = [];
let d: Deployment;
beforeAll(async () => {
  d = await deployCartpole({
    timeoutMs: REPLY_BOUND_MS,
    traffic: { maxBufferedBytes: MAX_BUFFERED, slowReaderMs: 300, framesPerS: 1e6, frameBurst: 1e6, bytesPerS: 1e9, byteBurst: 1e9 },
    log: (line) => lines.push(line),
  });
});
afterAll(async () => {
  await d?.close();
});

const randomObs = () => Array.from({ length: 4 }, () => 0.1 * (Math.random() - 0.5));

describe('a client that does not read', () => {
  it('is disconnected with 1008 while the server holds at most the bound for it, and a controller is served meanwhile', async () => {
    const good = await BridgeClient.connect(d.server.url, { observations: CARTPOLE_OBS, encoding: 'json', client: 'good', replyTimeoutMs: 10_000 });
    const slow = await openSocket(d.server.url);
    slow.pause(); // never reads: the kernel's buffers fill, then the server's
    const closedBy = new Promise<{ code: number; reason: string }>((resolve) => slow.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    const cut = () => lines.some((l) => /closing \(1008\): not reading replies/.test(l));

    // the controller runs at 100 Hz until the reader is cut off (or has sent all its hellos)
    let done = false;
    const controller = (async () => {
      const kinds = new Set<string>();
      let maxRtt = 0;
      while (!done) {
        const r = await good.request(randomObs());
        kinds.add(r.kind);
        maxRtt = Math.max(maxRtt, r.rttMs);
        await sleep(10);
      }
      return { kinds, maxRtt };
    })();

    const text = JSON.stringify(hello('json'));
    let sent = 0;
    while (!cut() && sent < MAX_HELLOS) {
      for (let k = 0; k < 100 && slow.bufferedAmount < 65536; k++, sent++) slow.send(text);
      await nextTurn();
    }
    done = true;
    const { traffic: stats } = d.server.stats();
    const served = await controller;
    const status = await good.status();
    await good.close();
    expect(cut()).toBe(true);
    slow.resume();
    const closed = await closedBy;

    expect(stats).toMatchObject({ slow_reader_closes: 1 });
    expect(stats.dropped_replies).toBeGreaterThan(0);
    expect(stats.peak_buffered_bytes).toBeLessThanOrEqual(MAX_BUFFERED);
    // the close frame waits behind what was buffered; read in time, it says why (else the socket was destroyed)
    if (closed.code === 1008) expect(closed.reason).toMatch(/^not reading replies/);
    else expect(closed.code).toBe(1006);
    expect(served && [...served.kinds]).toEqual(['action']);
    expect(served!.maxRtt).toBeLessThan(REPLY_BOUND_MS);
    expect(status.interventions.watchdog_trips).toBe(0);
  });
});
