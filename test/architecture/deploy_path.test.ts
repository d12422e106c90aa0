/**
 * The deploy path runs on a robot's computer: `sim2real deploy`, started for real and serving,
 * must not have loaded the physics engine, three.js, the trainer, a GPU backend, the simulator,
 * the viewer or the tasks. Checked from the modules the running process resolved.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './import_graph.ts';

/** Starts `sim2real ARGS` with module logging, waits for `ready` on stderr, stops it; the URLs it loaded. */
async function modulesLoadedBy(args: string[], ready: RegExp): Promise<string[]> {
  const log = path.join(mkdtempSync(path.join(tmpdir(), 's2r-modules-')), 'modules.txt');
  const child = spawn(process.execPath, [path.join(ROOT, 'test/architecture/module_log.mjs'), ...args], {
    cwd: ROOT, env: { ...process.env, S2R_MODULE_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => { err += String(d); if (ready.test(err)) resolve(); });
    child.on('exit', (code) => reject(new Error(`sim2real ${args.join(' ')} exited ${code} before it was ready: ${err}`)));
  });
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  return [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
}

const FORBIDDEN: [string, RegExp][] = [
  ['Rapier', /\/@dimforge\//],
  ['three.js', /\/node_modules\/three\//],
  ['WebGPU (Dawn)', /\/node_modules\/webgpu\//],
  ['the simulator', /\/src\/sim\//],
  ['the trainer', /\/src\/rl\//],
  ['a tensor backend', /\/src\/backend\//],
  ['the viewer', /\/src\/viewer\//],
  ['the tasks', /\/envs\//],
];

describe('the deploy path', () => {
  it('sim2real deploy serves a policy having loaded no physics, renderer, trainer, GPU, simulator, viewer or task code', async () => {
    const loaded = await modulesLoadedBy(['deploy', '--policy', 'policies/quadruped.onnx', '--listen', '127.0.0.1:0', '--rosbridge'], /sim2real deploy: /);
    const local = loaded.filter((u) => u.startsWith('file:'));
    // it did load what serving takes, so the log is complete enough to trust
    expect(local.some((u) => u.endsWith('/src/bridge/server.ts'))).toBe(true);
    expect(local.some((u) => u.endsWith('/src/onnx/onnx_policy.ts'))).toBe(true);
    expect(local.some((u) => u.endsWith('/src/robot/robot_spec.ts'))).toBe(true);
    expect(loaded.some((u) => /onnxruntime-node/.test(u))).toBe(true);
    const bad = FORBIDDEN.flatMap(([what, re]) => local.filter((u) => re.test(u)).map((u) => `${what}: ${u}`));
    expect(bad).toEqual([]);
  });

  it('the same log shows the simulator when a command does use it (the check can fail)', async () => {
    const loaded = await modulesLoadedBy(['view', '--env', 'cartpole', '--port', '0'], /http:\/\/127\.0\.0\.1:\d+/);
    expect(loaded.some((u) => /\/src\/sim\//.test(u))).toBe(true);
    expect(loaded.some((u) => /\/@dimforge\//.test(u))).toBe(true);
  });
});
