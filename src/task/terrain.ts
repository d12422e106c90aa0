/**
 * Generated terrain, engine-free (legged_gym `utils/terrain.py` in our idiom): a grid of square
 * tiles — rows are difficulty levels, columns terrain kinds in configurable proportions — inside
 * a flat border, sampled on a regular height grid. `src/sim/` turns the samples into a physics
 * heightfield; tasks read tile origins (where a robot of a level and kind starts) and ask the
 * scene for heights under points (`TerrainQuery`). Every worker generates the same terrain from
 * the same seed.
 */
import { Rng } from './rng.ts';

/** legged_gym's terrain kinds, in column order of their proportions. */
export const TERRAIN_KINDS = ['smooth_slope', 'rough_slope', 'stairs_up', 'stairs_down', 'discrete_obstacles', 'stepping_stones'] as const;
export type TerrainKind = (typeof TERRAIN_KINDS)[number];

/** A task's terrain: `flat` (the default, a plane at z = 0) or a generated `rough` grid. */
export interface TerrainConfig {
  kind: 'flat' | 'rough';
  /** Side of one square tile (m); legged_gym 8. */
  tileSizeM?: number;
  /** Difficulty levels (rows) and kind columns; legged_gym 10 × 20. */
  rows?: number;
  cols?: number;
  /** Share of the columns each kind gets (normalized); legged_gym's rough defaults. */
  proportions?: Partial<Record<TerrainKind, number>>;
  /** Height-sample spacing (m); legged_gym 0.1. */
  horizontalScaleM?: number;
  /** Flat border around the grid (m). */
  borderM?: number;
  /** Difficulty of the first and of the last row's next level: row i has lo + (hi − lo) · i / rows. */
  difficulty?: readonly [number, number];
}

/** A terrain config with every option filled in. */
export type ResolvedTerrainConfig = Required<Omit<TerrainConfig, 'proportions' | 'difficulty'>> & {
  proportions: Record<TerrainKind, number>;
  difficulty: readonly [number, number];
};

/** Defaults: legged_gym's tile size and sample spacing and its rough proportions, on a 10 × 10 grid. */
export const TERRAIN_DEFAULTS: ResolvedTerrainConfig = {
  kind: 'flat', tileSizeM: 8, rows: 10, cols: 10, horizontalScaleM: 0.1, borderM: 5, difficulty: [0, 1],
  proportions: { smooth_slope: 0.1, rough_slope: 0.1, stairs_up: 0.35, stairs_down: 0.25, discrete_obstacles: 0.2, stepping_stones: 0 },
};

/** Constants of the tile generators (legged_gym `make_terrain`), each a function of difficulty d ∈ [0, 1]. */
export const TILE_PARAMS = {
  /** Pyramid slope (rise over run) = 0.4 d, with a flat top (or bottom) platform of this side (m). */
  slopePerDifficulty: 0.4, platformM: 3,
  /** Rough slopes add uniform noise in ±this (m) on a coarse grid of this spacing (m), linearly interpolated. */
  roughAmplitudeM: 0.05, roughStepM: 0.005, roughGridM: 0.2,
  /** Stairs: step height 0.05 + 0.18 d (m), tread (m). */
  stepBaseM: 0.05, stepPerDifficultyM: 0.18, stepTreadM: 0.31,
  /** Discrete obstacles: height 0.05 + 0.2 d (m), rectangles of sides in [min, max] (m), how many. */
  obstacleBaseM: 0.05, obstaclePerDifficultyM: 0.2, obstacleMinM: 1, obstacleMaxM: 2, obstacleCount: 20,
  /** Stepping stones: side 1.5 (1.05 − d) (m), gaps 0.05 m at d = 0 and 0.1 m above, pits this deep (m), platform (m). */
  stoneSidePerDifficulty: 1.5, stoneGapEasyM: 0.05, stoneGapM: 0.1, stonePitDepthM: 1, stonePlatformM: 4,
} as const;

