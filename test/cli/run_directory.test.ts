/**
 * The run directory under a bad day: a trainer killed before its first checkpoint leaves a
 * directory that can be resumed or reused (the run starts over, saying so), and two trainers on
 * one directory cannot both write it: the second exits 2 naming the first's pid, a lock left by a
 * dead process is taken over, and Ctrl-C releases the lock.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/sim2real.js');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const small = ['--set', 'ppo.num_steps=32', '--set', 'ppo.minibatch_size=64', '--set', 'ppo.num_epochs=2', '--envs', '4'];
const iterations = (dir: string) => readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { iteration: number }).iteration);

/** Starts `sim2real ARGS` and resolves once its stderr matches `ready`, with what it printed so far. */
async function startUntil(args: string[], ready: (stderr: string) => boolean): Promise<{ child: ChildProcess; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (ready(stderr)) resolve();
    });
    void exited.then((code) => reject(new Error(`exited ${code} before it was ready:\n${stderr}`)));
  });
  return { child, exited, stderr: () => stderr };
}

/** A training run SIGKILLed after its first metrics line, long before its first checkpoint. */
async function killedBeforeCheckpoint(out: string): Promise<number> {
  const args = ['train', '--env', 'cartpole', '--steps', '10000000', '--out', out, '--set', 'checkpoint_every=100000', ...small];
  const run = await startUntil(args, (e) => e.includes('run directory:'));
  const metrics = path.join(out, 'metrics.jsonl');
  while (!existsSync(metrics) || !readFileSync(metrics, 'utf8').includes('\n')) await new Promise((r) => setTimeout(r, 50));
  run.child.kill('SIGKILL');
  await run.exited;
  expect(existsSync(path.join(out, 'checkpoints')) ? readdirSync(path.join(out, 'checkpoints')) : []).toEqual([]);
  expect(iterations(out).length).toBeGreaterThan(0);
  return run.child.pid!;
}

describe('the run directory under a bad day', () => {
  it('a run killed before its first checkpoint is restartable, by --resume or by --out: it starts over, saying so', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-killed-'));
    const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
    const [pidA] = await Promise.all([killedBeforeCheckpoint(a), killedBeforeCheckpoint(b)]);
    const resumed = s2r('train', '--resume', a, '--steps', '256');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`${a}: the run stopped before its first checkpoint; starting it over from iteration 0 with its config.json`);
    expect(resumed.stderr).toContain(`${a}: took over the lock of pid ${pidA}`);
    expect(iterations(a)).toEqual([1, 2]);
    const reused = s2r('train', '--env', 'cartpole', '--steps', '256', '--out', b, ...small);
    expect(reused.code, reused.stderr).toBe(0);
    expect(reused.stderr).toContain(`${b} holds a run that stopped before its first checkpoint; starting over in it`);
    expect(iterations(b)).toEqual([1, 2]);
    for (const d of [a, b]) expect(readdirSync(d)).not.toContain('run.lock');
  });

  it('a second trainer on a run directory exits 2 naming the first one\'s pid; Ctrl-C releases the lock; a dead holder\'s lock is taken over', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 's2r-lock-')), 'run');
    expect(s2r('train', '--env', 'cartpole', '--steps', '256', '--out', out, ...small).code).toBe(0);
    const first = await startUntil(['train', '--resume', out, '--steps', '10000000'], (e) => e.includes('run directory:'));
    const second = s2r('train', '--resume', out, '--steps', '512');
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`is in use by another trainer: pid ${first.child.pid} on this host since .*run\\.lock`));
    expect(second.stderr).not.toMatch(/\n\s+at /);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(readdirSync(out)).not.toContain('run.lock');
    const its = iterations(out);
    expect(new Set(its).size).toBe(its.length);
    // a lock whose process has exited (its pid no longer runs) is stale
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(path.join(out, 'run.lock'), JSON.stringify({ pid: dead, host: hostname(), started_at: '2026-01-01T00:00:00.000Z' }));
    const third = s2r('train', '--resume', out, '--steps', String((its.at(-1)! + 1) * 128));
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toContain(`took over the lock of pid ${dead} (started 2026-01-01T00:00:00.000Z), which is no longer running`);
    expect(readdirSync(out)).not.toContain('run.lock');
  });
});
