/**
 * Who may talk to the viewer: only its own page (Origin) at its own loopback address (Host),
 * at most `maxClients` pages at once, and a page loads only the tasks it is offered — never a
 * file path of its choosing. Real `ws` clients and HTTP requests on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ViewerServer } from '../../src/viewer/viewer_server.ts';
import { DEFAULT_VIEWER_LIMITS } from '../../src/viewer/viewer_limits.ts';
import { UpgradeGuard } from '../../src/viewer/upgrade_guard.ts';
import type { IncomingMessage } from 'node:http';
import { TestClient, upgradeStatus, type Msg } from './ws_client.ts';

const dir = mkdtempSync(path.join(tmpdir(), 's2r-guard-'));
const isFrame = (m: Msg) => m.type === 'frame';
const isError = (m: Msg) => m.type === 'error' && m.message !== '';

/** A plain HTTP GET with the given Host header: status and body. */
function get(port: number, urlPath: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += String(d); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('viewer: who may connect', () => {
  let server: ViewerServer;
  let port: number;
  const log: string[] = [];
  beforeAll(async () => {
    server = await ViewerServer.start({ port: 0, numEnvs: 2, seed: 3, randomize: true, tasks: ['cartpole', 'pendulum'], autoplay: false, log: (l) => log.push(l) });
    port = server.port;
    expect(await server.loadEnv('cartpole')).toBe(true);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a WebSocket from a foreign Origin with 403 before the upgrade, and opens one from its own page', async () => {
    for (const origin of ['https://evil.example', `http://evil.example:${port}`, 'null', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`]) {
      expect(await upgradeStatus(port, { origin }), origin).toBe(403);
    }
    expect(log.some((l) => /refused a WebSocket: Origin "https:\/\/evil\.example" is not this viewer's page/.test(l))).toBe(true);
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, undefined]) {
      expect(await upgradeStatus(port, origin === undefined ? {} : { origin }), String(origin)).toBe('open');
    }
  });

  it('refuses a Host that is not its loopback address (DNS rebinding), on the WebSocket and on plain HTTP', async () => {
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, `192.168.1.20:${port}`]) {
      expect(await upgradeStatus(port, { host }), host).toBe(403);
      // a rebinding page would have its own origin too: refused either way
      expect(await upgradeStatus(port, { host, origin: `http://${host}` }), host).toBe(403);
      const page = await get(port, '/', host);
      expect(page.status, host).toBe(403);
      expect(page.body).not.toMatch(/<html/i);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      expect((await get(port, '/', host)).status, host).toBe(200);
    }
  });

  it(`accepts at most ${DEFAULT_VIEWER_LIMITS.maxClients} pages (the next gets 503) and keeps serving those it has`, async () => {
    // a server of its own: the pages it holds stay connected until it closes
    const full = await ViewerServer.start({ port: 0, numEnvs: 1, seed: 1, randomize: false, tasks: ['cartpole'], autoplay: false, log: () => {} });
    try {
      expect(await full.loadEnv('cartpole')).toBe(true);
      const open: TestClient[] = [];
      for (let i = 0; i < DEFAULT_VIEWER_LIMITS.maxClients; i++) open.push(await TestClient.connect(full.port));
      expect(await upgradeStatus(full.port, {})).toBe(503);
      const f = await open[0]!.request({ type: 'step', count: 1 }, isFrame);
      expect(f.step).toBe(1);
      for (const c of open) c.close();
    } finally {
      await full.close();
    }
  });

  it('refuses a load of a file path from a page without running it or echoing its content, and still loads offered tasks', async () => {
    const c = await TestClient.connect(port);
    await c.seen(isFrame);
    // a module that would leave a mark if the server imported it
    const mark = path.join(dir, `PWNED-${randomBytes(4).toString('hex')}`);
    const evil = path.join(dir, 'evil.mjs');
    writeFileSync(evil, `import fs from "node:fs"; fs.writeFileSync(${JSON.stringify(mark)}, "x"); export default {};\n`);
    const refused = await c.request({ type: 'load', env: evil }, isError);
    expect(refused.message).toMatch(/^load: unknown env ".*evil\.mjs" \(this viewer loads: cartpole, pendulum/);
    expect(existsSync(mark)).toBe(false);
    // a file that is not a module: importing it would quote its first token back
    const secret = `TOPSECRET_${randomBytes(6).toString('hex')}`;
    for (const name of ['notes.js', 'notes.ts', 'notes.txt']) {
      const file = path.join(dir, name);
      writeFileSync(file, `${secret} is the launch code\n`);
      const err = await c.request({ type: 'load', env: file }, isError);
      expect(err.message).toMatch(/^load: unknown env/);
      expect(err.message).not.toContain(secret);
      expect(err.message).not.toMatch(/launch/);
    }
    expect(log.join('\n')).not.toContain(secret);
    // relative paths and names that look like files are refused the same way
    expect((await c.request({ type: 'load', env: '../../../../etc/hostname' }, isError)).message).toMatch(/^load: unknown env/);
    // the offered tasks still load from the page
    const scene = await c.request({ type: 'load', env: 'pendulum' }, (m) => m.type === 'scene');
    expect(scene.task).toBe('pendulum');
    c.close();
  });

  it('answers [::1] only when it is served there', () => {
    const req = (host: string, origin: string) => ({ headers: { host, origin }, url: '/ws' }) as unknown as IncomingMessage;
    const v6 = req('[::1]:8787', 'http://[::1]:8787');
    expect(new UpgradeGuard('::1', 8787).checkUpgrade(v6)).toBeNull();
    expect(new UpgradeGuard('::1', 8787).checkUpgrade(req('localhost:8787', 'http://localhost:8787'))).toBeNull();
    expect(new UpgradeGuard('127.0.0.1', 8787).checkUpgrade(v6)?.status).toBe(403);
    expect(new UpgradeGuard('127.0.0.1', 8787).checkUpgrade(req('127.0.0.1:8787', 'http://127.0.0.1:8787'))).toBeNull();
  });
});
