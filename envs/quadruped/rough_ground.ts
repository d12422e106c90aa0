/**
 * The quadruped on generated terrain (one env's share): which tile it walks on, legged_gym's
 * terrain curriculum, the height scan around its base, and the ground height its base height
 * and spawn are measured from. Heights come from the scene's terrain (`TaskContext.terrain`:
 * ray casts); positions the robot reports are relative to its env origin, terrain points are
 * world points.
 *
 * The curriculum rule (legged_gym `_update_terrain_curriculum`), applied when an episode ends:
 * the robot walked `d` m from its tile's centre; it moves up a level when d > tile side / 2,
 * down a level when d < |command_xy| · episode length (s) · 0.5 (and it did not move up);
 * a robot that passes the top level goes to a random level; levels stay ≥ 0. Envs start at a
 * random level in [0, max_init_level] on column envIndex mod cols.
 */
import type { Rng } from '../../src/task/rng.ts';
import type { TaskContext } from '../../src/task/task.ts';
import { tileCentre, type TerrainQuery } from '../../src/task/terrain.ts';
import type { Vec3 } from '../../src/robot/robot_model.ts';

/** legged_gym's height-scan grid and curriculum constants. */
export const ROUGH_CONFIG = {
  /** Scan points along the base's heading and across it (m, base frame, yaw only): 17 × 11 at 0.1 m. */
  scanX: Array.from({ length: 17 }, (_, i) => Math.round((-0.8 + 0.1 * i) * 10) / 10),
  scanY: Array.from({ length: 11 }, (_, i) => Math.round((-0.5 + 0.1 * i) * 10) / 10),
  /** Observed scan value: clip(base z − offset − terrain z, ±clip) × scale (legged_gym). */
  scanOffsetM: 0.5, scanClipM: 1, scanScale: 5, scanNoiseM: 0.1,
  /** Highest level an env may start at. */
  maxInitLevel: 5,
  /** Spawn within ±this of the tile centre in x and y (m). */
  spawnSpreadM: 1,
  /** Spawn clearance is checked against the highest terrain this far around the spawn point (m). */
  spawnFootprintM: 0.4,
} as const;

/** Number of height-scan points. */
export const SCAN_POINTS = ROUGH_CONFIG.scanX.length * ROUGH_CONFIG.scanY.length;

/** One env's terrain state: tile, curriculum level, height scan. */
export class RoughGround {
  /** Terrain world z under each scan point (x-major: point ix · 11 + iy), as of the last `scan`. */
  readonly scanZ = new Float64Array(SCAN_POINTS);
  /** Mean of `scanZ`: the ground the base height is measured from. */
  meanGroundM = 0;
  private readonly terrain: TerrainQuery;
  private readonly rng: Rng;
  private readonly origin: Readonly<Vec3>;
  private readonly rows: number;
  private readonly tileM: number;
  private readonly episodeS: number;
  private level: number;
  private readonly col: number;
  /** World xy of the current tile's centre. */
  private readonly tile = new Float64Array(2);
  private episodes = 0;
  private readonly points = new Float64Array(2 * SCAN_POINTS);
  private readonly probe = new Float64Array(10);
  private readonly probeZ = new Float64Array(5);

  /** `episodeS`: the task's episode length (s), for the move-down rule. */
  constructor(ctx: TaskContext, episodeS: number) {
    if (!ctx.terrain) throw new Error('task quadruped_rough: the scene has no generated terrain (terrain.kind: rough)');
    this.terrain = ctx.terrain;
    this.rng = ctx.rng;
    this.origin = ctx.robot.origin;
    const c = ctx.terrain.map.config;
    this.rows = c.rows;
    this.tileM = c.tileSizeM;
    this.episodeS = episodeS;
    this.col = ctx.envIndex % c.cols;
    this.level = Math.min(c.rows - 1, ctx.rng.int(0, ROUGH_CONFIG.maxInitLevel));
  }

  /** The env's terrain level (row). */
  get terrainLevel(): number {
    return this.level;
  }

