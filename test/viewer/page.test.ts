/**
 * The viewer page in real headless Chromium: it loads cleanly, draws, plays, pauses, steps,
 * shows the server's randomization samples per env, replays a recording and reports bad input.
 * Screenshots land in artifacts/viewer/.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ViewerServer } from '../../src/viewer/viewer_server.ts';
import { LiveSession } from '../../src/viewer/live_session.ts';
import { recordEpisodes } from '../../src/viewer/record_episodes.ts';
import { cartpole } from '../../envs/cartpole.ts';
import { sampleLabels } from '../../src/task/randomize.ts';
import { ARTIFACTS, HAVE_BROWSER, REQUIRE_BROWSER, launch, pixelStats, settle } from './browser.ts';

// the browser globals the page functions below use (the project's TypeScript has no DOM lib)
declare const window: {
  __viewer: {
    frames: number; step: number; playing: boolean; mode: string; env: number; error: string; connected: boolean;
    scene: { replay: { episodes: { steps: number }[] } };
    screenBox(env: number, body: number): { x0: number; y0: number; x1: number; y1: number } | null;
    screenPoint(env: number, body: number, local: number[]): { x: number; y: number } | null;
  };
};
declare const requestAnimationFrame: (f: () => void) => number;
declare interface HTMLElement { dataset: Record<string, string | undefined> }

const POLE = 2; // cartpole bodies: world, cart, pole
const dir = mkdtempSync(path.join(tmpdir(), 's2r-page-'));
const shot = (name: string) => path.join(ARTIFACTS, name);

describe.skipIf(!HAVE_BROWSER && !REQUIRE_BROWSER)('viewer page in headless Chromium', () => {
  let server: ViewerServer;
  let browser: Browser;
  let page: Page;
  let helper: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await ViewerServer.start({ port: 0, numEnvs: 3, seed: 11, randomize: true, tasks: ['cartpole', 'pendulum'], log: () => {} });
    await server.loadEnv('cartpole');
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 960, height: 640 } });
    page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    helper = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.port}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads without console errors, plays, and draws a canvas that is not blank', async () => {
    await page.waitForFunction(() => window.__viewer.frames > 10 && window.__viewer.playing);
    await settle(page);
    const png = await page.locator('#view canvas').screenshot({ path: shot('live.png') });
    expect((await pixelStats(helper, png)).greyStd).toBeGreaterThan(5);
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('pause stops the picture: two screenshots while paused are identical', async () => {
    await page.click('#play');
    await page.waitForFunction(() => !window.__viewer.playing);
    await settle(page);
    const frames = await page.evaluate(() => window.__viewer.frames);
    const a = await page.screenshot({ path: shot('paused-a.png') });
    // a playing server would send a frame every tick (~17 ms): give it a dozen display frames
    await page.evaluate(() => new Promise<void>((r) => { let n = 0; const f = () => (++n >= 12 ? r() : requestAnimationFrame(f)); requestAnimationFrame(f); }));
    const b = await page.screenshot({ path: shot('paused-b.png') });
    expect(await page.evaluate(() => window.__viewer.frames)).toBe(frames);
    expect((await pixelStats(helper, a, b)).changed).toBe(0);
  });

  it('single steps move the pole on screen', async () => {
    const before = await page.evaluate((b) => window.__viewer.screenBox(0, b), POLE);
    const a = await page.screenshot({ path: shot('step-before.png') });
    for (let k = 0; k < 12; k++) {
      const s = await page.evaluate(() => window.__viewer.step);
      await page.click('#step');
      await page.waitForFunction((want) => window.__viewer.step === want, s + 1);
    }
    await settle(page);
    const after = await page.evaluate((b) => window.__viewer.screenBox(0, b), POLE);
    const b = await page.screenshot({ path: shot('step-after.png') });
    expect(before && after).toBeTruthy();
    const box = { x0: Math.min(before!.x0, after!.x0), y0: Math.min(before!.y0, after!.y0), x1: Math.max(before!.x1, after!.x1), y1: Math.max(before!.y1, after!.y1) };
    expect((await pixelStats(helper, a, b, box)).changed).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });

  it('the env selector and the DR panel show the values the server sampled for each env', async () => {
    const samples = (server.current as LiveSession).drSamples();
    expect(await page.locator('#env option').count()).toBe(3);
    for (const env of [2, 1]) {
      await page.selectOption('#env', String(env));
      await page.waitForFunction((e) => window.__viewer.env === e, env);
      expect(await page.textContent('#dr-env')).toBe(`(env ${env})`);
      const rows = await page.$$eval('#dr tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.key, tr.children[1]?.textContent]));
      const want = samples[env]!;
      expect(rows.map((r) => r[0])).toEqual(Object.keys(want));
      for (const [key, text] of rows) {
        const v = want[key as keyof typeof want];
        expect(Math.abs(Number(text) - v), `${key}: page ${text}, server ${v}`).toBeLessThanOrEqual(5e-4 * Math.abs(v) + 1e-12);
      }
    }
    expect(samples[1]!.mass_scale).not.toBe(samples[2]!.mass_scale);
    // units and ranges are the server's (the declarations'): gravity's components have no single range
    const cells = await page.$$eval('#dr tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.key, tr.children[2]?.textContent, tr.children[3]?.textContent]));
    const labels = new Map(sampleLabels().map((l) => [l.name as string, l]));
    for (const [key, unit, range] of cells) {
      const label = labels.get(key!)!;
      expect(unit, key).toBe(label.unit);
      if (label.drawnFrom === null) expect(range, key).toBe('');
    }
    expect(cells.find((c) => c[0] === 'latency_steps')).toEqual(['latency_steps', 'steps', `${cartpole.dr.latency_steps[0]}–${cartpole.dr.latency_steps[1]}`]);
    await page.screenshot({ path: shot('dr-env1.png') });
  });

  it('a click on a body pushes that body of that env, horizontally along the view', async () => {
    const live = server.current as LiveSession;
    const calls: { env: number; body: number; v: number[] }[] = [];
    const push = live.push.bind(live);
    live.push = (env, body, v) => {
      calls.push({ env, body, v: [...v] });
      push(env, body, v);
    };
    const env = await page.evaluate(() => window.__viewer.env);
    // the middle of the pole's box shape (0.5 m up the pole from the hinge)
    const at = (await page.evaluate(([e, b]) => window.__viewer.screenPoint(e!, b!, [0, 0, 0.5]), [env, POLE]))!;
    await page.mouse.click(at.x, at.y);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]).toMatchObject({ env, body: POLE });
    expect(calls[0]!.v[2]).toBe(0);
    expect(Math.hypot(...calls[0]!.v)).toBeCloseTo(1, 6);
  });

  it('plays a recording, and the timeline scrubber seeks', async () => {
    const file = path.join(dir, 'cp.rec');
    const zero = async (obs: Float32Array) => new Float32Array(obs.length / 4);
    await recordEpisodes({ task: cartpole, policy: zero, episodes: 2, seed: 3, dr: cartpole.dr, file, source: 'vitest' });
    await server.loadReplay(file);
    await page.waitForFunction(() => window.__viewer.mode === 'replay' && window.__viewer.step > 3);
    expect(await page.isVisible('#timeline')).toBe(true);
    expect(await page.locator('#episode option').count()).toBe(2);
    await page.click('#play');
    await page.waitForFunction(() => !window.__viewer.playing);
    await page.locator('#scrub').fill('2');
    await page.waitForFunction(() => window.__viewer.step === 2);
    await settle(page);
    const a = await page.screenshot({ path: shot('replay-step2.png') });
    const last = await page.evaluate(() => window.__viewer.scene.replay.episodes[0]!.steps - 1);
    expect(last).toBeGreaterThan(10);
    await page.locator('#scrub').fill(String(last));
    await page.waitForFunction((want) => window.__viewer.step === want, last);
    await settle(page);
    const b = await page.screenshot({ path: shot('replay-last.png') });
    const box = await page.evaluate((p) => window.__viewer.screenBox(0, p), POLE);
    expect((await pixelStats(helper, a, b, box!)).changed).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });

  it('shows a corrupt recording and an unknown env on the page, and keeps running', async () => {
    const bad = path.join(dir, 'bad.rec');
    writeFileSync(bad, 'this is not a recording');
    await server.loadReplay(bad);
    await page.waitForFunction(() => window.__viewer.error !== '');
    expect(await page.textContent('#error')).toMatch(/recording .*bad.rec: not a sim2real recording/);
    await server.loadEnv('warp_drive');
    await page.waitForFunction(() => window.__viewer.error.includes('warp_drive'));
    expect(await page.isVisible('#error')).toBe(true);
    await page.screenshot({ path: shot('error.png') });
    // still connected, still showing the replay, still answering
    await page.locator('#scrub').fill('1');
    await page.waitForFunction(() => window.__viewer.step === 1);
    expect(await page.evaluate(() => window.__viewer.connected)).toBe(true);
    expect(problems).toEqual([]);
  });
});
