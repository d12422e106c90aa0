/**
 * `--engine mujoco` from the command line, as a user runs the sim-to-sim check: `eval` reports
 * the same statistics in the same JSON shape as on Rapier (the shipped cart-pole policy keeps
 * balancing), `robot` rehearses a running deployment against MuJoCo dynamics and returns
 * what `eval` returns on the same seed, `bench sim` times MuJoCo; a parameter MuJoCo does not
 * model, an unknown engine or threads MuJoCo does not use are one-line usage errors (exit 2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARTPOLE_POLICY, deployCartpole } from '../bridge/helpers.ts';
import { lastJson, runCli as s2r, runCliAsync } from '../cli/run_cli.ts';
import type { Deployment } from '../../src/bridge/deploy.ts';

describe('sim2real eval --engine mujoco', () => {
  it('the shipped cart-pole policy keeps its return ≥ 475 on MuJoCo, reported in the same JSON shape as on Rapier', () => {
    const seed = String(Math.floor(Math.random() * 1000));
    const args = ['eval', '--env', 'cartpole', '--policy', CARTPOLE_POLICY, '--episodes', '3', '--seed', seed, '--json'];
    const m = s2r(...args, '--engine', 'mujoco');
    expect(m.code, m.stderr).toBe(0);
    const r = s2r(...args);
    expect(r.code, r.stderr).toBe(0);
    const jm = lastJson(m.stdout), jr = lastJson(r.stdout);
    expect(Object.keys(jm).sort()).toEqual(Object.keys(jr).sort());
    expect(jm.engine).toBe('mujoco');
    expect(jr.engine).toBe('rapier');
    expect(jm.dr).toEqual(jr.dr);
    expect(jm.mean_return as number, `seed ${seed}`).toBeGreaterThanOrEqual(475);
    expect(m.stderr).toMatch(/^cartpole: return .* \(trained randomization, on mujoco; policies\/cartpole\.onnx\)$/m);
  });

  it('refuses what MuJoCo does not model or run, in one line naming it (exit 2)', () => {
    const base = ['--env', 'cartpole', '--policy', CARTPOLE_POLICY, '--episodes', '1'];
    const cases: [string[], RegExp][] = [
      [['eval', ...base, '--engine', 'mujoco', '--shift', 'restitution=0.2'], /^sim2real: --shift restitution: the mujoco engine does not model it \(.*\); keys it takes: mass, mass_scale, .*friction/],
      [['eval', ...base, '--engine', 'bullet'], /^sim2real: --engine: expected one of rapier, mujoco, got "bullet"/],
      [['eval', ...base.slice(0, -1), '2000', '--engine', 'mujoco'], /^sim2real: the mujoco engine runs at most 1024 envs in one process/],
      [['bench', 'sim', '--engine', 'mujoco', '--workers', '2', '--envs', '2'], /^sim2real: --workers 2: --engine mujoco runs in one thread \(--workers 1\)/],
      [['robot', '--env', 'cartpole', '--connect', 'ws://127.0.0.1:9', '--engine', 'mujoco', '--shift', 'restitution=0.1'], /^sim2real: --shift restitution: the mujoco engine does not model it/],
    ];
    for (const [args, message] of cases) {
      const r = s2r(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('bench sim --engine mujoco times one env group on MuJoCo against bare MuJoCo steps', () => {
    const b = s2r('bench', 'sim', '--env', 'cartpole', '--engine', 'mujoco', '--envs', '4', '--steps', '10', '--json');
    expect(b.code, b.stderr).toBe(0);
    const j = lastJson(b.stdout);
    expect(j).toMatchObject({ env: 'cartpole', engine: 'mujoco', envs: 4, workers: 1, steps: 10, decimation: 1 });
    for (const k of ['env_steps_per_s', 'raw_steps_per_s']) expect(j[k] as number).toBeGreaterThan(0);
  });
});

describe('sim2real robot --engine mujoco against a deployment', () => {
  let deployment: Deployment;
  let url = '';

  beforeAll(async () => {
    deployment = await deployCartpole();
    url = deployment.server.url;
  }, 60_000);

  afterAll(() => deployment?.close());

  it('rehearses the deployment on MuJoCo dynamics: the return through the bridge is what eval --engine mujoco gives on the same seed', async () => {
    const seed = String(Math.floor(Math.random() * 1000));
    const robot = await runCliAsync('robot', '--env', 'cartpole', '--connect', url, '--engine', 'mujoco', '--episodes', '2', '--seed', seed, '--json');
    expect(robot.code, robot.stderr).toBe(0);
    const r = lastJson(robot.stdout);
    expect(r.engine).toBe('mujoco');
    expect(robot.stderr).toMatch(/^cartpole on mujoco through ws:/m);
    const ev = s2r('eval', '--env', 'cartpole', '--policy', CARTPOLE_POLICY, '--engine', 'mujoco', '--episodes', '2', '--seed', seed, '--json');
    expect(ev.code, ev.stderr).toBe(0);
    const e = lastJson(ev.stdout);
    // batch-of-1 vs batch-of-2 inference and a float32 round trip of the commands differ in the last bits
    expect(Math.abs((r.mean_return as number) - (e.mean_return as number)), `seed ${seed}`).toBeLessThanOrEqual(0.05 * (e.mean_return as number));
    expect(r.dropped).toBe(0);
    expect(r.dr).toEqual(e.dr);
  }, 120_000);
});
