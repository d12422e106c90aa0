/**
 * The ONNX path from the command line on a tiny real run: `train` leaves policy.onnx, `export`
 * writes either mode, `eval --policy` gives the JSON `eval --run` gives (the sim-to-sim check),
 * `--shift` changes the dynamics, and a policy that does not fit the env exits 2 naming why.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';

const root = path.resolve(import.meta.dirname, '../..');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1) ?? '');
const small = ['--set', 'ppo.num_steps=32', '--set', 'ppo.minibatch_size=64', '--set', 'ppo.num_epochs=2', '--envs', '4'];

describe('sim2real export / eval --policy', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 's2r-onnx-'));
  const run = path.join(dir, 'run');

  beforeAll(() => {
    const t = s2r('train', '--env', 'cartpole', '--steps', '256', '--seed', '5', '--out', run, '--json', ...small);
    expect(t.code, t.stderr).toBe(0);
    expect(lastJson(t.stdout)).toMatchObject({ run, policy: path.join(run, 'policy.onnx') });
  }, 120_000);

  it('train writes policy.onnx (raw actions) atomically into the run directory', async () => {
    expect(readdirSync(run).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const p = await OnnxPolicy.load(path.join(run, 'policy.onnx'));
    try {
      expect(p.contract).toMatchObject({ task: 'cartpole', robot: 'cartpole', obsDim: 4, actDim: 1, postprocess: false, trainingIterations: 2, trainingEnvSteps: 256 });
      expect(p.contract.configHash).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      await p.dispose();
    }
  });

  it('export --postprocess, then eval --policy returns what eval --run returns, in the same JSON shape', () => {
    const out = path.join(dir, 'cp_post.onnx');
    const x = s2r('export', '--run', run, '--out', out, '--postprocess', '--json');
    expect(x.code, x.stderr).toBe(0);
    expect(lastJson(x.stdout)).toMatchObject({ out, task: 'cartpole', obs_dim: 4, act_dim: 1, postprocess: true });
    expect(existsSync(out)).toBe(true);
    const args = ['--env', 'cartpole', '--episodes', '4', '--seed', '3', '--json'];
    const ts = lastJson(s2r('eval', '--run', run, ...args).stdout);
    for (const file of [path.join(run, 'policy.onnx'), out]) {
      const e = s2r('eval', '--policy', file, ...args);
      expect(e.code, e.stderr).toBe(0);
      const j = lastJson(e.stdout);
      const { run: _r, checkpoint: _c, ...common } = ts;
      expect(Object.keys(j).sort()).toEqual([...Object.keys(common), 'policy'].sort());
      expect(j).toMatchObject({ env: 'cartpole', policy: file, episodes: 4, seed: 3, dr: ts.dr });
      // float32 rounding differs between onnxruntime and the TS actor; episodes end at the same step here
      expect(j.lengths).toEqual(ts.lengths);
      expect(j.mean_return).toBeCloseTo(ts.mean_return, 3);
    }
  });

  it('--shift fixes dynamics outside the training ranges and reports them; a bad key exits 2 listing the valid ones', () => {
    const base = ['eval', '--env', 'cartpole', '--policy', path.join(run, 'policy.onnx'), '--episodes', '3', '--json'];
    const e = s2r(...base, '--shift', 'friction=0.3', '--shift', 'mass=1.3', '--shift', 'gravity=25');
    expect(e.code, e.stderr).toBe(0);
    const j = lastJson(e.stdout);
    expect(j.shift).toEqual({ friction: 0.3, mass_scale: 1.3, gravity: 25 });
    expect(j.dr).toMatchObject({ friction: [0.3, 0.3], mass_scale: [1.3, 1.3], gravity: [25, 25] });
    expect(e.stderr).toMatch(/shifted friction=0\.3, mass_scale=1\.3, gravity=25/);
    const nominal = lastJson(s2r(...base).stdout);
    expect(j.lengths).not.toEqual(nominal.lengths); // 2.5× gravity topples the barely trained pole sooner
    const bad = s2r(...base, '--shift', 'mass_kg=2');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/shift mass_kg: unknown key \(valid: mass, mass_scale, .*friction/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const malformed = s2r(...base, '--shift', 'friction');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--shift friction: expected key=value/);
  });

  it('a policy that does not fit the env, or bad arguments, exit 2 with one line naming the problem', () => {
    const wrong = s2r('eval', '--env', 'reacher', '--policy', path.join(run, 'policy.onnx'), '--episodes', '1');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toBe('sim2real: policy was trained for task cartpole (obs_dim 4, act_dim 1) but env reacher has obs_dim 10, act_dim 2');
    const both = s2r('eval', '--env', 'cartpole', '--policy', path.join(run, 'policy.onnx'), '--run', run);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    const missing = s2r('eval', '--env', 'cartpole', '--policy', path.join(dir, 'nope.onnx'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.onnx: file not found/);
    const noRun = s2r('export', '--run', path.join(dir, 'nothing'), '--out', path.join(dir, 'x.onnx'));
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/no config\.json/);
    expect(existsSync(path.join(dir, 'x.onnx'))).toBe(false);
  });
});
