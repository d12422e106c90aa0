/**
 * `sim2real urdf FILE --init OUT.json` through the real CLI: the ANYmal C and A1 contracts are
 * written, load as robot contracts, stand their 5 s and say so; an existing OUT is refused
 * without --force (exit 2, file untouched) and replaced with it; an arm gets a fixed-base
 * contract and a message; a floating robot without legs is refused, nothing written.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { realUrdf } from '../robot/real_robots.ts';

const root = path.resolve(import.meta.dirname, '../..');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1) ?? '');

/** A temp dir holding a copy of `urdf`; returns the copy's path. */
function copyInto(urdf: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 's2r-init-'));
  const to = path.join(dir, path.basename(urdf));
  copyFileSync(urdf, to);
  return to;
}

describe('sim2real urdf --init', () => {
  const anymal = realUrdf('anymal_c');
  const a1 = realUrdf('a1');

  it.skipIf(anymal === null)('writes ANYmal C\'s contract, which loads, names LF_HAA first and stands: and never overwrites it without --force', () => {
    const urdf = copyInto(anymal as string);
    const out = path.join(path.dirname(urdf), 'anymal_c.json');
    const r = s2r('urdf', urdf, '--init', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stand check: 5 s with zero actions .*: pass/);
    expect(r.stdout).toMatch(/Kp \(N·m\/rad\): 80 /);
    expect(r.stdout).toMatch(/check before training/);
    const spec = loadRobotSpec(out);
    expect(spec.urdf).toBe('anymal_c.urdf');
    expect(spec.joints[0]?.name).toBe('LF_HAA');
    expect(spec.locomotion?.legs.map((l) => l.foot)).toEqual(['LF_FOOT', 'RF_FOOT', 'LH_FOOT', 'RH_FOOT']);

    const before = readFileSync(out, 'utf8');
    writeFileSync(out, `${before} `); // a user's edit
    const again = s2r('urdf', urdf, '--init', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists: not overwritten \(add --force/);
    expect(again.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(out, 'utf8')).toBe(`${before} `);
    const forced = s2r('urdf', urdf, '--init', out, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(before);
  });

  it.skipIf(a1 === null)('--json: one object with the A1 contract, every guess with its reason and the stand check', () => {
    const urdf = copyInto(a1 as string);
    const out = path.join(path.dirname(urdf), 'a1.json');
    const r = s2r('urdf', urdf, '--init', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.kind).toBe('legged');
    expect(j.contract.locomotion.legs.map((l: { foot: string }) => l.foot)).toEqual(['FR_foot', 'FL_foot', 'RR_foot', 'RL_foot']);
    expect(j.stand.pass).toBe(true);
    expect(j.stand.min_height_ratio).toBeGreaterThanOrEqual(0.9);
    for (const g of j.guesses) expect(g.why, g.what).toBeTruthy();
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(j.contract);
  });

  it('an arm gets a fixed-base contract without locomotion, and a message saying so', () => {
    const urdf = copyInto(path.join(root, 'robots/reacher.urdf'));
    const out = path.join(path.dirname(urdf), 'reacher.json');
    const r = s2r('urdf', urdf, '--init', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no legs found .* fixed-base robot/);
    expect(r.stdout).toMatch(/stand check: not run/);
    const spec = loadRobotSpec(out);
    expect(spec.base.type).toBe('fixed');
    expect(spec.locomotion).toBeUndefined();
  });

  it('a floating base without legs: one clear line, exit 2, nothing written', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-init-'));
    const urdf = path.join(dir, 'float.urdf');
    const link = (name: string) => `<link name="${name}"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial><collision><geometry><sphere radius="0.05"/></geometry></collision></link>`;
    writeFileSync(urdf, `<robot name="float"><link name="world"/><joint name="free" type="floating"><parent link="world"/><child link="base"/></joint>${link('base')}`
      + `<joint name="mast" type="revolute"><parent link="base"/><child link="top"/><origin xyz="0 0 0.2"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="5" velocity="2"/></joint>${link('top')}</robot>`);
    const out = path.join(dir, 'float.json');
    const r = s2r('urdf', urdf, '--init', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/floating base \("free"\) but no legs/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('--force without --init is refused', () => {
    const r = s2r('urdf', 'robots/quadruped.urdf', '--force');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--force only goes with --init/);
  });
});
