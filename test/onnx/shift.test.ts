/** `--shift`: evaluation dynamics fixed at chosen values, also outside the ranges trained under. */
import { describe, expect, it } from 'vitest';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { shiftRandomization, SHIFT_KEYS } from '../../src/task/shift.ts';
import { DR_RANGE_KEYS } from '../../src/task/randomize.ts';
import { getTask } from '../../envs/index.ts';

describe('shiftRandomization', () => {
  it('fixes the shifted parameters in every env sample (mass is the mass multiplier), keeps the other ranges', async () => {
    const task = getTask('cartpole');
    const { dr, shift } = shiftRandomization(task.dr, { friction: 0.3, mass: 1.3, gravity: 12 });
    expect(shift).toEqual({ friction: 0.3, mass_scale: 1.3, gravity: 12 });
    expect(dr).toMatchObject({ friction: [0.3, 0.3], mass_scale: [1.3, 1.3], gravity: [12, 12], motor_strength: task.dr.motor_strength });
    const group = await EnvGroup.create({ task, numEnvs: 6, firstEnvIndex: 0, seed: Math.floor(Math.random() * 1e6), dr });
    try {
      for (let round = 0; round < 2; round++) {
        const strengths = new Set<number>();
        for (let i = 0; i < group.numEnvs; i++) {
          const s = group.sample(i);
          expect(s).toMatchObject({ friction: 0.3, mass_scale: 1.3, gravity_z: -12 });
          strengths.add(s.motor_strength);
          expect(s.motor_strength).toBeGreaterThanOrEqual(task.dr.motor_strength[0]);
          expect(s.motor_strength).toBeLessThanOrEqual(task.dr.motor_strength[1]);
        }
        expect(strengths.size).toBeGreaterThan(1); // unshifted keys still randomized
        group.resetAll(); // a fresh sample per reset keeps the shift
      }
    } finally {
      group.dispose();
    }
  });

  it('an unknown key is an error listing the valid ones; out-of-bounds values are refused by key', () => {
    const base = getTask('reacher').dr;
    expect(SHIFT_KEYS).toEqual(['mass', ...DR_RANGE_KEYS]);
    expect(() => shiftRandomization(base, { frictoin: 0.3 })).toThrow(`shift frictoin: unknown key (valid: ${SHIFT_KEYS.join(', ')})`);
    expect(() => shiftRandomization(base, { mass: 0 })).toThrow('shift mass=0: [0, 0] is outside the allowed [0.05, 20]');
    expect(() => shiftRandomization(base, { latency_steps: 1.5 })).toThrow('shift latency_steps=1.5: must be whole numbers');
    expect(shiftRandomization(base, {}).dr).toEqual(base);
  });
});
