/**
 * What one page can make the viewer hold: a huge message closes that page's connection (code
 * 1009) and is never echoed, long fields are refused without being quoted back, and a page that
 * stops reading never grows the server's send buffer past the stated bounds — its frames are
 * skipped, it is resynced when it reads again, and it is disconnected when it stays stuck.
 * Real `ws` clients on loopback; waits on messages and log lines, never on time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ViewerServer, type ViewerServerOptions } from '../../src/viewer/viewer_server.ts';
import { DEFAULT_VIEWER_LIMITS } from '../../src/viewer/viewer_limits.ts';
import { TestClient, type Msg } from './ws_client.ts';

const MiB = 1024 * 1024;
const isFrame = (m: Msg) => m.type === 'frame';
const isError = (m: Msg) => m.type === 'error' && m.message !== '';

/** The server's terminal lines, with a way to wait for one. */
class Log {
  readonly lines: string[] = [];
  private waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  readonly push = (line: string): void => {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => (w.re.test(line) ? (w.resolve(line), false) : true));
  };
  wait(re: RegExp): Promise<string> {
    const hit = this.lines.find((l) => re.test(l));
    return hit !== undefined ? Promise.resolve(hit) : new Promise((resolve) => this.waiters.push({ re, resolve }));
  }
}

/** A raw client that counts what it receives (keeping none of it) and can stop reading its socket. */
class Reader {
  bytes = 0;
  /** Size of the largest message received, by type. */
  readonly largest = new Map<string, number>();
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.bytes += data.length;
      const m = JSON.parse(String(data)) as Msg;
      this.largest.set(m.type, Math.max(this.largest.get(m.type) ?? 0, data.length));
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
  }
  static async connect(port: number): Promise<Reader> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return new Reader(ws);
  }
  next(pred: (m: Msg) => boolean): Promise<Msg> {
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
}

let server: ViewerServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(numEnvs: number, extra: Partial<ViewerServerOptions> = {}): Promise<{ server: ViewerServer; log: Log }> {
  const log = new Log();
  server = await ViewerServer.start({ port: 0, numEnvs, seed: 5, randomize: true, tasks: ['cartpole', 'pendulum'], autoplay: false, log: log.push, ...extra });
  expect(await server.loadEnv('cartpole')).toBe(true);
  return { server, log };
}

/** Has `good` step the simulation (one frame to every page per step) until it received `bytes`. */
async function streamFrames(good: Reader, bytes: number, each?: () => void): Promise<void> {
  const target = good.bytes + bytes;
  while (good.bytes < target) {
    const frame = good.next(isFrame);
    good.ws.send(JSON.stringify({ type: 'step', count: 1 }));
    await frame;
    each?.();
  }
}

describe('viewer: message size limits', () => {
  it('closes the connection of a page that sends 50 MB (code 1009), echoes nothing, and serves the other pages', async () => {
    const { server: s, log } = await start(2);
    const other = await Reader.connect(s.port);
    const big = await Reader.connect(s.port);
    const closed = new Promise<number>((resolve) => big.ws.once('close', (code) => resolve(code)));
    const replied = big.next(isError).then(() => -1);
    big.ws.send(JSON.stringify({ type: 'load', env: 'x'.repeat(50 * MiB) }));
    expect(await Promise.race([closed, replied])).toBe(1009);
    expect(await log.wait(/sent a message over 65536 bytes \(close code 1009\)/)).toBeTruthy();
    const f = other.next(isFrame);
    other.ws.send(JSON.stringify({ type: 'step', count: 1 }));
    expect((await f).step).toBe(1);
    // nothing anywhere near the size of the big message reached the other page
    expect(other.bytes).toBeLessThan(DEFAULT_VIEWER_LIMITS.maxMessageBytes);
    expect(s.connections()).toHaveLength(1);
  });

  it('refuses over-long fields without quoting them back', async () => {
    const { server: s } = await start(1);
    const c = await TestClient.connect(s.port);
    const name = 'n'.repeat(DEFAULT_VIEWER_LIMITS.maxNameChars + 1);
    const long = await c.request({ type: 'load', env: name }, isError);
    expect(long.message).toMatch(/load\.env must be a task name of at most 128 characters, got 129/);
    expect(long.message).not.toContain(name);
    for (const m of [{ type: 'speed', value: 'v'.repeat(60_000) }, { type: 't'.repeat(60_000) }]) {
      const err = await c.request(m, isError);
      expect(err.message.length).toBeLessThan(200);
    }
    c.close();
  });
});

