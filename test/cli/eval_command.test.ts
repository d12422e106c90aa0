/**
 * `sim2real eval --command` on a tiny real quadruped run: tracking statistics for `--run` and
 * `--policy`, together with `--shift`, `--no-randomize` and `--record`; usage errors for tasks
 * without commands, unknown command names and malformed pairs; a warning for values outside
 * the range the task samples from.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1) ?? '');
const COMMANDS = ['vx', 'vy', 'yaw_rate'];
const STATS = ['command', 'mean_measured', 'mean_abs_error', 'rms_error', 'worst_env_mean_abs_error', 'worst_env'];

describe('sim2real eval --command', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 's2r-cmd-'));
  const run = path.join(dir, 'run');

  beforeAll(() => {
    // one PPO iteration of 8 envs × 24 steps: an untrained policy, enough for the plumbing
    const t = s2r('train', '--env', 'quadruped', '--steps', '192', '--envs', '8', '--set', 'ppo.num_envs=8', '--set', 'ppo.minibatch_size=96', '--seed', '4', '--out', run, '--json');
    expect(t.code, t.stderr).toBe(0);
  }, 120_000);

  /** Checks a `tracking` object: finite statistics for every quadruped command, consistent counts. */
  function expectTracking(j: { tracking: Record<string, unknown>; lengths: number[]; episodes: number }, held: number[], settleS: number) {
    const t = j.tracking as { settle_s: number; episodes: number; terminated: number; truncated: number; measured_steps: number; commands: Record<string, Record<string, number>> };
    expect(t.settle_s).toBe(settleS);
    expect(t.episodes).toBe(j.episodes);
    expect(t.terminated).toBe(j.lengths.filter((l) => l < 1000).length);
    expect(t.terminated + t.truncated).toBe(j.episodes);
    expect(t.measured_steps).toBe(j.lengths.reduce((s, l) => s + Math.max(0, l - Math.round(settleS / 0.02)), 0));
    expect(Object.keys(t.commands)).toEqual(COMMANDS);
    COMMANDS.forEach((c, k) => {
      expect(Object.keys(t.commands[c]!).sort()).toEqual([...STATS, 'unit'].sort());
      for (const s of STATS) expect(Number.isFinite(t.commands[c]![s]), `${c}.${s}`).toBe(true);
      expect(t.commands[c]!.command).toBe(held[k]);
      expect(t.commands[c]!.rms_error).toBeGreaterThanOrEqual(t.commands[c]!.mean_abs_error!);
    });
  }

  it('--run: a tracking object with finite statistics for vx, vy, yaw_rate (unnamed commands held at 0), a table on stderr; --record still works', () => {
    const rec = path.join(dir, 'q.rec');
    const e = s2r('eval', '--env', 'quadruped', '--run', run, '--command', 'vx=0.5', '--episodes', '2', '--settle-s', '0.5', '--record', rec, '--json');
    expect(e.code, e.stderr).toBe(0);
    const j = lastJson(e.stdout);
    expectTracking(j, [0.5, 0, 0], 0.5);
    expect(j.record).toBe(rec);
    expect(existsSync(rec)).toBe(true);
    expect(e.stderr).toMatch(/recorded 2 episodes/);
    expect(e.stderr).toMatch(/tracking vx=0\.5 m\/s, vy=0 m\/s, yaw_rate=0 rad\/s after 0\.5 s settling/);
    expect(e.stderr).toMatch(/\ncommand +unit +held +mean measured +mean \|error\| +rms error +worst env mean \|error\|\n/);
    expect(e.stderr).toMatch(/\nyaw_rate +rad\/s +0 +-?\d+\.\d{3} /);
    expect(e.stderr).not.toMatch(/warning/);
  });

  it('--policy with --shift and --no-randomize: the same statistics; a value outside the sampled range is a warning, not an error', () => {
    const e = s2r('eval', '--env', 'quadruped', '--policy', path.join(run, 'policy.onnx'), '--command', 'vx=1.5', '--command', 'yaw_rate=-0.3',
      '--episodes', '2', '--no-randomize', '--shift', 'friction=0.4', '--shift', 'latency_steps=1', '--json');
    expect(e.code, e.stderr).toBe(0);
    const j = lastJson(e.stdout);
    expectTracking(j, [1.5, 0, -0.3], 1);
    expect(j.shift).toEqual({ friction: 0.4, latency_steps: 1 });
    expect(j.randomize).toBe(false);
    expect(e.stderr).toMatch(/^warning: command vx=1\.5 m\/s is outside the range task quadruped samples from, \[-1, 1\] m\/s$/m);
    expect(e.stderr.match(/warning/g)).toHaveLength(1);
    // without --json the line and the table go to stdout
    const plain = s2r('eval', '--env', 'quadruped', '--policy', path.join(run, 'policy.onnx'), '--command', 'vy=0.3', '--episodes', '1', '--settle-s', '0');
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^quadruped: return .*\ntracking vx=0 m\/s, vy=0\.3 m\/s, yaw_rate=0 rad\/s after 0 s settling/);
  });

  it('bad --command input exits 2 with one line naming the problem', () => {
    const cp = s2r('eval', '--env', 'cartpole', '--policy', 'policies/cartpole.onnx', '--command', 'vx=0.5');
    expect(cp.code).toBe(2);
    expect(cp.stderr.trim()).toBe('sim2real: --command: task cartpole declares no commands to hold (tasks with commands: quadruped, quadruped_rough)');
    const unknown = s2r('eval', '--env', 'quadruped', '--run', run, '--command', 'vx=0.5', '--command', 'vz=1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('sim2real: command vz: unknown command of task quadruped (valid: vx, vy, yaw_rate)');
    for (const [args, want] of [
      [['--command', 'vx'], /--command vx: expected name=value/],
      [['--command', 'vx=fast'], /--command vx=fast: value must be a number/],
      [['--command', 'vx=0.5', '--settle-s', '-1'], /--settle-s: expected a number >= 0/],
      [['--settle-s', '2'], /--settle-s: only applies with --command/],
    ] as const) {
      const r = s2r('eval', '--env', 'quadruped', '--run', run, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--help says how unnamed commands are held and lists the commands', () => {
    const h = s2r('eval', '--help');
    expect(h.code).toBe(0);
    expect(h.stdout.replace(/\s+/g, ' ')).toMatch(/commands not given are held at 0.*quadruped: vx \(m\/s\), vy \(m\/s\), yaw_rate \(rad\/s\)/);
    expect(h.stdout).toMatch(/--settle-s/);
  });
});