/** A generated terrain: the height grid and where each tile lies. World x runs along rows (difficulty), y along columns (kind). */
export interface TerrainMap {
  readonly config: ResolvedTerrainConfig;
  /** Samples along x and y; heights[a · ny + b] is the height (m) at (x0 + a·h, y0 + b·h). */
  readonly nx: number;
  readonly ny: number;
  readonly x0M: number;
  readonly y0M: number;
  readonly heights: Float32Array;
  /** Kind of each column and difficulty of each row. */
  readonly kinds: readonly TerrainKind[];
  readonly difficulties: Float64Array;
  /** Lowest and highest sample (m). */
  readonly minHeightM: number;
  readonly maxHeightM: number;
}

/** Terrain heights under points, from the physics scene's own terrain (ray casts), for tasks. */
export interface TerrainQuery {
  /** The terrain the scene was built from. */
  readonly map: TerrainMap;
  /**
   * World z (m) of the terrain surface under the world points (xy[2k], xy[2k+1]) for k < count,
   * into out[k]; a point off the terrain gets 0 (the border's height).
   */
  heights(xy: Float64Array, out: Float64Array, count: number): void;
}

/** Fills in `cfg`'s defaults and checks every value, naming the key. */
export function resolveTerrain(cfg: TerrainConfig): ResolvedTerrainConfig {
  const known = new Set(['kind', 'tileSizeM', 'rows', 'cols', 'proportions', 'horizontalScaleM', 'borderM', 'difficulty']);
  for (const key of Object.keys(cfg)) if (!known.has(key)) throw new Error(`terrain.${key}: unknown key`);
  const r: ResolvedTerrainConfig = { ...TERRAIN_DEFAULTS, ...cfg, proportions: { ...TERRAIN_DEFAULTS.proportions, ...cfg.proportions } } as ResolvedTerrainConfig;
  if (r.kind !== 'flat' && r.kind !== 'rough') throw new Error(`terrain.kind: flat or rough, got ${String(r.kind)}`);
  const positive = (key: 'tileSizeM' | 'horizontalScaleM') => { if (!(r[key] > 0) || !Number.isFinite(r[key])) throw new Error(`terrain.${key}: a positive number, got ${r[key]}`); };
  positive('tileSizeM'); positive('horizontalScaleM');
  for (const key of ['rows', 'cols'] as const) if (!Number.isInteger(r[key]) || r[key] < 1) throw new Error(`terrain.${key}: a positive integer, got ${r[key]}`);
  if (!(r.borderM >= 0)) throw new Error(`terrain.borderM: >= 0, got ${r.borderM}`);
  const tileSamples = r.tileSizeM / r.horizontalScaleM;
  if (Math.abs(tileSamples - Math.round(tileSamples)) > 1e-9) throw new Error(`terrain.tileSizeM: a multiple of horizontalScaleM (${r.horizontalScaleM}), got ${r.tileSizeM}`);
  for (const [k, p] of Object.entries(r.proportions)) {
    if (!(TERRAIN_KINDS as readonly string[]).includes(k)) throw new Error(`terrain.proportions.${k}: unknown kind (${TERRAIN_KINDS.join(', ')})`);
    if (!(p >= 0) || !Number.isFinite(p)) throw new Error(`terrain.proportions.${k}: >= 0, got ${p}`);
  }
  if (!(TERRAIN_KINDS.reduce((s, k) => s + r.proportions[k], 0) > 0)) throw new Error('terrain.proportions: at least one kind must have a share');
  const [lo, hi] = r.difficulty;
  if (!(lo >= 0 && hi <= 1 && lo <= hi)) throw new Error(`terrain.difficulty: 0 <= lo <= hi <= 1, got [${lo}, ${hi}]`);
  return r;
}

/** Kind of column `j` of `cols` (legged_gym: choice = j / cols + 0.001 against the cumulative proportions). */
export function columnKind(j: number, cols: number, proportions: Record<TerrainKind, number>): TerrainKind {
  const total = TERRAIN_KINDS.reduce((s, k) => s + proportions[k], 0);
  const choice = j / cols + 0.001;
  let acc = 0;
  for (const k of TERRAIN_KINDS) {
    acc += proportions[k] / total;
    if (proportions[k] > 0 && choice < acc) return k;
  }
  return [...TERRAIN_KINDS].reverse().find((k) => proportions[k] > 0) as TerrainKind;
}

// -- per-kind height formulas, tile-local (u, v) in [0, L) from the tile's corner

/** Distance (m) of (u, v) from the nearest edge of an L × L tile. */
function edgeDistance(u: number, v: number, L: number): number {
  return Math.min(u, L - u, v, L - v);
}

