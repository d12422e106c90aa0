/**
 * quadruped_rough in the env runner on its generated terrain: the layout (the flat task's
 * observations, then the 17 × 11 height scan), robots spawned on their tile above the ground,
 * the scan observation matching the ray-cast terrain, the terrain level reported per env, and
 * legged_gym's curriculum rule moving levels as stated on scripted episodes.
 */
import { describe, expect, it } from 'vitest';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { NOMINAL } from '../../src/task/randomize.ts';
import { Rng } from '../../src/task/rng.ts';
import { tileCentre } from '../../src/task/terrain.ts';
import { quadruped } from '../../envs/quadruped/quadruped.ts';
import { quadrupedRough } from '../../envs/quadruped/quadruped_rough.ts';
import { ROUGH_CONFIG, RoughGround, SCAN_POINTS } from '../../envs/quadruped/rough_ground.ts';

const SEED = Math.floor(Math.random() * 1e6);

describe('quadruped_rough', async () => {
  const group = await EnvGroup.create({ task: quadrupedRough, numEnvs: 4, firstEnvIndex: 0, seed: SEED, dr: NOMINAL });
  const terrain = group.scene.terrain!;
  const map = terrain.map;
  const base = new Float64Array(13);

  it('gives the actor the flat task\'s signals and the critic those, privileged state and the 187-point height scan', () => {
    expect(quadrupedRough.observations).toEqual(quadruped.observations);
    const critic = quadrupedRough.criticObservations!;
    expect(critic.slice(0, quadruped.observations.length).map((s) => s.name)).toEqual(quadruped.observations.map((s) => s.name));
    for (const s of critic) expect(s.noise ?? 0, s.name).toBe(0);
    expect(critic.slice(quadruped.observations.length, quadruped.observations.length + 3).map((s) => s.name)).toEqual(['friction', 'added_base_mass', 'motor_strength']);
    expect(critic.length).toBe(quadruped.observations.length + 3 + 4 + SCAN_POINTS);
    expect(SCAN_POINTS).toBe(17 * 11);
    expect(quadrupedRough.metrics).toEqual(['terrain_level']);
  });

  it(`spawns each robot above the terrain near its tile's centre; the critic sees the scan under it and the randomization (seed ${SEED})`, () => {
    const D = quadruped.observations.length, C = quadrupedRough.criticObservations!.length;
    const tile = new Float64Array(2), xy = new Float64Array(2 * SCAN_POINTS), z = new Float64Array(SCAN_POINTS);
    for (let i = 0; i < 4; i++) {
      const robot = group.robot(i);
      robot.readBase(base);
      const level = group.buffers.taskMetrics[i]!;
      expect(Number.isInteger(level) && level >= 0 && level <= ROUGH_CONFIG.maxInitLevel).toBe(true);
      tileCentre(map, level, i % map.config.cols, tile);
      const x = robot.origin[0] + base[0]!, y = robot.origin[1] + base[1]!;
      expect(Math.abs(x - tile[0]!)).toBeLessThanOrEqual(ROUGH_CONFIG.spawnSpreadM);
      expect(Math.abs(y - tile[1]!)).toBeLessThanOrEqual(ROUGH_CONFIG.spawnSpreadM);
      // the base starts level (yaw 0): scan point (ix, iy) lies at (x + X[ix], y + Y[iy])
      let k = 0;
      for (const dx of ROUGH_CONFIG.scanX) for (const dy of ROUGH_CONFIG.scanY) { xy[2 * k] = x + dx; xy[2 * k + 1] = y + dy; k++; }
      terrain.heights(xy, z, SCAN_POINTS);
      expect(base[2]! - Math.max(...z.subarray(80, 107))).toBeGreaterThan(0.15);
      for (let n = 0; n < SCAN_POINTS; n++) {
        const want = Math.max(-1, Math.min(1, base[2]! - 0.5 - z[n]!)) * 5;
        expect(group.buffers.criticObs[i * C + D + 7 + n]).toBeCloseTo(want, 4);
      }
      // the actor's part of the critic's row is its observation (no noise at nominal ranges)
      for (let n = 0; n < D; n++) expect(group.buffers.criticObs[i * C + n]).toBe(group.buffers.obs[i * D + n]);
      expect(group.buffers.criticObs[i * C + D]).toBeCloseTo(group.sample(i).friction, 6);
      expect(group.buffers.criticObs[i * C + D + 2]).toBeCloseTo(group.sample(i).motor_strength, 6);
    }
  });

  it('steps through resets with finite observations and a level per env', () => {
    for (let t = 0; t < 30; t++) {
      for (let j = 0; j < group.buffers.actions.length; j++) group.buffers.actions[j] = Math.sin(t + j);
      group.step();
      for (const v of group.buffers.obs) expect(Number.isFinite(v)).toBe(true);
      for (const v of group.buffers.criticObs) expect(Number.isFinite(v)).toBe(true);
    }
    for (const v of group.buffers.taskMetrics) expect(v >= 0 && v < map.config.rows).toBe(true);
  });

  it('moves levels by legged_gym\'s rule: up past half a tile, down under half the commanded distance, random past the top', () => {
    const robot = group.robot(0);
    const ctx = { robot, rng: new Rng(SEED, 99), envIndex: 0, controlDtS: robot.spec.control_dt_s, terrain };
    const episodeS = 20;
    const g = new RoughGround(ctx, episodeS);
    const spawn: [number, number, number] = [0, 0, 0];
    const tile = new Float64Array(2);
    const cmd = new Float64Array(3);
    /** Ends an episode `walkedM` m from the tile centre along x under a command of `speed` m/s; returns the new level. */
    const episode = (walkedM: number, speed: number) => {
      tileCentre(map, g.terrainLevel, 0, tile);
      base[0] = tile[0]! + walkedM - robot.origin[0];
      base[1] = tile[1]! - robot.origin[1];
      cmd[0] = speed;
      g.startEpisode(base, cmd, spawn);
      return g.terrainLevel;
    };
    episode(0, 0); // the first reset starts the curriculum and moves nothing
    let level = g.terrainLevel;
    for (let n = 0; n < 3 && level < map.config.rows - 2; n++) expect(episode(4.5, 1)).toBe(++level); // walked > 4 m: up
    expect(episode(3, 0.2)).toBe(level); // 3 m: not > 4 m, not < 0.2·20·0.5 = 2 m: stays
    expect(episode(1, 0.5)).toBe(level - 1); // 1 m < 0.5·20·0.5 = 5 m: down
    level--;
    expect(episode(0, 0)).toBe(level); // no command, did not move: stays
    while (g.terrainLevel > 0) episode(0, 1);
    expect(episode(0, 1)).toBe(0); // never below 0
    const tops = new Set<number>();
    for (let n = 0; n < 40; n++) {
      while (g.terrainLevel < map.config.rows - 1) episode(5, 0);
      tops.add(episode(5, 0)); // past the top level: a random level
    }
    expect(tops.size).toBeGreaterThan(3);
    for (const l of tops) expect(l >= 0 && l < map.config.rows).toBe(true);
  });
});

describe('quadruped_rough checkpoints', () => {
  it('continues bit for bit from a saved group state: terrain levels, scans and critic rows included', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const group = await EnvGroup.create({ task: quadrupedRough, numEnvs: 3, firstEnvIndex: 0, seed, dr: quadrupedRough.dr });
    const drive = (t0: number) => {
      const rows: number[][] = [];
      for (let t = t0; t < t0 + 12; t++) {
        for (let j = 0; j < group.buffers.actions.length; j++) group.buffers.actions[j] = Math.sin(3 * t + j);
        group.step();
        rows.push([...group.buffers.obs, ...group.buffers.criticObs, ...group.buffers.rewards, ...group.buffers.taskMetrics]);
      }
      return rows;
    };
    try {
      drive(0);
      const state = structuredClone(group.saveState());
      const first = drive(100);
      group.loadState(state);
      expect(drive(100), `seed ${seed}`).toEqual(first);
    } finally {
      group.dispose();
    }
  });
});
