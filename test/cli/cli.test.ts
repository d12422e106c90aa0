import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1) ?? '');

describe('sim2real CLI', () => {
  it('envs --json lists every task with dims, names and control period', () => {
    const r = s2r('envs', '--json');
    expect(r.code).toBe(0);
    const envs = lastJson(r.stdout) as { name: string; obs_dim: number; act_dim: number; control_dt_s: number; observations: unknown[] }[];
    expect(envs.map((e) => e.name)).toEqual(['cartpole', 'pendulum', 'reacher', 'quadruped', 'quadruped_rough']);
    for (const e of envs) {
      expect(e.obs_dim).toBe(e.observations.length);
      expect(e.act_dim).toBeGreaterThan(0);
      expect(e.control_dt_s).toBeGreaterThan(0);
    }
    expect(envs.find((e) => e.name === 'quadruped')).toMatchObject({
      obs_dim: 48, act_dim: 12, control_dt_s: 0.02,
      commands: [{ name: 'vx', unit: 'm/s', range: [-1, 1] }, { name: 'vy', unit: 'm/s', range: [-1, 1] }, { name: 'yaw_rate', unit: 'rad/s', range: [-1, 1] }],
    });
    expect(envs.find((e) => e.name === 'cartpole')).toMatchObject({ commands: [] });
  });

  it('urdf reports the quadruped: 12 movable joints with limits, mass, and a finite drop test', () => {
    const r = s2r('urdf', 'robots/quadruped.urdf', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.dof).toBe(12);
    expect(j.base).toBe('floating');
    expect(j.joints.filter((x: { type: string }) => x.type === 'revolute')).toHaveLength(12);
    for (const k of ['name', 'type', 'parent', 'child', 'axis', 'lower', 'upper', 'effort', 'velocity']) expect(j.joints[0]).toHaveProperty(k);
    expect(j.total_mass_kg).toBeGreaterThan(5);
    expect(j.drop.finite).toBe(true);
    expect(j.drop.final_height_m).toBeGreaterThan(0);
    expect(j.drop.final_height_m).toBeLessThan(j.drop.start_height_m);
  });

  it('urdf on a broken file exits 2 with one line naming the fault, no stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-'));
    const f = path.join(dir, 'broken.urdf');
    writeFileSync(f, '<robot name="b"><link name="a"/><joint name="j" type="revolute"><parent link="a"/><child link="missing"/><limit lower="0" upper="1" effort="1" velocity="1"/></joint></robot>');
    const r = s2r('urdf', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/joint "j".*missing/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const gone = s2r('urdf', path.join(dir, 'nope.urdf'));
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/nope\.urdf/);
  });

  it('bench sim reports env-steps/s beside bare physics steps/s', () => {
    const r = s2r('bench', 'sim', '--env', 'cartpole', '--envs', '16', '--steps', '30', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j).toMatchObject({ env: 'cartpole', envs: 16, workers: 1 });
    expect(j.env_steps_per_s).toBeGreaterThan(0);
    expect(j.raw_steps_per_s).toBeGreaterThan(0);
  });

  it('an unknown env or a bad number is one clear line and exit 2', () => {
    const r = s2r('bench', 'sim', '--env', 'walker', '--steps', '5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown env "walker" \(known: cartpole, pendulum, reacher, quadruped, quadruped_rough\)/);
    const bad = s2r('bench', 'sim', '--envs', 'many');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--envs: expected a positive integer, got "many"/);
  });

  it('--help shows examples and exits 0', () => {
    const r = s2r('urdf', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+sim2real urdf robots\/quadruped\.urdf/);
  });
});
