import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ViewerServer } from '../../src/viewer/viewer_server.ts';
import { viewerPolicyLoader } from '../../src/cli/view.ts';
import { LiveSession } from '../../src/viewer/live_session.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { cartpole } from '../../envs/cartpole.ts';
import { DR_PARAMS, sampleLabels } from '../../src/task/randomize.ts';
import { TestClient, type Msg } from './ws_client.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 's2r-view-'));
const isFrame = (m: Msg) => m.type === 'frame';
const isError = (m: Msg) => m.type === 'error' && m.message !== '';

describe('viewer server', () => {
  let server: ViewerServer;
  const log: string[] = [];
  beforeAll(async () => {
    server = await ViewerServer.start({ port: 0, numEnvs: 3, seed: 7, randomize: true, tasks: ['cartpole', 'pendulum'], autoplay: false, log: (l) => log.push(l) });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page, three.js and uPlot from the source tree and node_modules', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    for (const p of ['/', '/client/main.js', '/vendor/three/build/three.module.js', '/vendor/three/examples/jsm/controls/OrbitControls.js', '/vendor/uplot/uPlot.esm.js']) {
      const r = await fetch(base + p);
      expect(r.status, p).toBe(200);
    }
    expect((await fetch(`${base}/client/../../cli/main.ts`)).status).toBe(404);
    expect((await fetch(`${base}/vendor/three/package.json`)).status).toBe(404);
  });

  it('streams the poses and observations of an identically seeded env group, step after step', async () => {
    expect(await server.loadEnv('cartpole')).toBe(true);
    const c = await TestClient.connect(server.port);
    const scene = await c.seen((m) => m.type === 'scene');
    expect(scene).toMatchObject({ task: 'cartpole', numEnvs: 3, mode: 'live', actionMode: 'random' });
    const ref = await EnvGroup.create({ task: cartpole, numEnvs: 3, firstEnvIndex: 0, seed: 7, dr: cartpole.dr });
    const nb = scene.robot.bodies.length;
    expect(nb).toBe(ref.robot(0).links.length);
    expect(scene.dr[2].mass_scale).toBe(ref.sample(2).mass_scale);
    // the page labels samples with what the server sends: units and range keys from the declarations
    expect(scene.drKeys).toEqual(sampleLabels());
    expect(scene.drKeys.map((k: { name: string }) => k.name)).toEqual(Object.keys(scene.dr[0]));
    expect(scene.drKeys.find((k: { name: string }) => k.name === 'joint_damping')).toMatchObject({ unit: DR_PARAMS.joint_damping.unit, drawnFrom: 'joint_damping' });
    expect(scene.drKeys.find((k: { name: string }) => k.name === 'gravity_z')).toMatchObject({ unit: 'm/s²', drawnFrom: null });
    expect(scene.drRanges.joint_damping).toEqual(cartpole.dr.joint_damping);
    const pose = new Float64Array(7);
    const check = (frame: Msg) => {
      for (let e = 0; e < 3; e++) {
        for (let b = 0; b < nb; b++) {
          ref.robot(e).readLinkPose(b, pose);
          for (let j = 0; j < 7; j++) expect(Math.abs(frame.poses[(e * nb + b) * 7 + j] - pose[j]!), `env ${e} body ${b} [${j}]`).toBeLessThan(1e-9);
        }
      }
      expect(frame.obs).toEqual(Array.from(ref.buffers.obs));
    };
    check(await c.seen(isFrame));
    let resets = 0;
    for (let k = 0; k < 60; k++) {
      const f = await c.request({ type: 'step', count: 1 }, isFrame);
      // the stream carries the actions it applied: apply the same ones to the reference
      ref.buffers.actions.set(f.actions);
      ref.step();
      resets += f.dones.reduce((a: number, d: number) => a + d, 0);
      check(f);
    }
    expect(resets).toBeGreaterThan(0); // random actions topple the pole: resets are covered too
    ref.dispose();
    c.close();
  });

  it('reports an unknown env, a malformed message and an impossible push, and keeps serving', async () => {
    const c = await TestClient.connect(server.port);
    await c.seen(isFrame);
    const err = c.next(isError);
    expect(await server.loadEnv('no_such_env')).toBe(false);
    expect((await err).message).toMatch(/unknown env "no_such_env" \(known: cartpole/);
    expect(log.at(-1)).toMatch(/unknown env "no_such_env"/);
    expect((await c.request('{not json', isError)).message).toMatch(/bad message: message is not JSON/);
    expect((await c.request({ type: 'warp' }, isError)).message).toMatch(/unknown message type "warp"/);
    expect((await c.request({ type: 'push', env: 9, body: 1, velocity: [1, 0, 0] }, isError)).message).toMatch(/push: env 9 does not exist/);
    expect((await c.request({ type: 'speed', value: -1 }, isError)).message).toMatch(/speed.value must be/);
    // the previous session still runs
    const f = await c.request({ type: 'step', count: 2 }, isFrame);
    expect(f.poses.length).toBeGreaterThan(0);
    c.close();
  });

  it('reports a corrupt recording and a policy that does not fit the env, and keeps serving', async () => {
    const bad = path.join(dir, 'bad.rec');
    writeFileSync(bad, 'S2R-REC\n\x28\x00\x00\x00{"ver');
    const c = await TestClient.connect(server.port);
    await c.seen(isFrame);
    const err = c.next(isError);
    expect(await server.loadReplay(bad)).toBe(false);
    expect((await err).message).toMatch(/recording .*bad.rec: header is truncated/);
    expect(server.current).toBeInstanceOf(LiveSession);
    c.close();

    const strict = await ViewerServer.start({
      port: 0, numEnvs: 1, seed: 1, randomize: false, tasks: ['cartpole', 'pendulum'], autoplay: false,
      loadPolicy: viewerPolicyLoader({ onnx: path.join(root, 'policies/cartpole.onnx') }), log: () => {},
    });
    try {
      expect(await strict.loadEnv('pendulum')).toBe(true);
      expect(strict.error).toMatch(/policy .*cartpole.onnx does not fit env pendulum: policy was trained for task cartpole .* running env pendulum with random actions instead/);
      expect(strict.current?.actionMode).toBe('random');
      expect(await strict.loadEnv('cartpole')).toBe(true);
      expect(strict.error).toBeNull();
      expect(strict.current?.actionMode).toBe('policy');
      const d = await TestClient.connect(strict.port);
      const f = await d.request({ type: 'step', count: 1 }, isFrame);
      expect(f.actions.every((a: number) => Number.isFinite(a))).toBe(true);
      d.close();
    } finally {
      await strict.close();
    }
  });
});

