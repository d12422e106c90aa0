/**
 * End to end on loopback, as a user runs it: `sim2real deploy` in one process, `sim2real robot`
 * in another; the return through the bridge matches `sim2real eval --policy` on the same seed,
 * including under a dynamics shift; bad options are usage errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readRecording, stepLayout } from '../../src/robot/recording.ts';
import { CARTPOLE_POLICY } from './helpers.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/sim2real.js');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;

let deploy: ChildProcess;
let url = '';
let deployLog = '';

beforeAll(async () => {
  deploy = spawn(process.execPath, [bin, 'deploy', '--policy', CARTPOLE_POLICY, '--listen', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    deploy.stderr!.on('data', (chunk: Buffer) => {
      deployLog += chunk.toString();
      const m = / on (ws:\/\/127\.0\.0\.1:\d+):/.exec(deployLog);
      if (m) resolve(m[1]!);
    });
    deploy.on('exit', (code) => reject(new Error(`deploy exited (${code}): ${deployLog}`)));
  });
}, 60_000);

afterAll(async () => {
  if (deploy && deploy.exitCode === null) {
    const exited = new Promise((r) => deploy.once('exit', r));
    deploy.kill('SIGTERM');
    await exited;
  }
});

describe('sim2real robot against sim2real deploy', () => {
  const seed = Math.floor(Math.random() * 1000);

  it.each([
    ['binary encoding, trained randomization', ['--encoding', 'binary'], []],
    ['json encoding, shifted latency and mass', ['--encoding', 'json'], ['--shift', 'latency_steps=2', '--shift', 'mass=1.5']],
  ])('returns what eval returns on the same seed (%s)', (_name, robotArgs, shiftArgs) => {
    console.log(`seed ${seed}`);
    const robot = s2r('robot', '--env', 'cartpole', '--connect', url, '--episodes', '3', '--seed', String(seed), '--json', ...robotArgs, ...shiftArgs);
    expect(robot.code, robot.stderr).toBe(0);
    const r = lastJson(robot.stdout);
    const ev = s2r('eval', '--env', 'cartpole', '--policy', CARTPOLE_POLICY, '--episodes', '3', '--seed', String(seed), '--json', ...shiftArgs);
    expect(ev.code, ev.stderr).toBe(0);
    const e = lastJson(ev.stdout);
    // batch-of-1 vs batch-of-3 inference and a float32 round trip of the commands differ in the last bits
    expect(Math.abs((r.mean_return as number) - (e.mean_return as number))).toBeLessThanOrEqual(0.05 * (e.mean_return as number));
    expect(r.episodes).toBe(3);
    expect(r.dropped).toBe(0);
    // a loaded machine may trip the 60 ms watchdog between steps; what must never happen is a
    // rejected observation or a clamped command for this in-distribution policy
    expect(r.safety).toMatchObject({ rejected_obs: 0, stale_obs: 0, clamped_commands: 0, rate_limited_commands: 0 });
    expect(r.dr).toEqual(e.dr);
    for (const k of ['latency_ms_p50', 'latency_ms_p99']) expect(Number.isFinite(r[k])).toBe(true);
  }, 120_000);

  it('--record logs each episode with the state to replay from (the state the observation shows) and the command received', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-robot-rec-'));
    try {
      const file = path.join(dir, 'robot.rec');
      const robot = s2r('robot', '--env', 'cartpole', '--connect', url, '--episodes', '2', '--seed', String(seed), '--no-randomize', '--shift', 'latency_steps=1', '--record', file, '--json');
      expect(robot.code, robot.stderr).toBe(0);
      const r = lastJson(robot.stdout);
      const rec = readRecording(file);
      expect(rec.header.rewardTerms).toEqual(['alive', 'command.slider', 'state.q.slider', 'state.q.hinge', 'state.qd.slider', 'state.qd.hinge']);
      expect(rec.episodes.map((e) => e.meta.steps).sort()).toEqual([...(r.lengths as number[])].sort());
      const L = stepLayout(rec.header);
      for (const { data, meta } of rec.episodes) {
        expect(meta.dr.latency_steps).toBe(1);
        for (let t = 0; t < meta.steps; t++) {
          const row = t * L.stride;
          // without observation noise the observation is the state: cart x, ẋ, pole θ, θ̇
          expect(data[row + L.obs]).toBeCloseTo(data[row + L.terms + 2]!, 5);
          expect(data[row + L.obs + 2]).toBeCloseTo(data[row + L.terms + 3]!, 5);
          expect(data[row + L.obs + 3]).toBeCloseTo(data[row + L.terms + 5]!, 5);
          // the command is the action scaled to newtons (10 N per unit)
          expect(data[row + L.terms + 1]).toBeCloseTo(10 * data[row + L.actions]!, 3);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('reports usage errors with exit 2: wrong task for the policy, bad url, bad shift', () => {
    const wrong = s2r('robot', '--env', 'pendulum', '--connect', url, '--episodes', '1');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/observations\[0\]|task cartpole/);
    expect(s2r('robot', '--env', 'cartpole', '--connect', 'http://x', '--episodes', '1').code).toBe(2);
    const shift = s2r('robot', '--env', 'cartpole', '--connect', url, '--shift', 'wind=3', '--episodes', '1');
    expect(shift.code).toBe(2);
    expect(shift.stderr).toMatch(/unknown key/);
    expect(deploy.exitCode).toBe(null);
  }, 60_000);

  it('deploy refuses a non-loopback address without a token (exit 2)', () => {
    const r = s2r('deploy', '--policy', CARTPOLE_POLICY, '--listen', '0.0.0.0:0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not loopback.*--token/);
  }, 60_000);
});
