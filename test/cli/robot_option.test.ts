/**
 * `--robot FILE.json` as a user meets it: `train` runs the task on that robot and keeps a copy of
 * it in the run directory (so `--resume`, `export` and `eval --run` work after the original is
 * gone, and refuse a copy that changed); the exported contract names the robot, its joints in
 * order, its gains and default pose; and a policy for one robot given another — another robot,
 * or the same robot with its joints in another order — is refused by `eval --policy` and
 * `deploy` with one line naming the first difference and exit 2, as are bad contracts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 's2r-robot-option-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** Exit 2 with exactly one line on stderr, no stack trace; returns the line. */
function refused(r: { code: number | null; stderr: string }): string {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}
const freshSeed = () => Math.floor(Math.random() * 2 ** 31);
/** A tiny training run: few envs, short rollouts, one iteration per 32 env steps. */
const SMALL = ['--envs', '4', '--workers', '1', '--set', 'ppo.num_steps=8', '--set', 'ppo.minibatch_size=32', '--backend', 'cpu'];

type Contract = { name: string; joints: { name: string; default_pos: number }[]; locomotion: { legs: { name: string; joints: string[]; foot?: string }[] } };
/** robots/anymal_c.json (edited) beside a copy of its URDF in a fresh folder; returns the contract's path. */
function anymalCopy(folder: string, edit: (c: Contract) => void = () => {}): string {
  const d = path.join(dir, folder);
  rmSync(d, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', d]);
  copyFileSync(path.join(root, 'robots/anymal_c.urdf'), path.join(d, 'anymal_c.urdf'));
  const c = JSON.parse(readFileSync(path.join(root, 'robots/anymal_c.json'), 'utf8')) as Contract;
  edit(c);
  const file = path.join(d, 'anymal_c.json');
  writeFileSync(file, JSON.stringify(c, null, 2));
  return file;
}

const run = path.join(dir, 'run');
let policy = '';

describe('--robot', () => {
  beforeAll(() => {
    const contract = anymalCopy('mine');
    const r = s2r('train', '--env', 'quadruped', '--robot', contract, '--steps', '32', '--seed', String(freshSeed() % 1000), '--out', run, ...SMALL);
    expect(r.code, r.stderr).toBe(0);
    policy = path.join(run, 'policy.onnx');
    // the user's files go away: the run keeps its own copy
    rmSync(path.dirname(contract), { recursive: true, force: true });
  }, 120_000);

  it('train records the robot in the run directory and the policy contract names its joints, gains and default pose', async () => {
    const config = JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8'));
    expect(config.robot).toMatchObject({ name: 'anymal_c', file: 'robot/anymal_c.json' });
    expect(config.robot.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(path.join(run, 'robot/anymal_c.urdf'))).toBe(true);
    const shipped = JSON.parse(readFileSync(path.join(root, 'robots/anymal_c.json'), 'utf8')) as { joints: { name: string; kp: number; kd: number; default_pos: number }[] };
    const p = await OnnxPolicy.load(policy);
    try {
      expect(p.contract.robot).toBe('anymal_c');
      expect(p.contract.jointOrder).toEqual(shipped.joints.map((j) => j.name));
      expect(p.contract.jointKp).toEqual(shipped.joints.map((j) => j.kp));
      expect(p.contract.jointKd).toEqual(shipped.joints.map((j) => j.kd));
      expect(p.contract.defaultJointPositions).toEqual(shipped.joints.map((j) => j.default_pos));
      expect(p.contract.observations.map((o) => o.name)).toContain('RH_KFE_vel');
    } finally {
      await p.dispose();
    }
  });

  it('resume, export and eval --run use the run\'s copy of the robot, and refuse a copy that changed', () => {
    const resumed = s2r('train', '--resume', run, '--steps', '64', '--backend', 'cpu');
    expect(resumed.code, resumed.stderr).toBe(0);
    const out = path.join(dir, 'exported.onnx');
    const exported = s2r('export', '--run', run, '--out', out, '--json');
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ robot: 'anymal_c', act_dim: 12 });
    const evaluated = s2r('eval', '--env', 'quadruped', '--run', run, '--episodes', '1', '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const e = JSON.parse(evaluated.stdout);
    expect(e.base_height.nominal_m).toBe(0.5);
    expect(refused(s2r('eval', '--env', 'quadruped', '--run', run, '--robot', 'robots/a1.json', '--episodes', '1'))).toMatch(/--robot robots\/a1\.json does not fit run .*: the run is for robot anymal_c, not for robot a1/);
    appendFileSync(path.join(run, 'robot/anymal_c.urdf'), '<!-- edited -->\n');
    expect(refused(s2r('eval', '--env', 'quadruped', '--run', run, '--episodes', '1'))).toMatch(/robot copy .*anymal_c\.json \(or its URDF or meshes\) changed since the run started/);
  }, 120_000);

  it('eval --policy and deploy refuse a policy for robot A given robot B, naming the robots', () => {
    const why = /the policy is for robot anymal_c, not for robot a1 \(.*a1\.json\)/;
    expect(refused(s2r('eval', '--env', 'quadruped', '--robot', 'robots/a1.json', '--policy', policy, '--episodes', '1'))).toMatch(why);
    expect(refused(s2r('deploy', '--policy', policy, '--robot', 'robots/a1.json', '--listen', '127.0.0.1:0'))).toMatch(why);
    // without --robot the task's own robot is the one given
    expect(refused(s2r('eval', '--env', 'quadruped', '--policy', policy, '--episodes', '1'))).toMatch(/the policy is for robot anymal_c, not for robot quadruped .*--robot/);
  });

  it('eval --policy and deploy refuse the same robot with its legs in another order, naming the first joint that differs', () => {
    // two legs (a fresh pair each run) swapped in the joint list and the legs
    const seed = freshSeed();
    const a = seed % 3, b = a + 1 + ((seed >> 2) % (3 - a));
    const contract = anymalCopy('swapped', (c) => {
      const legs = c.locomotion.legs;
      [legs[a], legs[b]] = [legs[b]!, legs[a]!];
      c.joints = legs.flatMap((l) => l.joints.map((j) => c.joints.find((x) => x.name === j)!));
    });
    const first = `${['LF', 'LH', 'RF', 'RH'][a]}_HAA`, given = `${['LF', 'LH', 'RF', 'RH'][b]}_HAA`;
    const why = new RegExp(`joint ${3 * a} is ${first} in the policy but ${given} in robot anymal_c \\(.*\\): the joint order differs`);
    expect(refused(s2r('eval', '--env', 'quadruped', '--robot', contract, '--policy', policy, '--episodes', '1')), `seed ${seed}`).toMatch(why);
    expect(refused(s2r('deploy', '--policy', policy, '--robot', contract, '--listen', '127.0.0.1:0')), `seed ${seed}`).toMatch(why);
  });

  it('bad contracts are one line and exit 2: a joint or link the URDF lacks, a leg without a foot, a default pose outside the limits', () => {
    const cases: [(c: Contract) => void, RegExp][] = [
      [(c) => { c.joints[0]!.name = 'LF_HIP'; c.locomotion.legs[0]!.joints[0] = 'LF_HIP'; }, /joints\[0\]\.name: "LF_HIP" is not a joint of the URDF$/],
      [(c) => { c.locomotion.legs[2]!.foot = 'RF_TOE'; }, /locomotion\.legs\[2\]\.foot: "RF_TOE" is not a link of the URDF$/],
      [(c) => { delete c.locomotion.legs[3]!.foot; }, /locomotion\.legs\[3\]\.foot: leg RH has no foot/],
    ];
    for (const [edit, why] of cases) {
      const contract = anymalCopy('bad', edit);
      expect(refused(s2r('train', '--env', 'quadruped', '--robot', contract, '--steps', '1', '--out', path.join(dir, 'never')))).toMatch(why);
      expect(existsSync(path.join(dir, 'never'))).toBe(false);
    }
    // ANYmal C's joints have no position limits: the A1's do
    const a1 = path.join(dir, 'a1');
    spawnSync('mkdir', ['-p', a1]);
    copyFileSync(path.join(root, 'robots/a1.urdf'), path.join(a1, 'a1.urdf'));
    const c = JSON.parse(readFileSync(path.join(root, 'robots/a1.json'), 'utf8')) as Contract;
    const k = 3 * (freshSeed() % 4) + 2, bent = -2.7 - Math.random();
    c.joints[k]!.default_pos = bent;
    writeFileSync(path.join(a1, 'a1.json'), JSON.stringify(c));
    expect(refused(s2r('eval', '--env', 'quadruped', '--robot', path.join(a1, 'a1.json'), '--policy', policy, '--episodes', '1')))
      .toMatch(new RegExp(`joints\\[${k}\\]\\.default_pos: ${bent} is outside the URDF limits \\[-2\\.69653369433, -0\\.916297857297\\] of joint ${c.joints[k]!.name}$`));
  }, 120_000);
});
