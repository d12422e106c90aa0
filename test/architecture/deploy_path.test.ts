/**
 * The deploy path runs on a robot's computer: `sim2real deploy` and `sim2real agent`, started for
 * real and serving, must not have loaded the physics engine, three.js, the trainer, a GPU
 * backend, the simulator, the viewer or the tasks. Checked from the modules the running process
 * resolved.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './import_graph.ts';
import { ManageClient } from '../../src/agent/manage_client.ts';
import { loadPrivateKey, signPolicy, writeKeyPair } from '../../src/agent/signing.ts';
import { BridgeClient } from '../../src/bridge/client.ts';

/**
 * Starts `sim2real ARGS` with module logging, waits for `ready` on stderr, runs `meanwhile` (given
 * what stderr held then), stops it; the URLs it loaded.
 */
async function modulesLoadedBy(args: string[], ready: RegExp, meanwhile?: (stderr: string) => Promise<void>): Promise<string[]> {
  const log = path.join(mkdtempSync(path.join(tmpdir(), 's2r-modules-')), 'modules.txt');
  const child = spawn(process.execPath, [path.join(ROOT, 'test/architecture/module_log.mjs'), ...args], {
    cwd: ROOT, env: { ...process.env, S2R_MODULE_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => { err += String(d); if (ready.test(err)) resolve(); });
    child.on('exit', (code) => reject(new Error(`sim2real ${args.join(' ')} exited ${code} before it was ready: ${err}`)));
  });
  await meanwhile?.(err);
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  return [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
}

const FORBIDDEN: [string, RegExp][] = [
  ['Rapier', /\/@dimforge\//],
  ['MuJoCo', /\/node_modules\/mujoco-js\//],
  ['three.js', /\/node_modules\/three\//],
  ['WebGPU (Dawn)', /\/node_modules\/webgpu\//],
  ['the simulator', /\/src\/(sim|mujoco)\//],
  ['the trainer', /\/src\/rl\//],
  ['a tensor backend', /\/src\/backend\//],
  ['the viewer', /\/src\/viewer\//],
  ['the tasks', /\/envs\//],
];

/**
 * The forbidden modules among those `loaded`, each named; first it checks that what serving takes
 * (`needed`, file suffixes, and onnxruntime) was loaded, so the log is complete enough to trust.
 */
function forbiddenIn(loaded: string[], needed: string[]): string[] {
  const local = loaded.filter((u) => u.startsWith('file:'));
  for (const n of needed) expect(local.some((u) => u.endsWith(n)), n).toBe(true);
  expect(loaded.some((u) => /onnxruntime-node/.test(u))).toBe(true);
  return FORBIDDEN.flatMap(([what, re]) => local.filter((u) => re.test(u)).map((u) => `${what}: ${u}`));
}

describe('the deploy path', () => {
  it('sim2real deploy serves a policy having loaded no physics, renderer, trainer, GPU, simulator, viewer or task code', async () => {
    const loaded = await modulesLoadedBy(['deploy', '--policy', 'policies/quadruped.onnx', '--listen', '127.0.0.1:0', '--rosbridge'], /sim2real deploy: /);
    expect(forbiddenIn(loaded, ['/src/bridge/server.ts', '/src/onnx/onnx_policy.ts', '/src/robot/robot_spec.ts'])).toEqual([]);
  });

  it('sim2real agent takes a signed push and serves a control step having loaded none of them either', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-agent-path-'));
    writeFileSync(path.join(dir, 'token'), 'agent-path-token\n', { mode: 0o600 });
    const keys = writeKeyPair(path.join(dir, 'keys'));
    const loaded = await modulesLoadedBy([
      'agent', '--robot', 'robots/cartpole.json', '--store', path.join(dir, 'store'), '--listen', '127.0.0.1:0', '--manage', '127.0.0.1:0',
      '--token-file', path.join(dir, 'token'), '--trust', keys.publicFile,
    ], /sim2real agent: .*management (ws:\/\/\S+);/, async (stderr) => {
      const manage = /management (ws:\/\/\S+);/.exec(stderr)![1]!;
      const client = await ManageClient.connect(manage, { token: 'agent-path-token' });
      const bytes = readFileSync(path.join(ROOT, 'policies/cartpole.onnx'));
      await client.push(bytes, signPolicy(bytes, loadPrivateKey(keys.privateFile)), { name: 'cartpole.onnx', activate: true });
      const url = (await client.status()).controller as { url: string };
      await client.close();
      const robot = await BridgeClient.connect(url.url, { observations: ['cart_pos', 'cart_vel', 'pole_angle', 'pole_angvel'] });
      expect((await robot.request(Float32Array.of(0, 0, 0.01, 0), 0)).kind).toBe('action');
      await robot.close();
    });
    expect(forbiddenIn(loaded, ['/src/agent/agent.ts', '/src/bridge/server.ts', '/src/onnx/onnx_policy.ts', '/src/robot/robot_spec.ts'])).toEqual([]);
  });

  it('the same log shows the simulator when a command does use it (the check can fail)', async () => {
    const loaded = await modulesLoadedBy(['view', '--env', 'cartpole', '--port', '0'], /http:\/\/127\.0\.0\.1:\d+/);
    expect(loaded.some((u) => /\/src\/sim\//.test(u))).toBe(true);
    expect(loaded.some((u) => /\/@dimforge\//.test(u))).toBe(true);
  });
});
