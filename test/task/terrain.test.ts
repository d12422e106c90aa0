/**
 * The terrain generator: every tile's samples follow its kind's formula at the tile's
 * difficulty (exactly for slopes, stairs and stepping stones; within the noise amplitude for
 * rough slopes; one of the obstacle heights for discrete obstacles), the border is flat, and the
 * same seed gives the same terrain.
 */
import { describe, expect, it } from 'vitest';
import {
  generateTerrain, pyramidSlopeHeight, pyramidStairsHeight, steppingStoneHeight, tileParams, TERRAIN_KINDS, TILE_PARAMS,
  type TerrainConfig, type TerrainMap,
} from '../../src/task/terrain.ts';

const P = TILE_PARAMS;
/** One column per kind, two difficulty levels, a 1 m border. */
const CONFIG: TerrainConfig = {
  kind: 'rough', rows: 3, cols: 6, borderM: 1,
  proportions: Object.fromEntries(TERRAIN_KINDS.map((k) => [k, 1])),
};

/** Height at sample (a, b) and its tile-local position. */
function at(map: TerrainMap, a: number, b: number) {
  const h = map.config.horizontalScaleM, L = map.config.tileSizeM, n = Math.round(L / h), border = Math.round(-map.x0M / h);
  const i = Math.floor((a - border) / n), j = Math.floor((b - border) / n);
  return { z: map.heights[a * map.ny + b]!, i, j, u: (a - border - i * n) * h, v: (b - border - j * n) * h, L };
}

describe('terrain generation', () => {
  const map = generateTerrain(CONFIG, Math.floor(Math.random() * 1e6));

  it('lays out one column per kind and rows of rising difficulty', () => {
    expect(map.kinds).toEqual([...TERRAIN_KINDS]);
    expect(Array.from(map.difficulties)).toEqual([0, 1 / 3, 2 / 3]);
  });

  it('samples follow each kind\'s formula at random points', () => {
    const checked = new Set<string>();
    for (let k = 0; k < 4000; k++) {
      const a = Math.floor(Math.random() * map.nx), b = Math.floor(Math.random() * map.ny);
      const { z, i, j, u, v, L } = at(map, a, b);
      if (i < 0 || j < 0 || i >= 3 || j >= 6) { expect(z).toBe(0); continue; }
      const kind = map.kinds[j]!, d = map.difficulties[i]!, p = tileParams(kind, d);
      checked.add(kind);
      const f32 = (x: number) => Math.fround(x);
      switch (kind) {
        case 'smooth_slope':
          expect([f32(pyramidSlopeHeight(u, v, L, p.slope, P.platformM)), f32(pyramidSlopeHeight(u, v, L, -p.slope, P.platformM))]).toContain(z);
          break;
        case 'rough_slope':
          expect(Math.abs(z - pyramidSlopeHeight(u, v, L, p.slope, P.platformM))).toBeLessThanOrEqual(P.roughAmplitudeM + 1e-6);
          break;
        case 'stairs_up':
        case 'stairs_down':
          expect(z).toBe(f32(pyramidStairsHeight(u, v, L, p.stepM, P.stepTreadM, P.platformM)));
          if (kind === 'stairs_up') expect(z).toBeLessThanOrEqual(0); else expect(z).toBeGreaterThanOrEqual(0);
          break;
        case 'discrete_obstacles':
          expect([0, p.obstacleM, -p.obstacleM, p.obstacleM / 2, -p.obstacleM / 2].map(f32)).toContain(z);
          break;
        case 'stepping_stones':
          expect(z).toBe(f32(steppingStoneHeight(u, v, L, p.stoneSideM, p.stoneGapM, P.stonePitDepthM, P.stonePlatformM)));
          break;
      }
    }
    expect(checked.size).toBe(TERRAIN_KINDS.length);
  });

  it('the hardest stairs rise 0.05 + 0.18 d per 0.31 m tread', () => {
    // stairs_down column 3, top row: the second ring from the edge is one step up
    const h = map.config.horizontalScaleM, d = map.difficulties[2]!;
    const a = Math.round((2 * 8 + 4 - map.x0M) / h), b = Math.round((3 * 8 + 0.4 - map.y0M) / h);
    expect(map.heights[a * map.ny + b]).toBeCloseTo(0.05 + 0.18 * d, 6);
  });

  it('is the same for the same seed and differs for another', () => {
    const again = generateTerrain(CONFIG, 7), same = generateTerrain(CONFIG, 7), other = generateTerrain(CONFIG, 8);
    expect(same.heights).toEqual(again.heights);
    expect(other.heights).not.toEqual(again.heights);
  });

  it('rejects unknown keys and bad values by name', () => {
    expect(() => generateTerrain({ ...CONFIG, rowz: 2 } as TerrainConfig, 1)).toThrow(/terrain\.rowz/);
    expect(() => generateTerrain({ ...CONFIG, tileSizeM: 8.05 }, 1)).toThrow(/terrain\.tileSizeM/);
    expect(() => generateTerrain({ ...CONFIG, difficulty: [0.5, 0.2] }, 1)).toThrow(/terrain\.difficulty/);
  });
});