/** Pyramid slope: rises `slope` per m from 0 at the tile edge up to a flat central platform of side `platformM` (a valley for slope < 0). */
export function pyramidSlopeHeight(u: number, v: number, L: number, slope: number, platformM: number): number {
  return slope * Math.min(edgeDistance(u, v, L), 0.5 * (L - platformM));
}

/** Pyramid stairs: rings of tread `treadM` from the edge inward, each `stepM` above the last (below for stepM < 0), up to the central platform. */
export function pyramidStairsHeight(u: number, v: number, L: number, stepM: number, treadM: number, platformM: number): number {
  const rings = Math.floor((0.5 * (L - platformM)) / treadM);
  return stepM * Math.min(Math.floor(edgeDistance(u, v, L) / treadM), rings);
}

/** Stepping stones: square stones of side s on a pitch of s + gap from the tile corner, pits between them, a flat central platform. */
export function steppingStoneHeight(u: number, v: number, L: number, sideM: number, gapM: number, pitDepthM: number, platformM: number): number {
  const c = 0.5 * L, half = 0.5 * platformM;
  if (Math.abs(u - c) <= half && Math.abs(v - c) <= half) return 0;
  const pitch = sideM + gapM;
  return u % pitch < sideM && v % pitch < sideM ? 0 : -pitDepthM;
}

/** The generator's parameters for a tile of `kind` at difficulty `d`. */
export function tileParams(kind: TerrainKind, d: number) {
  const P = TILE_PARAMS;
  const step = P.stepBaseM + P.stepPerDifficultyM * d;
  return {
    slope: P.slopePerDifficulty * d,
    // stairs down from a raised platform; stairs up out of a sunken one (the robot starts in the middle)
    stepM: kind === 'stairs_up' ? -step : step,
    obstacleM: P.obstacleBaseM + P.obstaclePerDifficultyM * d,
    stoneSideM: P.stoneSidePerDifficulty * (1.05 - d),
    stoneGapM: d === 0 ? P.stoneGapEasyM : P.stoneGapM,
  };
}

/** Heights of one n × n tile of `kind` at difficulty `d` (samples h apart), row-major [a · n + b]. */
export function generateTile(kind: TerrainKind, d: number, n: number, h: number, rng: Rng): Float32Array {
  const P = TILE_PARAMS, L = n * h, out = new Float32Array(n * n), p = tileParams(kind, d);
  switch (kind) {
    case 'smooth_slope':
    case 'rough_slope': {
      // legged_gym: half of the smooth-slope tiles slope down; ours by a coin per tile
      const slope = kind === 'smooth_slope' && rng.next() < 0.5 ? -p.slope : p.slope;
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) out[a * n + b] = pyramidSlopeHeight(a * h, b * h, L, slope, P.platformM);
      if (kind === 'rough_slope') addRoughness(out, n, h, rng);
      break;
    }
    case 'stairs_up':
    case 'stairs_down':
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) out[a * n + b] = pyramidStairsHeight(a * h, b * h, L, p.stepM, P.stepTreadM, P.platformM);
      break;
    case 'discrete_obstacles':
      discreteObstacles(out, n, h, p.obstacleM, rng);
      break;
    case 'stepping_stones':
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) out[a * n + b] = steppingStoneHeight(a * h, b * h, L, p.stoneSideM, p.stoneGapM, P.stonePitDepthM, P.stonePlatformM);
      break;
  }
  return out;
}

/** legged_gym's `random_uniform_terrain`: noise in ±amplitude, quantized, on a coarse grid, bilinearly interpolated. */
function addRoughness(out: Float32Array, n: number, h: number, rng: Rng): void {
  const P = TILE_PARAMS, L = n * h, m = Math.round(L / P.roughGridM) + 1;
  const levels = Math.round((2 * P.roughAmplitudeM) / P.roughStepM);
  const coarse = Float64Array.from({ length: m * m }, () => -P.roughAmplitudeM + P.roughStepM * rng.int(0, levels));
  for (let a = 0; a < n; a++) {
    const fx = (a * h) / P.roughGridM, ia = Math.min(m - 2, Math.floor(fx)), tx = fx - ia;
    for (let b = 0; b < n; b++) {
      const fy = (b * h) / P.roughGridM, ib = Math.min(m - 2, Math.floor(fy)), ty = fy - ib;
      const c00 = coarse[ia * m + ib]!, c01 = coarse[ia * m + ib + 1]!, c10 = coarse[(ia + 1) * m + ib]!, c11 = coarse[(ia + 1) * m + ib + 1]!;
      out[a * n + b] = out[a * n + b]! + (1 - tx) * ((1 - ty) * c00 + ty * c01) + tx * ((1 - ty) * c10 + ty * c11);
    }
  }
}

