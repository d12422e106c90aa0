/**
 * `--backend` on the command line with the WebGPU backend: `webgpu` trains and names the
 * adapter (or, with no adapter, is a usage error), `auto` says what it picked and why, and the
 * process exits once training is done (the device is destroyed).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebGpuBackend } from '../../src/backend/webgpu.ts';
import { NO_ADAPTER } from './webgpu_setup.ts';

const root = path.resolve(import.meta.dirname, '../..');
const small = ['--steps', '128', '--envs', '4', '--set', 'ppo.num_steps=32', '--set', 'ppo.minibatch_size=64', '--set', 'ppo.num_epochs=1'];

function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

const probe = await WebGpuBackend.create();
const adapter = probe ? { description: probe.adapterDescription, software: probe.adapter.software } : null;
probe?.destroy();
if (!adapter && process.env.SIM2REAL_REQUIRE_WEBGPU === '1') throw new Error(`SIM2REAL_REQUIRE_WEBGPU=1 but ${NO_ADAPTER}`);

describe('sim2real train --backend', () => {
  it('webgpu trains on the adapter and names it, then exits; without an adapter it is a usage error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-webgpu-'));
    try {
      const r = s2r('train', '--env', 'cartpole', '--backend', 'webgpu', '--out', path.join(dir, 'run'), ...small);
      if (adapter) {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain(`backend: webgpu (${adapter.description}`);
        expect(r.stderr).toMatch(/done: 1\/1 iterations/);
      } else {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/--backend webgpu: no GPU driver \(/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('auto says which backend it took and why', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-webgpu-'));
    try {
      const r = s2r('train', '--env', 'cartpole', '--out', path.join(dir, 'run'), ...small);
      expect(r.code, r.stderr).toBe(0);
      if (!adapter) expect(r.stderr).toMatch(/backend: cpu \(no GPU driver: /);
      else if (adapter.software) expect(r.stderr).toContain(`backend: cpu (the only WebGPU adapter is ${adapter.description}`);
      else expect(r.stderr).toContain(`backend: webgpu (${adapter.description})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
