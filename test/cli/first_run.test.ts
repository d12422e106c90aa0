/**
 * The first `sim2real train` says each fact once, in our words: without Vulkan one
 * `backend: cpu (no GPU driver: …)` line and none of Dawn's warnings (with their paths on the
 * machine that built Dawn); with an adapter no note about limits Dawn clamped; and `–`, not NaN,
 * for the mean return before any episode has ended.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
/** What Dawn and the Vulkan loader print on their own, and a figure shown before it exists: none of it may reach the user. */
const NOISE = [/Couldn't load Vulkan/, /vkCreateInstance/, /artificially reduced/, /\/home\/runner/, /^Warning: /m, /NaN/];

/**
 * How stderr reaches whoever reads it: `pipe` as a Node parent spawns (a socket, which cannot be
 * captured and put back: the adapter is looked for in a child process first), or `log` a file
 * opened for appending, as `2>>log` or nohup does (captured like a terminal or a shell pipe).
 */
type StderrTo = 'pipe' | 'log';

function train(args: string[], o: { env?: NodeJS.ProcessEnv; stderrTo?: StderrTo } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 's2r-first-'));
  const log = path.join(dir, 'stderr.log');
  const fd = o.stderrTo === 'log' ? openSync(log, 'a') : null;
  try {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), 'train', '--env', 'cartpole', '--out', path.join(dir, 'run'), ...args], {
      cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, SIM2REAL_DEBUG: '', ...o.env }, stdio: ['ignore', 'pipe', fd ?? 'pipe'],
    });
    let metrics: Record<string, unknown>[] = [];
    try {
      metrics = readFileSync(path.join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch { /* no run written */ }
    return { code: r.status, stderr: fd === null ? r.stderr : readFileSync(log, 'utf8'), metrics };
  } finally {
    if (fd !== null) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

function expectQuiet(stderr: string): void {
  for (const n of NOISE) expect(stderr, `stderr matches ${n}`).not.toMatch(n);
}

/** A library folder whose libvulkan.so.1 is not a library: Dawn's "Couldn't load Vulkan" case. */
const brokenLoader = mkdtempSync(path.join(tmpdir(), 's2r-novk-'));
writeFileSync(path.join(brokenLoader, 'libvulkan.so.1'), 'not a library');
afterAll(() => rmSync(brokenLoader, { recursive: true, force: true }));

/** Vulkan hidden two ways: no driver for the loader to find, and a loader that does not load. */
const noVulkan: [string, NodeJS.ProcessEnv][] = [
  ['no Vulkan driver', { VK_ICD_FILENAMES: '/nonexistent', VK_DRIVER_FILES: '/nonexistent' }],
  ['no Vulkan loader', { LD_LIBRARY_PATH: brokenLoader }],
];

describe('the first sim2real train', () => {
  for (const [name, env] of noVulkan) {
    for (const stderrTo of ['pipe', 'log'] as const) {
      it.runIf(process.platform === 'linux')(`${name}, stderr to a ${stderrTo}: one backend line in our words; --backend webgpu is one usage error`, () => {
        const auto = train(['--steps', '2048', '--backend', 'auto'], { env, stderrTo });
        expect(auto.code, auto.stderr).toBe(0);
        expect(auto.stderr.match(/^backend: .*$/gm)).toHaveLength(1);
        expect(auto.stderr).toMatch(/^backend: cpu \(no GPU driver: [^\n]+\), \d+ threads?, (native|TypeScript) kernels[^\n]*$/m);
        expectQuiet(auto.stderr);
        const gpu = train(['--steps', '2048', '--backend', 'webgpu'], { env, stderrTo });
        expect(gpu.code, gpu.stderr).toBe(2);
        expect(gpu.stderr).toMatch(/^sim2real: --backend webgpu: no GPU driver \([^\n]+\); [^\n]*--backend cpu\n$/);
        expectQuiet(gpu.stderr);
      });
    }
  }

  it('--backend webgpu on an adapter prints no note about limits Dawn clamped (stderr to a log)', (ctx) => {
    const r = train(['--steps', '128', '--envs', '4', '--set', 'ppo.num_steps=32', '--set', 'ppo.minibatch_size=64', '--set', 'ppo.num_epochs=1', '--backend', 'webgpu'], { stderrTo: 'log' });
    if (r.code === 2 && /no GPU driver/.test(r.stderr)) {
      if (process.env.SIM2REAL_REQUIRE_WEBGPU === '1') throw new Error(`SIM2REAL_REQUIRE_WEBGPU=1 but ${r.stderr}`);
      ctx.skip();
    }
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^backend: webgpu \(/);
    expectQuiet(r.stderr);
  });

  it('--backend auto with only a software adapter says so in one line and never opens it, wherever stderr goes', (ctx) => {
    for (const stderrTo of ['pipe', 'log'] as const) {
      const r = train(['--steps', '2048'], { stderrTo });
      expect(r.code, r.stderr).toBe(0);
      if (/^backend: webgpu \(|no GPU driver/m.test(r.stderr)) ctx.skip(); // a GPU, or no adapter: other tests
      expect(r.stderr).toMatch(/^backend: cpu \(the only WebGPU adapter is /m);
      expect(r.stderr.match(/^backend: .*$/gm)).toHaveLength(1);
      expectQuiet(r.stderr);
    }
  });

  it('shows – for the mean return before any episode has ended (null in metrics.jsonl), and each progress line once', () => {
    // 4 envs × 4 steps: no cart-pole episode ends in the first iteration
    const r = train(['--backend', 'cpu', '--seed', '1', '--steps', '32', '--envs', '4', '--set', 'ppo.num_steps=4', '--set', 'ppo.minibatch_size=16']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.metrics[0]).toMatchObject({ iteration: 1, episodes: 0, mean_return: null, mean_length: null });
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('train cartpole: '));
    expect(lines[0]).toMatch(/^train cartpole: 1\/2 iterations \(50%\) \| return – \| steps 16 \|/);
    expect(lines.filter((l) => l.startsWith('train cartpole: 2/2 '))).toHaveLength(1);
    expectQuiet(r.stderr);
  });
});