  /**
   * At a reset: moves the level by the curriculum rule (not before the first episode), given the
   * base state `base` (relative to the env origin) at the end of the episode and its command
   * (vx, vy); writes the spawn point's x, y relative to the env origin into `spawn` and returns
   * the highest terrain z around it (relative to the env origin).
   */
  startEpisode(base: Float64Array, command: Float64Array, spawn: Vec3): number {
    if (this.episodes++ > 0) this.moveLevel(Math.hypot(this.origin[0] + base[0]! - this.tile[0]!, this.origin[1] + base[1]! - this.tile[1]!), Math.hypot(command[0]!, command[1]!));
    tileCentre(this.terrain.map, this.level, this.col, this.tile);
    const s = ROUGH_CONFIG.spawnSpreadM;
    const x = this.tile[0]! + this.rng.uniform(-s, s), y = this.tile[1]! + this.rng.uniform(-s, s);
    spawn[0] = x - this.origin[0];
    spawn[1] = y - this.origin[1];
    const f = ROUGH_CONFIG.spawnFootprintM, p = this.probe;
    p[0] = x; p[1] = y; p[2] = x + f; p[3] = y + f; p[4] = x + f; p[5] = y - f; p[6] = x - f; p[7] = y + f; p[8] = x - f; p[9] = y - f;
    this.terrain.heights(p, this.probeZ, 5);
    return Math.max(...this.probeZ) - this.origin[2];
  }

  /** legged_gym's curriculum step for an episode that walked `walkedM` under a command of speed `commandMps`. */
  moveLevel(walkedM: number, commandMps: number): void {
    const up = walkedM > this.tileM / 2;
    const down = !up && walkedM < commandMps * this.episodeS * 0.5;
    this.level += (up ? 1 : 0) - (down ? 1 : 0);
    if (this.level >= this.rows) this.level = this.rng.int(0, this.rows - 1);
    if (this.level < 0) this.level = 0;
  }

  /** Casts the height scan around the base (`base` relative to the env origin, yaw from its quaternion). */
  scan(base: Float64Array): void {
    const qx = base[3]!, qy = base[4]!, qz = base[5]!, qw = base[6]!;
    const yaw = Math.atan2(2 * (qw * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz));
    const c = Math.cos(yaw), s = Math.sin(yaw);
    const bx = this.origin[0] + base[0]!, by = this.origin[1] + base[1]!;
    const X = ROUGH_CONFIG.scanX, Y = ROUGH_CONFIG.scanY, p = this.points;
    let k = 0;
    for (let i = 0; i < X.length; i++) {
      for (let j = 0; j < Y.length; j++, k++) {
        p[2 * k] = bx + c * X[i]! - s * Y[j]!;
        p[2 * k + 1] = by + s * X[i]! + c * Y[j]!;
      }
    }
    this.terrain.heights(p, this.scanZ, SCAN_POINTS);
    let sum = 0;
    for (let n = 0; n < SCAN_POINTS; n++) sum += this.scanZ[n]!;
    this.meanGroundM = sum / SCAN_POINTS;
  }

  /** Height (m) of a base at `baseZ` (relative to the env origin) above the mean scanned ground. */
  heightAboveGround(baseZ: number): number {
    return this.origin[2] + baseZ - this.meanGroundM;
  }

  /** Writes the observed scan (clip(base z − 0.5 − terrain z, ±1) × 5) at `out[offset…]`; `baseZ` relative to the env origin. */
  observe(out: Float32Array, offset: number, baseZ: number): void {
    const R = ROUGH_CONFIG, z = this.origin[2] + baseZ - R.scanOffsetM;
    for (let n = 0; n < SCAN_POINTS; n++) {
      const d = z - this.scanZ[n]!;
      out[offset + n] = (d > R.scanClipM ? R.scanClipM : d < -R.scanClipM ? -R.scanClipM : d) * R.scanScale;
    }
  }

  /** Level, tile and episode count, for checkpoints. */
  saveState(): unknown {
    return { level: this.level, episodes: this.episodes, tile: Array.from(this.tile) };
  }

  loadState(state: unknown): void {
    const s = state as { level?: unknown; episodes?: unknown; tile?: unknown } | null;
    const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
    if (!s || !count(s.level) || (s.level as number) >= this.rows || !count(s.episodes) || !Array.isArray(s.tile) || s.tile.length !== 2 || !s.tile.every(Number.isFinite)) {
      throw new Error('task quadruped_rough: saved terrain state must hold level, episodes and tile');
    }
    this.level = s.level as number;
    this.episodes = s.episodes as number;
    this.tile.set(s.tile as number[]);
  }
}
