/**
 * Rapier as an env group's physics (`PhysicsScene`): one world holding every env's robot on a
 * shared ground (a plane, or a generated terrain's heightfield), stepped at once, with a step counter the robots cache joint-state reads by.
 * The training engine, and the only one whose state can be saved and restored (a world
 * snapshot): checkpoints and resumed runs rely on it.
 */
import { loadRapier, type Rapier, type World } from './rapier.ts';
import { buildRobot, createGround, createWorld, type BuiltRobot, type StepClock } from './build/build.ts';
import type { Vec3 } from '../robot/robot_model.ts';
import type { PhysicsEngine, PhysicsScene, SceneConfig } from './physics_scene.ts';
import { createTerrain, RayTerrainQuery } from './build/terrain.ts';

/** Every env's robot in one Rapier world. */
export class RapierScene implements PhysicsScene<BuiltRobot> {
  /** Counts world steps so robots can cache joint-state reads within one step. */
  private readonly clock: StepClock = { steps: 0 };
  private readonly robots: BuiltRobot[] = [];
  private physics: World;
  /** Heights of the generated terrain by ray casts (scenes built with `terrain` only). */
  readonly terrain?: RayTerrainQuery;

  private constructor(private readonly rapier: Rapier, private readonly cfg: SceneConfig) {
    const { spec, numEnvs, envSpacingM, gravity } = cfg;
    this.physics = createWorld(rapier, { dtS: spec.physics_dt_s, solverIterations: spec.solver_iterations ?? 4, gravity });
    if (cfg.terrain) {
      this.terrain = new RayTerrainQuery(rapier, cfg.terrain, () => this.physics, createTerrain(rapier, this.physics, cfg.terrain));
    } else {
      createGround(rapier, this.physics, { halfExtentM: Math.max(50, Math.sqrt(numEnvs) * envSpacingM) });
    }
  }

  /** A world with its ground and no robots yet. */
  static async create(cfg: SceneConfig): Promise<RapierScene> {
    return new RapierScene(await loadRapier(), cfg);
  }

  /**
   * The Rapier world. `restore` replaces it (and every body, collider and joint in it), so do
   * not keep it, or Rapier objects taken from it, across a restore.
   */
  get world(): World {
    return this.physics;
  }

  /** `world.step()` calls so far (the robots' read-cache clock). */
  get physicsSteps(): number {
    return this.clock.steps;
  }

  addRobot(origin: Vec3): BuiltRobot {
    const robot = buildRobot(this.rapier, this.physics, this.cfg.model, this.cfg.spec, { origin, clock: this.clock });
    this.robots.push(robot);
    return robot;
  }

  step(): void {
    this.physics.step();
    this.clock.steps++;
  }

  /** A snapshot of the world: bodies, colliders, joints with their motors, forces, contacts, solver warm starts. */
  snapshot(): Uint8Array {
    return this.physics.takeSnapshot();
  }

  /**
   * Replaces the world by the one in `bytes` (a `snapshot()` of a scene built the same way) and
   * re-binds every robot to it, with the step counter at `physicsSteps`. On failure the robots
   * stay on the current world and the error says why, naming a robot by its env index (robot
   * `i` is env `firstEnvIndex + i`).
   */
  restore(bytes: Uint8Array, physicsSteps: number, firstEnvIndex: number): void {
    let world: World | null | undefined;
    try {
      world = this.rapier.World.restoreSnapshot(bytes);
    } catch (e) {
      throw new Error(`the physics snapshot could not be read (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!world) throw new Error('the physics snapshot could not be read');
    let bound = 0;
    try {
      for (; bound < this.robots.length; bound++) (this.robots[bound] as BuiltRobot).rebind(world);
    } catch (e) {
      for (let i = 0; i < bound; i++) (this.robots[i] as BuiltRobot).rebind(this.physics);
      world.free();
      throw new Error(`env ${firstEnvIndex + bound}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const old = this.physics;
    this.physics = world;
    old.free();
    this.clock.steps = physicsSteps;
  }

  dispose(): void {
    this.physics.free();
  }
}

/** Rapier: models every randomization parameter. */
export const RAPIER_ENGINE: PhysicsEngine<RapierScene> = {
  name: 'rapier',
  unmodelled: {},
  createScene: (cfg) => RapierScene.create(cfg),
};
