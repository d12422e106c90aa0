/**
 * A generated terrain in Rapier: ray casts down onto the heightfield give the generator's
 * heights at its sample points within 1 mm, off-grid points lie between the neighbouring
 * samples, and a ball dropped on the terrain comes to rest on its surface.
 */
import { describe, expect, it } from 'vitest';
import { loadRapier } from '../../src/sim/rapier.ts';
import { createWorld } from '../../src/sim/build/build.ts';
import { createTerrain, RayTerrainQuery } from '../../src/sim/build/terrain.ts';
import { generateTerrain, TERRAIN_KINDS } from '../../src/task/terrain.ts';

describe('terrain heightfield', async () => {
  const R = await loadRapier();
  const map = generateTerrain({ kind: 'rough', rows: 3, cols: 6, borderM: 1, proportions: Object.fromEntries(TERRAIN_KINDS.map((k) => [k, 1])) }, Math.floor(Math.random() * 1e6));
  const world = createWorld(R, { dtS: 0.005 });
  const query = new RayTerrainQuery(R, map, () => world, createTerrain(R, world, map));
  const h = map.config.horizontalScaleM;

  it('ray casts hit the sample heights within 1 mm', () => {
    const n = 2000, xy = new Float64Array(2 * n), out = new Float64Array(n), want = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const a = Math.floor(Math.random() * map.nx), b = Math.floor(Math.random() * map.ny);
      xy[2 * k] = map.x0M + a * h;
      xy[2 * k + 1] = map.y0M + b * h;
      want[k] = map.heights[a * map.ny + b]!;
    }
    query.heights(xy, out, n);
    for (let k = 0; k < n; k++) expect(Math.abs(out[k]! - want[k]!), `sample at (${xy[2 * k]}, ${xy[2 * k + 1]})`).toBeLessThan(1e-3);
  });

  it('between samples the surface lies within its cell\'s corner heights', () => {
    const n = 500, xy = new Float64Array(2 * n), out = new Float64Array(n);
    const corners: number[][] = [];
    for (let k = 0; k < n; k++) {
      const a = Math.floor(Math.random() * (map.nx - 1)), b = Math.floor(Math.random() * (map.ny - 1));
      xy[2 * k] = map.x0M + (a + 0.1 + 0.8 * Math.random()) * h;
      xy[2 * k + 1] = map.y0M + (b + 0.1 + 0.8 * Math.random()) * h;
      corners.push([map.heights[a * map.ny + b]!, map.heights[(a + 1) * map.ny + b]!, map.heights[a * map.ny + b + 1]!, map.heights[(a + 1) * map.ny + b + 1]!]);
    }
    query.heights(xy, out, n);
    for (let k = 0; k < n; k++) {
      expect(out[k]!).toBeGreaterThanOrEqual(Math.min(...corners[k]!) - 1e-3);
      expect(out[k]!).toBeLessThanOrEqual(Math.max(...corners[k]!) + 1e-3);
    }
  });

  it('a ball dropped on the terrain rests on its surface', () => {
    const x = 8 * 0.5 + 0.3, y = 8 * 2.5 + 0.2;
    const ground = new Float64Array(1);
    query.heights(Float64Array.of(x, y), ground, 1);
    const body = world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(x, y, ground[0]! + 0.5));
    world.createCollider(R.ColliderDesc.ball(0.05).setCollisionGroups((0x0002 << 16) | 0x0001), body);
    for (let s = 0; s < 400; s++) world.step();
    const p = body.translation();
    query.heights(Float64Array.of(p.x, p.y), ground, 1);
    expect(p.z - ground[0]!).toBeGreaterThan(0.02);
    expect(p.z - ground[0]!).toBeLessThan(0.08);
  });
});
