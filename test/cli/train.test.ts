import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const small = ['--set', 'ppo.num_steps=32', '--set', 'ppo.minibatch_size=64', '--set', 'ppo.num_epochs=2', '--envs', '4'];

describe('sim2real train / eval', () => {
  it('trains into a run directory, resumes with more steps, and evaluates it', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 's2r-cli-')), 'run');
    const t = s2r('train', '--env', 'cartpole', '--steps', '256', '--seed', '3', '--out', out, '--json', ...small);
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout.trim().split('\n').at(-1)!)).toMatchObject({ run: out, iterations: 2, stopped: false });
    for (const f of ['config.json', 'metrics.jsonl', 'checkpoints']) expect(existsSync(path.join(out, f))).toBe(true);
    expect(t.stderr).toMatch(/backend: cpu/);
    const r = s2r('train', '--resume', out, '--steps', '512');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming at 2/);
    expect(readdirSync(path.join(out, 'checkpoints'))).toContain('ckpt_000004.bin');
    const e = s2r('eval', '--env', 'cartpole', '--run', out, '--episodes', '3', '--json');
    expect(e.code, e.stderr).toBe(0);
    const j = JSON.parse(e.stdout.trim().split('\n').at(-1)!);
    expect(j.episodes).toBe(3);
    for (const k of ['mean_return', 'std_return', 'mean_length']) expect(Number.isFinite(j[k])).toBe(true);
    expect(j.mean_length).toBeGreaterThanOrEqual(1);
  });

  it('Ctrl-C finishes the iteration, writes a checkpoint and exits 0', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 's2r-cli-')), 'run');
    const child = spawn(process.execPath, [path.join(root, 'bin/sim2real.js'), 'train', '--env', 'cartpole', '--steps', '10000000', '--out', out, ...small], { cwd: root });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('run directory:')) resolve();
    }));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/interrupted: finishing this iteration/);
    expect(stderr).toMatch(/stopped: \d+\/\d+ iterations/);
    expect(readdirSync(path.join(out, 'checkpoints')).filter((f) => f.startsWith('ckpt_'))).toHaveLength(1);
  });

  it('bad input is one line and exit 2: unknown env, unknown config key, changing a resumed run, wrong env for eval', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-cli-'));
    const a = s2r('train', '--env', 'walker', '--out', path.join(dir, 'a'));
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown env "walker"/);
    const b = s2r('train', '--env', 'cartpole', '--set', 'ppo.lr=0.1', '--out', path.join(dir, 'b'));
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown PPO key "lr"/);
    const c = s2r('train', '--resume', dir, '--seed', '4');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--resume keeps the run's configuration; drop --seed/);
    const d = s2r('eval', '--env', 'cartpole', '--run', path.join(dir, 'nothing'));
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/no config\.json/);
    const w = s2r('train', '--env', 'cartpole', '--backend', 'cuda', '--out', path.join(dir, 'w'));
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--backend: expected one of auto, cpu, webgpu, got "cuda"/);
  });
});
