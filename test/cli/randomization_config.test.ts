/**
 * A randomization range outside its parameter's declared limits is refused before training
 * starts: one line naming the key and the limits (with the unit), exit 2, no run directory,
 * also with --no-randomize.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseShifts } from '../../src/cli/shift.ts';
import { DR_PARAMS } from '../../src/task/randomize.ts';

const root = path.resolve(import.meta.dirname, '../..');
const s2r = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

describe('train: randomization ranges are checked against the declarations', () => {
  it('--set and --config ranges outside the limits are one-line usage errors naming key and limits', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-dr-'));
    const out = path.join(dir, 'run');
    const set = s2r('train', '--env', 'cartpole', '--set', 'dr.push_velocity=0,150', '--out', out);
    expect(set.status).toBe(2);
    expect(set.stderr.trim()).toBe('sim2real: dr.push_velocity: [0, 150] is outside the allowed [0, 100] m/s');
    const cfg = path.join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ dr: { latency_steps: [0, 60] } }));
    const file = s2r('train', '--env', 'cartpole', '--config', cfg, '--no-randomize', '--out', out);
    expect(file.status).toBe(2);
    expect(file.stderr).toContain('dr.latency_steps: [0, 60] is outside the allowed [0, 50] steps');
    expect(existsSync(out)).toBe(false);
  });
});

describe('--shift keys', () => {
  it('a malformed pair lists the keys with the declared units of their values', () => {
    expect(() => parseShifts(['latency_steps'])).toThrow(`latency_steps [${DR_PARAMS.latency_steps.unit}]`);
    expect(() => parseShifts(['latency_steps'])).toThrow(`push_velocity [${DR_PARAMS.push_velocity.unit}]`);
    expect(parseShifts(['latency_steps=2', 'mass=1.3'])).toEqual({ latency_steps: 2, mass: 1.3 });
  });
});
