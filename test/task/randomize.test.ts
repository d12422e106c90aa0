import { describe, expect, it } from 'vitest';
import { NOMINAL, resolveRandomization, sampleRandomization, parseRange, DR_RANGE_KEYS } from '../../src/task/randomize.ts';
import { Rng } from '../../src/task/rng.ts';

describe('domain randomization', () => {
  it('samples every key inside its range, and the same seed gives the same samples', () => {
    const dr = resolveRandomization(NOMINAL, {
      mass_scale: [0.8, 1.2], added_base_mass_kg: [-1, 1], friction: [0.5, 1.25], restitution: [0, 0.4],
      joint_damping: [0, 0.2], motor_strength: [0.9, 1.1], latency_steps: [0, 3], obs_noise: [0.5, 1.5],
      gravity: [9.6, 10], gravity_tilt_deg: [0, 5], push_interval_s: [4, 8], push_velocity: [0, 1],
    });
    const seed = Math.floor(Math.random() * 2 ** 31);
    const a = new Rng(seed, 5);
    const b = new Rng(seed, 5);
    for (let k = 0; k < 500; k++) {
      const s = sampleRandomization(dr, a);
      expect(sampleRandomization(dr, b)).toEqual(s);
      for (const key of ['mass_scale', 'added_base_mass_kg', 'friction', 'restitution', 'joint_damping', 'motor_strength', 'obs_noise', 'push_interval_s', 'push_velocity'] as const) {
        expect(s[key]).toBeGreaterThanOrEqual(dr[key][0]);
        expect(s[key]).toBeLessThanOrEqual(dr[key][1]);
      }
      expect(Number.isInteger(s.latency_steps) && s.latency_steps >= 0 && s.latency_steps <= 3).toBe(true);
      const g = Math.hypot(s.gravity_x, s.gravity_y, s.gravity_z);
      expect(g).toBeGreaterThanOrEqual(9.6 - 1e-9);
      expect(g).toBeLessThanOrEqual(10 + 1e-9);
      const tiltDeg = (Math.acos(-s.gravity_z / g) * 180) / Math.PI;
      expect(tiltDeg).toBeLessThanOrEqual(5 + 1e-9);
    }
  });

  it('nominal ranges give the nominal robot and consume no random numbers', () => {
    const rng = new Rng(1);
    const before = rng.getState();
    const s = sampleRandomization(NOMINAL, rng);
    expect(rng.getState()).toEqual(before);
    expect(s).toMatchObject({ mass_scale: 1, friction: 1, motor_strength: 1, latency_steps: 0, obs_noise: 0, gravity_x: 0, gravity_y: 0 });
    expect(s.gravity_z).toBeCloseTo(-9.81, 12);
  });

  it('reads CLI-style ranges and rejects bad ones naming the key', () => {
    expect(parseRange('dr.friction', '0.4,1.2')).toEqual([0.4, 1.2]);
    expect(parseRange('dr.friction', '0.7')).toEqual([0.7, 0.7]);
    expect(() => parseRange('dr.friction', '0.4,abc')).toThrow(/dr\.friction: expected a number or a range/);
    expect(() => resolveRandomization(NOMINAL, { friction: [-1, 1] })).toThrow(/dr\.friction: \[-1, 1\] is outside/);
    expect(() => resolveRandomization(NOMINAL, { latency_steps: [0, 1.5] })).toThrow(/dr\.latency_steps: must be whole/);
    expect(() => resolveRandomization(NOMINAL, { gravityy: 9 })).toThrow(/dr\.gravityy: unknown randomization key/);
    expect(DR_RANGE_KEYS).toContain('push_velocity');
  });
});

describe('Rng', () => {
  it('restores its state exactly and draws uniform and normal numbers with the right moments', () => {
    const r = new Rng(Math.floor(Math.random() * 1e9));
    r.normal(); // leaves a spare normal in the state
    const saved = r.getState();
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const r2 = new Rng(0);
    r2.setState(saved);
    expect(Array.from({ length: 20000 }, () => r2.normal())).toEqual(xs);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03); // ~4 standard errors
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const us = Array.from({ length: 20000 }, () => r.next());
    expect(Math.min(...us)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...us)).toBeLessThan(1);
    expect(Math.abs(us.reduce((a, b) => a + b, 0) / us.length - 0.5)).toBeLessThan(0.01);
  });

  it('gives different streams for different seeds and env indices', () => {
    const a = new Rng(42, 0).nextU32();
    expect(new Rng(42, 1).nextU32()).not.toBe(a);
    expect(new Rng(43, 0).nextU32()).not.toBe(a);
    expect(new Rng(42, 0).nextU32()).toBe(a);
  });
});
