/**
 * The engine-free half of a simulated robot, shared by every engine's `SimRobot`: what it
 * reports of its build plan (bodies as links, their joints' names, the actuated joints' limits,
 * every URDF link's frame), the actuator law's torques and commands, and the checked joint
 * state a reset asks for. Rapier's `BuiltRobot` (`build/built_robot.ts`) and MuJoCo's
 * `MujocoRobot` (`src/mujoco/mujoco_robot.ts`) extend it with the engine.
 */
import type { JointLimit, RobotModel, Vec3 } from '../robot/robot_model.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';
import type { LinkFrame, RobotPlan } from '../robot/robot_plan.ts';
import type { SimLink } from '../task/sim_robot.ts';
import type { ActuatorLaw } from './actuator_law.ts';

/** A robot built from `plan` by some engine. Index 0 of `links` is the root. */
export abstract class PlannedRobot {
  /** The parsed URDF the plan was made from. */
  readonly model: RobotModel;
  /** The robot contract: joint order, gains, default pose, rates. */
  readonly spec: LoadedRobotSpec;
  /** Actuated joints: the contract's, in its order. */
  readonly numJoints: number;
  /** The URDF limits of each actuated joint (copies), spec order. */
  readonly jointLimits: readonly JointLimit[];
  /** The plan's bodies (links merged across fixed joints) with their nominal masses. */
  readonly links: readonly SimLink[];
  /** Where the env's robot stands in the engine's world. */
  readonly origin: Readonly<Vec3>;
  /** Name of the joint attaching each body to its parent ('' for the root), `links` order. */
  readonly movableJointNames: readonly string[];
  /**
   * Every built URDF link's frame: its body and pose in the body frame (a body's frame has the
   * root's orientation at the zero pose, so it differs from its link's frame by a rotation).
   */
  readonly linkFrames: ReadonlyMap<string, LinkFrame>;
  /** Things built differently from the URDF (tiny masses, unsimulated friction…): one line each. */
  readonly warnings: readonly string[];
  /** Body moved by each spec joint. */
  protected readonly act: Int32Array;
  /** Every body's joint position and rate (`movableJointNames` order), as the last reset gave them. */
  protected readonly qAll: Float64Array;
  protected readonly qdAll: Float64Array;
  /** Scratch: the actuated joints' state (spec order). */
  protected readonly tqPos: Float64Array;
  protected readonly tqVel: Float64Array;
  /** The robot's actuators, following the shared actuator law. */
  protected abstract readonly actuators: ActuatorLaw;

  constructor(model: RobotModel, spec: LoadedRobotSpec, plan: RobotPlan, origin: Readonly<Vec3>) {
    this.model = model;
    this.spec = spec;
    this.origin = [...origin];
    this.warnings = [...plan.warnings];
    this.links = plan.bodies.map((b) => ({ name: b.name, mergedLinks: [...b.mergedLinks], massKg: b.mass.massKg }));
    this.movableJointNames = plan.bodies.map((b) => b.joint?.name ?? '');
    this.linkFrames = plan.linkFrames;
    this.act = Int32Array.from(plan.actuatedBodies);
    this.numJoints = this.act.length;
    this.jointLimits = plan.actuatedBodies.map((b) => ({ ...(plan.bodies[b]?.joint?.limit as JointLimit) }));
    this.qAll = new Float64Array(plan.bodies.length);
    this.qdAll = new Float64Array(plan.bodies.length);
    this.tqPos = new Float64Array(this.numJoints);
    this.tqVel = new Float64Array(this.numJoints);
  }

  /** See `SimRobot.readJoints`. */
  abstract readJoints(pos: Float64Array, vel: Float64Array): void;

  /** Index into `links` of the body that carries URDF link `name` (merged links included); -1 if none. */
  linkIndex(name: string): number {
    return this.linkFrames.get(name)?.body ?? -1;
  }

  /** The joint torques/forces the actuators apply now (PD law with effort clamp, or the effort). */
  readTorques(out: Float64Array): void {
    if (this.actuators.positionMode) this.readJoints(this.tqPos, this.tqVel);
    this.actuators.torques(this.tqPos, this.tqVel, out);
  }

  /** Position targets (position mode) or effort commands (effort mode) now in force, spec order. */
  readCommands(out: Float64Array): void {
    out.set(this.actuators.command);
  }

  /** `qAll`/`qdAll` from actuated positions and rates `pos`, `vel` (spec order), every other joint at 0; non-finite values are an error naming the joint. */
  protected takeJoints(pos: ArrayLike<number>, vel: ArrayLike<number>): void {
    this.qAll.fill(0);
    this.qdAll.fill(0);
    for (let k = 0; k < this.numJoints; k++) {
      const p = pos[k] as number, v = vel[k] as number;
      if (!Number.isFinite(p) || !Number.isFinite(v)) throw new Error(`setJoints: joint ${k} (${this.spec.joints[k]?.name}) got position ${p}, velocity ${v}`);
      this.qAll[this.act[k] as number] = p;
      this.qdAll[this.act[k] as number] = v;
    }
  }

  /** `qAll`/`qdAll` from every body's joint state (`movableJointNames` order, the root's ignored); non-finite values are an error naming the joint. */
  protected takeAllJoints(pos: ArrayLike<number>, vel: ArrayLike<number>): void {
    for (let b = 1; b < this.links.length; b++) {
      const p = pos[b] as number, v = vel[b] as number;
      if (!Number.isFinite(p) || !Number.isFinite(v)) throw new Error(`setAllJoints: joint "${this.movableJointNames[b]}" got position ${p}, velocity ${v}`);
      this.qAll[b] = p;
      this.qdAll[b] = v;
    }
  }

  /** The actuated joints' positions in `qAll`, spec order (the targets a reset holds). */
  protected actuatedPositions(): number[] {
    return Array.from(this.act, (b) => this.qAll[b] as number);
  }

  /** Throws unless every number of a base state (`setBase`'s arguments) is finite. */
  protected checkBase(...parts: readonly (readonly number[])[]): void {
    for (const part of parts) for (const x of part) if (!Number.isFinite(x)) throw new Error(`setBase: non-finite value ${x}`);
  }
}