describe('viewer: pages that stop reading', () => {
  it('keeps a non-reading page\'s send buffer bounded while another page streams 32 MB of frames', async () => {
    const { server: s } = await start(512);
    const stalled = await Reader.connect(s.port);
    stalled.ws.pause(); // stops reading its socket: the kernel's buffers fill, then the server's
    const good = await Reader.connect(s.port);
    let largest = 0;
    await streamFrames(good, 32 * MiB, () => {
      for (const c of s.connections()) largest = Math.max(largest, c.bufferedBytes);
    });
    // what the server held for the stalled page: everything it receives before a status sent now
    const before = stalled.bytes;
    const marker = stalled.next((m) => m.type === 'status' && m.speed === 3.25);
    good.ws.send(JSON.stringify({ type: 'speed', value: 3.25 }));
    stalled.ws.resume();
    await marker;
    const held = stalled.bytes - before;
    // unbounded buffering would hold (nearly) all 32 MB; the kernel's socket buffers take a few MB (~4 here)
    expect(held).toBeLessThan(16 * MiB);
    // above frameSkipBytes only the newest frame, status and dr message are kept, and sent together once it drains
    const kept = ['frame', 'status', 'dr'].reduce((sum, t) => sum + (good.largest.get(t) ?? 0), 0);
    expect(largest).toBeLessThanOrEqual(DEFAULT_VIEWER_LIMITS.frameSkipBytes + kept);
    expect(largest).toBeLessThanOrEqual(DEFAULT_VIEWER_LIMITS.maxBufferedBytes);
    expect(s.connections().some((c) => c.skippedMessages > 0)).toBe(true);
    // once it reads again it gets frames again
    const f = stalled.next(isFrame);
    good.ws.send(JSON.stringify({ type: 'step', count: 1 }));
    expect((await f).poses.length).toBe(512 * 3 * 7);
  });

  /**
   * Streams frames until the kernel's buffers are full and the server holds frames back, then
   * has the server report errors to every page (not replaceable) until a page cannot take more.
   */
  async function overflow(s: ViewerServer, good: Reader): Promise<void> {
    while (!s.connections().some((c) => c.skippedMessages > 0)) await streamFrames(good, 1);
    for (let round = 0; !s.connections().some((c) => c.droppedMessages > 0); round++) {
      const done = good.next((m) => m.type === 'error' && m.message.includes(`"last-${round}"`));
      for (let i = 0; i < 500; i++) good.ws.send(JSON.stringify({ type: 'load', env: `nope-${round}-${i}` }));
      good.ws.send(JSON.stringify({ type: 'load', env: `last-${round}` }));
      await done;
    }
  }

  it('holds back what does not fit under the hard bound, and resyncs the page once it reads again', async () => {
    const limits = { frameSkipBytes: 64 * 1024, maxBufferedBytes: 256 * 1024, stallMs: 3_600_000 };
    const { server: s } = await start(256, { limits });
    const late = await Reader.connect(s.port);
    late.ws.pause();
    const good = await Reader.connect(s.port);
    await overflow(s, good);
    expect(Math.max(...s.connections().map((c) => c.bufferedBytes))).toBeLessThanOrEqual(limits.maxBufferedBytes);
    // it reads again: it gets the whole state again (hello, scene, frame, status)
    const hello = late.next((m) => m.type === 'hello');
    const scene = late.next((m) => m.type === 'scene');
    const frame = hello.then(() => late.next(isFrame));
    late.ws.resume();
    await hello;
    expect((await scene).numEnvs).toBe(256);
    expect((await frame).poses.length).toBe(256 * 3 * 7);
    expect(s.connections()).toHaveLength(2);
  });

  it('disconnects a page stuck at the hard bound for longer than stallMs, and the others go on', async () => {
    const limits = { frameSkipBytes: 64 * 1024, maxBufferedBytes: 256 * 1024, stallMs: 100 };
    const { server: s, log } = await start(256, { limits });
    const dead = await Reader.connect(s.port);
    dead.ws.pause();
    const good = await Reader.connect(s.port);
    const gone = log.wait(/disconnected a page that stopped reading \(\d+ bytes unsent for over 100 ms\)/);
    await Promise.race([overflow(s, good), gone]);
    await gone;
    expect(s.connections()).toHaveLength(1);
    const f = good.next(isFrame);
    good.ws.send(JSON.stringify({ type: 'step', count: 1 }));
    expect((await f).step).toBeGreaterThan(0);
  });
});