describe('training dashboard feed', () => {
  it('sends a run\'s metrics rows, then the rows training appends, then everything again after a cut', async () => {
    const { readMetrics } = await import('../../src/rl/metrics.ts');
    const { appendFileSync } = await import('node:fs');
    const runDir = mkdtempSync(path.join(tmpdir(), 's2r-run-'));
    const file = path.join(runDir, 'metrics.jsonl');
    const row = (i: number) => `${JSON.stringify({ iteration: i, env_steps: 2048 * i, mean_return: 10 * i + Math.random(), approx_kl: null })}\n`;
    writeFileSync(file, row(1) + row(2));
    const server = await ViewerServer.start({
      port: 0, numEnvs: 1, seed: 1, randomize: false, tasks: ['cartpole'], autoplay: false, log: () => {},
      metrics: { file, read: (f) => readMetrics(f) as unknown as Record<string, unknown>[] },
    });
    try {
      const c = await TestClient.connect(server.port);
      const first = await c.seen((m) => m.type === 'metrics');
      expect(first.reset).toBe(true);
      expect(first.rows.map((r: { iteration: number }) => r.iteration)).toEqual([1, 2]);
      expect(first.rows[0].approx_kl).toBeNull();
      const more = c.next((m) => m.type === 'metrics');
      appendFileSync(file, row(3));
      expect(await more).toMatchObject({ reset: false, rows: [{ iteration: 3, env_steps: 6144 }] });
      const cut = c.next((m) => m.type === 'metrics');
      writeFileSync(file, row(1));
      expect(await cut).toMatchObject({ reset: true, rows: [{ iteration: 1 }] });
      c.close();
    } finally {
      await server.close();
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
