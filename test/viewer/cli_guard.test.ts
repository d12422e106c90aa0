/**
 * `sim2real view` as a process, attacked the way a web page in the operator's browser would:
 * a foreign origin is refused, a page cannot make the viewer import a file, a task module given
 * on the command line stays loadable by the page, and a bad `--port` is one line and exit 2.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { TestClient, upgradeStatus, type Msg } from './ws_client.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/sim2real.js');
const dir = mkdtempSync(path.join(tmpdir(), 's2r-viewguard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const isError = (m: Msg) => m.type === 'error' && m.message !== '';

/** A running `sim2real view` with its stderr so far. */
interface View {
  child: ChildProcessByStdio<null, null, Readable>;
  port: number;
  stderr: () => string;
}

/** Starts `sim2real view ARGS --port 0` and resolves once it printed its URL. */
function startView(args: string[]): Promise<View> {
  const child = spawn(process.execPath, [bin, 'view', ...args, '--port', '0'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += String(d);
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      if (m) resolve({ child, port: Number(m[1]), stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`view exited ${code}: ${err}`)));
  });
}

async function stop(v: View): Promise<void> {
  const exited = new Promise((resolve) => v.child.once('exit', resolve));
  v.child.kill('SIGINT');
  await exited;
}

describe('sim2real view against a hostile page', () => {
  it('refuses a WebSocket from https://evil.example, and a page cannot make it run or read a local file', async () => {
    const v = await startView(['--env', 'cartpole']);
    try {
      const mark = path.join(dir, `PWNED-${randomBytes(4).toString('hex')}`);
      const evil = path.join(dir, 'evil.mjs');
      writeFileSync(evil, `import fs from "node:fs"; fs.writeFileSync(${JSON.stringify(mark)}, "x"); export default {};\n`);
      expect(await upgradeStatus(v.port, { origin: 'https://evil.example' })).toBe(403);
      // a client that is not a browser (no Origin) gets in, but cannot name a file either
      const c = await TestClient.connect(v.port);
      await c.seen((m) => m.type === 'scene');
      expect((await c.request({ type: 'load', env: evil }, isError)).message).toMatch(/^load: unknown env/);
      expect(existsSync(mark)).toBe(false);
      const secret = `TOPSECRET_${randomBytes(6).toString('hex')}`;
      const notes = path.join(dir, 'notes.js');
      writeFileSync(notes, `${secret}\n`);
      const err = await c.request({ type: 'load', env: notes }, isError);
      expect(err.message).not.toContain(secret);
      expect(v.stderr()).not.toContain(secret);
      // the page's own task picker still works
      expect((await c.request({ type: 'load', env: 'pendulum' }, (m) => m.type === 'scene')).task).toBe('pendulum');
      c.close();
    } finally {
      await stop(v);
    }
  });

  it('lets the page load again a task module given on the command line, and no other path', async () => {
    const v = await startView(['--env', 'envs/pendulum.ts']);
    try {
      const c = await TestClient.connect(v.port);
      expect((await c.seen((m) => m.type === 'scene')).task).toBe('pendulum');
      expect((await c.request({ type: 'load', env: 'cartpole' }, (m) => m.type === 'scene')).task).toBe('cartpole');
      expect((await c.request({ type: 'load', env: 'envs/pendulum.ts' }, (m) => m.type === 'scene')).task).toBe('pendulum');
      expect((await c.request({ type: 'load', env: 'envs/reacher.ts' }, isError)).message).toMatch(/^load: unknown env "envs\/reacher\.ts"/);
      c.close();
    } finally {
      await stop(v);
    }
  });

  it('refuses a port outside 0–65535 and a batch too big to stream with one line and exit 2', () => {
    for (const [flag, value, want] of [
      ['--port', '70000', /^sim2real: --port: expected a port number 0–65535 \(0: any free port\), got "70000"\n$/],
      ['--port', '-1', /--port: expected a port number 0–65535/],
      ['--port', '0x50', /--port: expected a port number 0–65535/],
      ['--envs', '5000', /^sim2real: --envs: at most 4096 envs in the viewer, got 5000\n$/],
    ] as const) {
      const r = spawnSync(process.execPath, [bin, 'view', '--env', 'cartpole', flag, value], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${flag} ${value}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
