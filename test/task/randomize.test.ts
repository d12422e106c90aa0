import { describe, expect, it } from 'vitest';
import {
  NOMINAL, resolveRandomization, sampleRandomization, parseRange, DR_RANGE_KEYS, DR_KEYS, DR_PARAMS, checkSample, effectiveRanges,
  nominalRanges, sampleLabels, type DrParam,
} from '../../src/task/randomize.ts';
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

  it('reads typed ranges (the CLI types its "lo,hi" strings: test/cli/overrides.test.ts) and rejects bad ones naming the key', () => {
    expect(parseRange('dr.friction', [0.4, 1.2])).toEqual([0.4, 1.2]);
    expect(parseRange('dr.friction', [0.7])).toEqual([0.7, 0.7]);
    expect(parseRange('dr.friction', 0.7)).toEqual([0.7, 0.7]);
    expect(() => parseRange('dr.friction', '0.4,1.2')).toThrow(/dr\.friction: expected a number or a range \[lo, hi\], got "0\.4,1\.2"/);
    expect(() => parseRange('dr.friction', [0.4, NaN])).toThrow(/dr\.friction: expected a number or a range/);
    expect(() => resolveRandomization(NOMINAL, { friction: [-1, 1] })).toThrow(/dr\.friction: \[-1, 1\] is outside/);
    expect(() => resolveRandomization(NOMINAL, { latency_steps: [0, 1.5] })).toThrow(/dr\.latency_steps: must be whole/);
    expect(() => resolveRandomization(NOMINAL, { gravityy: 9 })).toThrow(/dr\.gravityy: unknown randomization key/);
    expect(DR_RANGE_KEYS).toContain('push_velocity');
  });
});

describe('randomization declarations', () => {
  const decl = (k: DrParam) => DR_PARAMS[k] as { limits: readonly [number, number]; nominal: number; integer: boolean; unit: string };

  it('keep the packed sample layout and the seeded draws of before (a saved state and a seed mean what they meant)', () => {
    expect(DR_KEYS).toEqual([
      'mass_scale', 'added_base_mass_kg', 'friction', 'restitution', 'joint_damping', 'motor_strength',
      'latency_steps', 'obs_noise', 'gravity_x', 'gravity_y', 'gravity_z', 'push_interval_s', 'push_velocity',
      // appended later: older draws keep their order (kp_scale, kd_scale are nominal below and draw nothing)
      'kp_scale', 'kd_scale',
    ]);
    const dr = resolveRandomization(NOMINAL, {
      mass_scale: [0.8, 1.2], added_base_mass_kg: [-1, 1], friction: [0.5, 1.25], restitution: [0, 0.4],
      joint_damping: [0, 0.2], motor_strength: [0.9, 1.1], latency_steps: [0, 3], obs_noise: [0.5, 1.5],
      gravity: [9.6, 10], gravity_tilt_deg: [0, 5], push_interval_s: [4, 8], push_velocity: [0, 1],
    });
    const rng = new Rng(20240611, 3);
    // drawn by the implementation before the declaration table (commit 96ecf8d): exact
    expect([sampleRandomization(dr, rng), sampleRandomization(dr, rng)]).toEqual([
      { mass_scale: 1.126192586037418, added_base_mass_kg: 0.5468695200545872, friction: 0.8086060303141245, restitution: 0.3589734562907211, joint_damping: 0.06393247309910415, motor_strength: 1.0938530745187038, latency_steps: 2, obs_noise: 1.2810072510512565, gravity_x: 0.04240890184733786, gravity_y: 0.12750501574597384, gravity_z: -9.859880502711329, push_interval_s: 6.329975719158709, push_velocity: 0.6383352127594611, kp_scale: 1, kd_scale: 1 },
      { mass_scale: 1.1606137980505407, added_base_mass_kg: 0.3089522981874966, friction: 0.9009248935173897, restitution: 0.24068232512878485, joint_damping: 0.12682308383137167, motor_strength: 1.0071390624008671, latency_steps: 3, obs_noise: 0.9933623906680037, gravity_x: 0.32286498614986825, gravity_y: -0.3933612426447833, gravity_z: -9.670279742525175, push_interval_s: 7.012130179532392, push_velocity: 0.4944195167271651, kp_scale: 1, kd_scale: 1 },
    ]);
    expect(rng.getState()).toEqual({ s: [-1748264530, 765856547, -1861050470, 218394842], spare: null });
  });

  it('give the nominal ranges and the sample labels', () => {
    for (const k of DR_RANGE_KEYS) expect(NOMINAL[k]).toEqual([decl(k).nominal, decl(k).nominal]);
    expect(nominalRanges()).toEqual(NOMINAL);
    expect(nominalRanges().friction).not.toBe(NOMINAL.friction); // a fresh copy
    const labels = sampleLabels();
    expect(labels.map((l) => l.name)).toEqual([...DR_KEYS]);
    expect(labels.find((l) => l.name === 'latency_steps')).toMatchObject({ unit: 'steps', drawnFrom: 'latency_steps' });
    expect(labels.find((l) => l.name === 'gravity_z')).toMatchObject({ unit: 'm/s²', drawnFrom: null });
  });

  it('config errors name the key and its declared limits, for every parameter', () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const rng = new Rng(seed);
    for (const k of DR_RANGE_KEYS) {
      const [min, max] = decl(k).limits;
      const unit = decl(k).unit ? ` ${decl(k).unit}` : '';
      const over = max + (decl(k).integer ? 1 : rng.uniform(1e-6, 1) * Math.max(1, max));
      const msg = `dr.${k}: [${min}, ${over}] is outside the allowed [${min}, ${max}]${unit}`;
      expect(() => resolveRandomization(NOMINAL, { [k]: [min, over] }), `seed ${seed}`).toThrow(msg);
      expect(() => resolveRandomization(NOMINAL, { [k]: [min, max] })).not.toThrow();
    }
    expect(() => resolveRandomization(NOMINAL, { toString: 1 })).toThrow(/dr\.toString: unknown randomization key/);
  });

  it('effectiveRanges: --no-randomize gives every nominal value, and a bad override is an error either way', () => {
    const base = resolveRandomization(NOMINAL, { friction: [0.5, 1.5], mass_scale: [0.9, 1.1] });
    expect(effectiveRanges(base, { randomize: true, overrides: { friction: [0.4, 1.2] } })).toEqual({ ...base, friction: [0.4, 1.2] });
    expect(effectiveRanges(base, { randomize: false, overrides: { friction: [0.4, 1.2] } })).toEqual(NOMINAL);
    for (const randomize of [true, false]) {
      expect(() => effectiveRanges(base, { randomize, overrides: { friction: [0, 11] } })).toThrow('dr.friction: [0, 11] is outside the allowed [0, 10]');
    }
  });

  it('a sample the simulator is handed is checked against the declarations, naming the key', () => {
    const good = sampleRandomization(NOMINAL, new Rng(1));
    expect(() => checkSample(good)).not.toThrow();
    expect(() => checkSample({ ...good, friction: -0.5 })).toThrow('randomization sample: friction = -0.5: outside the allowed [0, 10]');
    expect(() => checkSample({ ...good, mass_scale: 0 })).toThrow(/mass_scale = 0/);
    expect(() => checkSample({ ...good, latency_steps: 1.5 })).toThrow('randomization sample: latency_steps = 1.5: must be a whole number');
    expect(() => checkSample({ ...good, gravity_y: NaN })).toThrow('randomization sample: gravity_y = NaN: must be finite');
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
