/** A task env driven by hand on one robot in its own Rapier world, for the task tests. */
import { loadRapier, type World } from '../../src/sim/rapier.ts';
import { buildRobot, createGround, createWorld } from '../../src/sim/build/build.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { loadRobotSpec, type LoadedRobotSpec } from '../../src/robot/robot_spec.ts';
import { Rng } from '../../src/task/rng.ts';
import { NOMINAL, sampleRandomization, type DomainRandomization } from '../../src/task/randomize.ts';
import type { TaskEnv, TaskSpec, TaskStepResult } from '../../src/task/task.ts';
import type { SimRobot } from '../../src/task/sim_robot.ts';

/** One robot in its own world, with the runner's per-step sequence done by hand. */
export interface Harness {
  world: World;
  robot: SimRobot;
  spec: LoadedRobotSpec;
  /** A task env on `robot` with its own RNG seeded by `seed`. */
  create(seed: number): TaskEnv;
}

export async function harness(task: TaskSpec): Promise<Harness> {
  const R = await loadRapier();
  const spec = loadRobotSpec(task.robot);
  const model = loadUrdf(spec.urdfPath);
  const world = createWorld(R, { dtS: spec.physics_dt_s, solverIterations: spec.solver_iterations ?? 4 });
  createGround(R, world);
  const robot = buildRobot(R, world, model, spec, { origin: [0, 0, 0] });
  return { world, robot, spec, create: (seed) => task.create({ robot, rng: new Rng(seed, 0), envIndex: 0, controlDtS: spec.control_dt_s }) };
}

/** A task env ready to step: reset (after a randomization sample, like the runner), observe, step. */
export class Driver {
  readonly obs: Float32Array;
  readonly res: TaskStepResult;
  private readonly act: Float32Array;
  private readonly rng: Rng;

  constructor(readonly h: Harness, readonly task: TaskSpec, readonly env: TaskEnv, seed: number, private readonly dr: DomainRandomization = NOMINAL) {
    this.obs = new Float32Array(task.observations.length);
    this.res = { reward: 0, terminated: false, terms: new Float64Array(task.rewardTerms.length) };
    this.act = new Float32Array(task.actions.length);
    this.rng = new Rng(seed, 1);
  }

  reset(): Float32Array {
    this.h.robot.applyRandomization(sampleRandomization(this.dr, this.rng));
    this.env.reset();
    this.env.observe(this.obs);
    return this.obs;
  }

  /** One control step with `action` clipped to ±action_clip (no latency). */
  step(action: ArrayLike<number>): TaskStepResult {
    const clip = this.h.spec.action_clip;
    for (let i = 0; i < this.act.length; i++) this.act[i] = Math.max(-clip, Math.min(clip, action[i] as number));
    this.env.onAction?.(this.act);
    this.h.robot.setAction(this.act);
    for (let k = 0; k < this.h.spec.decimation; k++) {
      this.h.robot.prePhysicsStep(this.h.spec.physics_dt_s);
      this.h.world.step();
    }
    this.res.reward = NaN;
    this.res.terminated = false;
    this.res.terms.fill(NaN);
    this.env.evaluate(this.res);
    this.env.observe(this.obs);
    return this.res;
  }
}

export async function driver(task: TaskSpec, seed: number, dr: DomainRandomization = NOMINAL): Promise<Driver> {
  const h = await harness(task);
  return new Driver(h, task, h.create(seed), seed, dr);
}
