import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readRecording } from '../../src/robot/recording.ts';
import { TestClient } from './ws_client.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/sim2real.js');
const dir = mkdtempSync(path.join(tmpdir(), 's2r-viewcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sim2real view and eval --record', () => {
  it('view --env with an unknown env says so in the terminal and on the page, and keeps serving until Ctrl-C', async () => {
    const child = spawn(process.execPath, [bin, 'view', '--env', 'nope', '--port', '0'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const lines = (pred: (s: string) => boolean) => new Promise<void>((resolve) => {
      const check = () => { if (pred(err)) resolve(); };
      child.stderr.on('data', (d) => { err += String(d); check(); });
      check();
    });
    try {
      await lines((s) => /unknown env "nope"/.test(s));
      expect(err).toMatch(/sim2real view: unknown env "nope" \(known: cartpole, pendulum, reacher, quadruped, quadruped_rough\)/);
      const port = Number(/127\.0\.0\.1:(\d+)\//.exec(err)?.[1]);
      const c = await TestClient.connect(port);
      const msg = await c.seen((m) => m.type === 'error');
      expect(msg.message).toMatch(/unknown env "nope"/);
      const scene = c.next((m) => m.type === 'scene');
      c.send({ type: 'load', env: 'cartpole' });
      expect((await scene).task).toBe('cartpole');
      c.close();
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  });

  it('eval --record writes the evaluated episodes, and view refuses bad option combinations', () => {
    const file = path.join(dir, 'cp.rec');
    const r = spawnSync(process.execPath, [bin, 'eval', '--env', 'cartpole', '--policy', 'policies/cartpole.onnx', '--episodes', '2', '--record', file, '--json'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { lengths: number[]; returns: number[]; record: string };
    expect(out.record).toBe(file);
    expect(r.stderr).toMatch(/recorded 2 episodes to .*cp.rec/);
    const rec = readRecording(file);
    expect(rec.header.source).toMatch(/--policy policies\/cartpole.onnx/);
    const byEnv = [...rec.episodes].sort((a, b) => a.meta.env - b.meta.env);
    expect(byEnv.map((e) => e.meta.steps)).toEqual(out.lengths);
    byEnv.forEach((e, i) => expect(e.meta.return).toBeCloseTo(out.returns[i]!, 3));
    const bad = spawnSync(process.execPath, [bin, 'view', '--replay', file, '--env', 'cartpole'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--replay plays a recording: it takes no --env/);
  });
});
