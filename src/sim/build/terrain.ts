/**
 * A generated terrain (`src/task/terrain.ts`) in a Rapier world: fixed heightfield colliders,
 * a few per tile, and a flat border, with the ground's friction and collision groups; and the
 * height queries tasks use (one ray cast straight down per point, against the piece under it).
 *
 * Rapier's heightfield lies in its local x–z plane with heights along local y, centred on its
 * origin, its matrix column-major with rows along local z. Rotating it +90° about x maps local
 * y to world z and local z to world −y, so matrix row r is the piece's y sample m − r.
 */
import type { Collider, Rapier, World } from '../rapier.ts';

/** Rapier's WASM-side vector and collider set (what `Collider.castRay` wraps, minus its per-call allocations). */
type RawVector = ReturnType<Rapier['VectorOps']['intoRaw']>;
type RawColliderSet = World['colliders']['raw'];
import { sampleHeight, type TerrainMap, type TerrainQuery } from '../../task/terrain.ts';
import { GROUND_GROUPS } from './build.ts';

/** Friction, restitution and collision groups of the ground, on a terrain collider description. */
function groundLike(R: Rapier, desc: InstanceType<Rapier['ColliderDesc']>): InstanceType<Rapier['ColliderDesc']> {
  return desc.setFriction(1).setRestitution(0)
    .setFrictionCombineRule(R.CoefficientCombineRule.Average)
    .setRestitutionCombineRule(R.CoefficientCombineRule.Average)
    .setCollisionGroups(GROUND_GROUPS);
}

/** The terrain's heightfield pieces: a square grid of `chunkM`-wide pieces over the tiles, row-major. */
export interface TerrainColliders {
  readonly handles: readonly number[];
  readonly chunkM: number;
  /** Pieces along x and along y. */
  readonly nx: number;
  readonly ny: number;
}

/** Pieces per tile side (when the tile's samples divide evenly; else whole tiles). */
export const CHUNKS_PER_TILE = 4;

/**
 * Adds `map` to `world` as fixed colliders: heightfield pieces of a quarter tile (neighbours
 * share their edge samples, so the surface is the one grid) and flat boxes with their top at
 * z = 0 for the border. Small pieces keep each bounding box tight, so the broad phase pairs a
 * robot's links only with the ground just under them.
 */
export function createTerrain(R: Rapier, world: World, map: TerrainMap, chunksPerTile = CHUNKS_PER_TILE): TerrainColliders {
  const c = map.config, h = c.horizontalScaleM, n = Math.round(c.tileSizeM / h), border = Math.round(-map.x0M / h);
  const k = n % chunksPerTile === 0 ? chunksPerTile : 1, m = n / k, Lc = m * h, s = Math.SQRT1_2;
  const nx = c.rows * k, ny = c.cols * k;
  const handles: number[] = [];
  const heights = new Float32Array((m + 1) * (m + 1));
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      // column-major ((m+1) rows × (m+1) columns): column a is x sample a, row r is y sample m − r
      for (let a = 0; a <= m; a++) {
        const row = (border + i * m + a) * map.ny + border + j * m;
        for (let b = 0; b <= m; b++) heights[a * (m + 1) + (m - b)] = map.heights[row + b]!;
      }
      const desc = R.ColliderDesc.heightfield(m, m, heights, { x: Lc, y: 1, z: Lc })
        .setTranslation((i + 0.5) * Lc, (j + 0.5) * Lc, 0)
        .setRotation({ x: s, y: 0, z: 0, w: s });
      handles.push(world.createCollider(groundLike(R, desc)).handle);
    }
  }
  // the border: four flat boxes around the grid, 1 m thick, top at z = 0
  const X = c.rows * c.tileSizeM, Y = c.cols * c.tileSizeM, b = c.borderM;
  if (b > 0) {
    for (const [x0, x1, y0, y1] of [[-b, 0, -b, Y + b], [X, X + b, -b, Y + b], [0, X, -b, 0], [0, X, Y, Y + b]] as const) {
      const desc = R.ColliderDesc.cuboid((x1 - x0) / 2, (y1 - y0) / 2, 0.5).setTranslation((x0 + x1) / 2, (y0 + y1) / 2, -0.5);
      world.createCollider(groundLike(R, desc));
    }
  }
  return { handles, chunkM: Lc, nx, ny };
}

/** Offset of every ray from its point (m): above float32 resolution at 100 m, and under 0.3 mm of height even on a 10:1 pit wall. */
const EDGE_NUDGE_M = 2e-5;

/**
 * Terrain heights by ray casts against the terrain collider of the world `world()` returns
 * (looked up by handle on each call, so it follows a world restored from a snapshot).
 */
export class RayTerrainQuery implements TerrainQuery {
  /** The ray's origin and direction as Rapier's own WASM vectors, reused for every cast (no allocation per ray). */
  private readonly origin: RawVector;
  private readonly dir: RawVector;
  private readonly topM: number;
  private readonly depthM: number;
  private readonly handles: readonly number[];
  private readonly chunkM: number;
  private readonly rows: number;
  private readonly cols: number;

  /** `pieces`: the terrain's heightfield colliders (`createTerrain`). */
  constructor(R: Rapier, readonly map: TerrainMap, private readonly world: () => World, pieces: TerrainColliders) {
    this.topM = map.maxHeightM + 1;
    this.depthM = map.maxHeightM - map.minHeightM + 2;
    this.handles = pieces.handles;
    this.chunkM = pieces.chunkM;
    this.rows = pieces.nx;
    this.cols = pieces.ny;
    this.origin = R.VectorOps.intoRaw({ x: 0, y: 0, z: this.topM });
    this.dir = R.VectorOps.intoRaw({ x: 0, y: 0, z: -1 });
  }

  heights(xy: Float64Array, out: Float64Array, count: number): void {
    // the collider set of the scene's current world (a restore replaces it)
    const set = this.world().colliders.raw;
    for (let k = 0; k < count; k++) out[k] = this.castAt(set, xy[2 * k]!, xy[2 * k + 1]!);
  }

  /**
   * One vertical ray at (x, y) onto the heightfield piece under it (the border is flat at 0). Rapier's
   * heightfield lets a vertical ray through exactly on a cell edge, and now and then one just
   * beside it: the ray goes a hair's breadth off the point, to each diagonal in turn until one
   * hits; the grid's nearest sample answers if none does.
   */
  private castAt(set: RawColliderSet, x: number, y: number): number {
    const o = this.origin, top = this.topM, L = this.chunkM;
    for (let n = 0; n < 4; n++) {
      const ox = x + (n & 1 ? -EDGE_NUDGE_M : EDGE_NUDGE_M), oy = y + (n & 2 ? -EDGE_NUDGE_M : EDGE_NUDGE_M);
      const i = Math.floor(ox / L), j = Math.floor(oy / L);
      if (i < 0 || j < 0 || i >= this.rows || j >= this.cols) return 0;
      o.x = ox;
      o.y = oy;
      const toi = set.coCastRay(this.handles[i * this.cols + j]!, o, this.dir, this.depthM, true);
      if (toi >= 0) return top - toi;
    }
    return sampleHeight(this.map, x, y);
  }
}