/** legged_gym's `discrete_obstacles_terrain`: rectangles raised or sunk by ±H or ±H/2, the central platform kept at 0. */
function discreteObstacles(out: Float32Array, n: number, h: number, heightM: number, rng: Rng): void {
  const P = TILE_PARAMS;
  const choices = [-heightM, -heightM / 2, heightM / 2, heightM];
  const sides = () => Math.round(rng.uniform(P.obstacleMinM, P.obstacleMaxM) / h);
  for (let r = 0; r < P.obstacleCount; r++) {
    const w = sides(), l = sides();
    const a0 = rng.int(0, Math.max(0, n - w)), b0 = rng.int(0, Math.max(0, n - l));
    const z = choices[rng.int(0, 3)]!;
    for (let a = a0; a < Math.min(n, a0 + w); a++) for (let b = b0; b < Math.min(n, b0 + l); b++) out[a * n + b] = z;
  }
  const lo = Math.round((0.5 * n * h - 0.5 * P.platformM) / h), hi = Math.round((0.5 * n * h + 0.5 * P.platformM) / h);
  for (let a = lo; a < hi; a++) for (let b = lo; b < hi; b++) out[a * n + b] = 0;
}

/** Generates the terrain of `cfg` (a `rough` config) from `seed`: tiles by row and column inside the border. */
export function generateTerrain(cfg: TerrainConfig, seed: number): TerrainMap {
  const c = resolveTerrain(cfg);
  if (c.kind !== 'rough') throw new Error('generateTerrain: a flat terrain has no height grid (kind: rough)');
  const h = c.horizontalScaleM, n = Math.round(c.tileSizeM / h), border = Math.round(c.borderM / h);
  const nx = c.rows * n + 2 * border + 1, ny = c.cols * n + 2 * border + 1;
  const heights = new Float32Array(nx * ny);
  const kinds = Array.from({ length: c.cols }, (_, j) => columnKind(j, c.cols, c.proportions));
  const difficulties = Float64Array.from({ length: c.rows }, (_, i) => c.difficulty[0] + ((c.difficulty[1] - c.difficulty[0]) * i) / c.rows);
  const rng = new Rng(seed, 0x7e44a1);
  for (let i = 0; i < c.rows; i++) {
    for (let j = 0; j < c.cols; j++) {
      const tile = generateTile(kinds[j]!, difficulties[i]!, n, h, rng);
      for (let a = 0; a < n; a++) heights.set(tile.subarray(a * n, (a + 1) * n), (border + i * n + a) * ny + border + j * n);
    }
  }
  let minHeightM = Infinity, maxHeightM = -Infinity;
  for (let k = 0; k < heights.length; k++) { const z = heights[k]!; if (z < minHeightM) minHeightM = z; if (z > maxHeightM) maxHeightM = z; }
  return { config: c, nx, ny, x0M: -border * h, y0M: -border * h, heights, kinds, difficulties, minHeightM, maxHeightM };
}

/** The centre (world x, y, m) of tile (row `level`, column `col`): where an env of that level and column starts. */
export function tileCentre(map: TerrainMap, level: number, col: number, out: Float64Array): void {
  const L = map.config.tileSizeM;
  out[0] = (level + 0.5) * L;
  out[1] = (col + 0.5) * L;
}

/** The sample nearest to world (x, y) (m), 0 off the grid. */
export function sampleHeight(map: TerrainMap, x: number, y: number): number {
  const h = map.config.horizontalScaleM;
  const a = Math.round((x - map.x0M) / h), b = Math.round((y - map.y0M) / h);
  if (a < 0 || b < 0 || a >= map.nx || b >= map.ny) return 0;
  return map.heights[a * map.ny + b]!;
}
