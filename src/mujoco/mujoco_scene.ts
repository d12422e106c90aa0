/**
 * MuJoCo as an env group's physics (`PhysicsScene`, `src/sim/physics_scene.ts`): the robot's
 * MJCF (`mjcf.ts`, from the same build plan Rapier uses) is compiled once per scene, and every
 * env gets its own copy of the model and its own data, stepped one after another. Separate
 * models let randomization give each env its own masses, friction, gains and gravity, and keep
 * one env's blow-up from touching the others (MuJoCo's automatic reset is off: a diverging env
 * shows as non-finite state, which the env group ends and resets).
 */
import { compileModel, loadMujoco, type Mujoco, type MjModel } from './mujoco_wasm.ts';
import { robotMjcf } from './mjcf.ts';
import { MujocoRobot } from './mujoco_robot.ts';
import { MUJOCO_UNMODELLED } from './mujoco_randomization.ts';
import { planRobot, type RobotPlan } from '../robot/robot_plan.ts';
import { ActuatorLaw } from '../sim/actuator_law.ts';
import type { Vec3 } from '../robot/robot_model.ts';
import type { PhysicsEngine, PhysicsScene, SceneConfig } from '../sim/physics_scene.ts';

/**
 * Envs one scene holds at most: each is its own model and data (about 1.3 MB for a quadruped)
 * in MuJoCo's WebAssembly memory, which stops at 2 GB per process.
 */
export const MAX_MUJOCO_ENVS = 1024;

/** Every env's robot in its own MuJoCo model and data. */
export class MujocoScene implements PhysicsScene<MujocoRobot> {
  /** The robots, in the order they were added. */
  readonly robots: MujocoRobot[] = [];
  private disposed = false;

  private constructor(
    private readonly mj: Mujoco,
    private readonly cfg: SceneConfig,
    private readonly plan: RobotPlan,
    /** The compiled model every robot copies. */
    private readonly base: MjModel,
    /** The MJCF it was compiled from. */
    readonly mjcf: string,
  ) {}

  /** Compiles the robot's model; a robot MuJoCo cannot build is an error quoting MuJoCo's reason. */
  static async create(cfg: SceneConfig): Promise<MujocoScene> {
    if (cfg.numEnvs > MAX_MUJOCO_ENVS) throw new Error(`the mujoco engine runs at most ${MAX_MUJOCO_ENVS} envs in one process (each its own model in MuJoCo's 2 GB WebAssembly memory), got ${cfg.numEnvs}`);
    const mj = await loadMujoco();
    const { model, spec, gravity } = cfg;
    const plan = planRobot(model, spec);
    const mjcf = robotMjcf({ plan, spec, gravity, actuation: nominalActuation(cfg, plan) });
    return new MujocoScene(mj, cfg, plan, compileModel(mj, mjcf, `robot ${spec.name}`), mjcf);
  }

  addRobot(origin: Vec3): MujocoRobot {
    if (this.disposed) throw new Error('the MuJoCo scene was disposed');
    if (this.robots.length >= MAX_MUJOCO_ENVS) throw new Error(`the mujoco engine runs at most ${MAX_MUJOCO_ENVS} envs in one process`);
    const m = new this.mj.MjModel(this.base);
    const d = new this.mj.MjData(m);
    const { model, spec } = this.cfg;
    try {
      const robot = new MujocoRobot({ mj: this.mj, m, d, model, spec, plan: this.plan, origin });
      this.robots.push(robot);
      return robot;
    } catch (e) {
      d.delete();
      m.delete();
      throw e;
    }
  }

  step(): void {
    for (const r of this.robots) r.stepPhysics();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.robots) r.dispose();
    this.base.delete();
  }
}

/** The actuator gains, effort limits and joint damping of the un-randomized robot, for the MJCF. */
function nominalActuation(cfg: SceneConfig, plan: RobotPlan) {
  const { spec } = cfg;
  const act = plan.actuatedBodies;
  const law = new ActuatorLaw({
    spec, jointLimits: act.map((b) => plan.bodies[b]?.joint?.limit ?? { lower: -Infinity, upper: Infinity, effort: Infinity, velocity: Infinity }),
    jointDamping: Float64Array.from(act, (b) => plan.bodies[b]?.joint?.damping ?? 0),
  });
  const position = spec.control_mode === 'position';
  return {
    kp: act.map((_, k) => law.kp(k)),
    kv: act.map((_, k) => law.kd(k)),
    forceLimit: act.map((_, k) => (position ? law.effortLimit(k) : Infinity)),
    // position servos carry the actuated joints' damping in their Kv
    dofDamping: plan.bodies.map((b, i) => (position && act.includes(i) ? 0 : b.joint?.damping ?? 0)),
  };
}

/** MuJoCo (the official WebAssembly build): models every randomization parameter but restitution. */
export const MUJOCO_ENGINE: PhysicsEngine<MujocoScene> = {
  name: 'mujoco',
  unmodelled: MUJOCO_UNMODELLED,
  createScene: (cfg) => MujocoScene.create(cfg),
};
