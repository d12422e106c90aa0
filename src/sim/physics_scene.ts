/**
 * The engine seam of an env group: what `EnvGroup` needs of a physics engine — a scene that
 * builds one robot per env and steps them all at the robot contract's physics rate. Everything
 * else an env group does (decimation, latency, pushes, randomization sampling, episodes,
 * auto-reset) and everything built on it (the episode loop, evaluation, command tracking, the
 * bridge rehearsal) is engine-free, and tasks see a robot only as a `SimRobot`. Rapier
 * (`rapier_scene.ts`) is the training engine; `src/mujoco/` is the second one, for sim-to-sim.
 */
import type { RobotModel, Vec3 } from '../robot/robot_model.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';
import type { DomainRandomization } from '../task/randomize.ts';
import { DR_PARAMS, type DrParam } from '../task/randomization_params.ts';
import type { SimRobot } from '../task/sim_robot.ts';
import type { TerrainMap, TerrainQuery } from '../task/terrain.ts';

/** What a scene is built for: one robot, many envs. */
export interface SceneConfig {
  model: RobotModel;
  spec: LoadedRobotSpec;
  /** Envs the scene will hold (sizes a shared ground). */
  numEnvs: number;
  /** Distance between env origins (m). */
  envSpacingM: number;
  /** The scene's gravity (m/s², z up); robots apply randomized gravity relative to it. */
  gravity: Vec3;
  /** A generated terrain to build instead of the flat ground (scenes that support it). */
  terrain?: TerrainMap;
}

/** The physics of an env group: robots built one per env and stepped together. */
export interface PhysicsScene<R extends SimRobot = SimRobot> {
  /** Builds the next env's robot with its env origin at `origin` (joints at 0, the root at the plan's pose). */
  addRobot(origin: Vec3): R;
  /** Heights under points of the generated terrain, when the scene was built with one. */
  readonly terrain?: TerrainQuery;
  /** One physics step (`physics_dt_s`) of every robot; the env group calls each robot's `prePhysicsStep` first. */
  step(): void;
  /** Frees the engine's memory; the scene and its robots are unusable afterwards. */
  dispose(): void;
}

/** A physics engine an env group can run on. */
export interface PhysicsEngine<S extends PhysicsScene = PhysicsScene> {
  /** `rapier` or `mujoco`: what `--engine` takes and reports print. */
  readonly name: string;
  /**
   * Randomization parameters the engine does not model, each with why: an env group on this
   * engine takes them only at their nominal value.
   */
  readonly unmodelled: Readonly<Partial<Record<DrParam, string>>>;
  /** A new, empty scene. */
  createScene(cfg: SceneConfig): Promise<S>;
}

/**
 * Throws unless every parameter `engine` does not model is held at its nominal value in `dr`;
 * the message names the parameter, the engine, why, and the range asked for.
 */
export function checkModelled(engine: PhysicsEngine, dr: DomainRandomization): void {
  for (const [key, why] of Object.entries(engine.unmodelled) as [DrParam, string][]) {
    const nominal = DR_PARAMS[key].nominal;
    const [lo, hi] = dr[key];
    if (lo !== nominal || hi !== nominal) {
      throw new Error(`${key}: the ${engine.name} engine does not model it (${why}); it must stay at its nominal ${nominal}, got [${lo}, ${hi}]`);
    }
  }
}
