/**
 * `sim2real envs` shows each task's randomization as declared: `--json` carries every
 * parameter's unit, description, limits, nominal value and integer flag from the declarations
 * next to the task's range, and the text lists the randomized ones with their units.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DR_PARAMS, DR_RANGE_KEYS } from '../../src/task/randomize.ts';
import { listTasks } from '../../envs/index.ts';

const root = path.resolve(import.meta.dirname, '../..');
const s2r = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

interface DrParamRow { name: string; unit: string; description: string; range: number[]; limits: number[]; nominal: number; integer: boolean }

describe('sim2real envs', () => {
  it('--json: dr_params carry each parameter as declared, with the task\'s range (dr kept as it was)', () => {
    const r = s2r('envs', '--json');
    expect(r.status, r.stderr).toBe(0);
    const envs = JSON.parse(r.stdout) as { name: string; dr: Record<string, number[]>; dr_params: DrParamRow[] }[];
    const tasks = new Map(listTasks().map((t) => [t.name, t]));
    expect(envs.length).toBe(tasks.size);
    for (const e of envs) {
      const task = tasks.get(e.name)!;
      expect(e.dr).toEqual(task.dr);
      expect(e.dr_params.map((p) => p.name)).toEqual([...DR_RANGE_KEYS]);
      for (const p of e.dr_params) {
        const d = DR_PARAMS[p.name as keyof typeof DR_PARAMS];
        expect(p, `${e.name} ${p.name}`).toEqual({
          name: p.name, unit: d.unit, description: d.description, range: task.dr[p.name as keyof typeof DR_PARAMS],
          limits: [...d.limits], nominal: d.nominal, integer: d.integer,
        });
      }
    }
    const quad = envs.find((e) => e.name === 'quadruped')!;
    expect(quad.dr_params.find((p) => p.name === 'latency_steps')).toMatchObject({ unit: 'steps', integer: true, limits: [0, 50], nominal: 0 });
  });

  it('lists the randomized parameters with their units', () => {
    const r = s2r('envs');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/randomization: .*latency_steps 0\.\.1 steps/);
    expect(r.stdout).toMatch(/randomization: .*added_base_mass_kg -1\.\.1 kg/);
  });
});
