/**
 * `MujocoRobot`: one robot in its own MuJoCo model and data, implementing the `SimRobot`
 * interface tasks use, so a task runs on MuJoCo dynamics unchanged. Each env has its own model
 * copy (randomization writes masses, friction, gains and gravity into it) whose world frame is
 * the env's frame: positions read from it are already relative to the env's `origin`.
 *
 * MuJoCo works in generalized coordinates: joint positions and rates are read and set directly
 * (`qpos`, `qvel`), the floating base is a free joint (its linear velocity in world axes, its
 * angular velocity in the body's, converted here), and a state change is followed by
 * `mj_forward` so poses and contacts match it. Revolute positions are reported in (−π, π], as
 * Rapier reports them. A push is the impulse m·Δv at the body's centre of mass, delivered over
 * the next physics step (`xfrc_applied`), which is what Rapier's velocity kick amounts to once
 * its joints share it out.
 */
import type { Mujoco, MjData, MjModel } from './mujoco_wasm.ts';
import type { RobotModel, Vec3 } from '../robot/robot_model.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';
import type { RobotPlan } from '../robot/robot_plan.ts';
import type { DrSample } from '../task/randomize.ts';
import type { SimRobot } from '../task/sim_robot.ts';
import { PlannedRobot } from '../sim/planned_robot.ts';
import { qNormalize, qRotate, qConj, qMul, vAdd, type RigidPose } from '../robot/math.ts';
import { MujocoActuators } from './mujoco_actuators.ts';
import { MujocoContacts } from './mujoco_contacts.ts';
import { applyMujocoRandomization, type MujocoDrTarget } from './mujoco_randomization.ts';
import { mujocoIndex, type MujocoIndex } from './mujoco_index.ts';

/** What the scene hands a new robot: its model copy and data, and the plan both were built from. */
export interface MujocoParts {
  mj: Mujoco;
  m: MjModel;
  d: MjData;
  model: RobotModel;
  spec: LoadedRobotSpec;
  plan: RobotPlan;
  origin: Vec3;
}

/** The data arrays read every step (views into the WASM memory, refetched when it grows). */
interface DataViews {
  qpos: Float64Array;
  qvel: Float64Array;
  xpos: Float64Array;
  xquat: Float64Array;
  xfrc: Float64Array;
}

const TWO_PI = 2 * Math.PI;

/** An angle in (−π, π]. */
function wrapAngle(a: number): number {
  return a - TWO_PI * Math.ceil((a - Math.PI) / TWO_PI);
}

/** One robot on MuJoCo. Index 0 of `links` is the root. */
export class MujocoRobot extends PlannedRobot implements SimRobot {
  private readonly mj: Mujoco;
  private readonly m: MjModel;
  private readonly d: MjData;
  private readonly ix: MujocoIndex;
  protected readonly actuators: MujocoActuators;
  private readonly contacts: MujocoContacts;
  private readonly dr: MujocoDrTarget;
  private views: DataViews;
  /** Bumped at every physics step and state change: contact flags are read once per version. */
  private version = 0;
  /** A push waiting for the next physics step (the impulse m·Δv, world axes) and its body, and the body the last step pushed. */
  private pushImpulse: Vec3 | null = null;
  private pushBody = -1;
  private pushedBody = -1;
  private disposed = false;

  constructor(p: MujocoParts) {
    super(p.model, p.spec, p.plan, p.origin);
    const { plan, spec } = p;
    this.mj = p.mj;
    this.m = p.m;
    this.d = p.d;
    this.ix = mujocoIndex(p.mj, p.m, plan);
    const ix = this.ix;
    const act = plan.actuatedBodies;
    const passive = plan.bodies.map((_, b) => b).filter((b) => b > 0 && !act.includes(b));
    this.actuators = new MujocoActuators({
      spec, jointLimits: this.jointLimits,
      jointDamping: Float64Array.from(act, (b) => plan.bodies[b]?.joint?.damping ?? 0),
      actuatorIds: ix.actuatorIds, dofAdr: Int32Array.from(act, (b) => ix.dofAdr[b] as number),
      passiveDofAdr: Int32Array.from(passive, (b) => ix.dofAdr[b] as number),
      passiveDamping: Float64Array.from(passive, (b) => plan.bodies[b]?.joint?.damping ?? 0),
    });
    this.contacts = new MujocoContacts(plan.bodies.length, ix.contactLinks, ix.geomBody, ix.geomLink);
    this.dr = {
      mj: p.mj, m: p.m, d: p.d, plan, bodyIds: ix.bodyIds, dynamic: plan.bodies.map((_, i) => i > 0 || !plan.rootFixed),
      robotGeoms: ix.robotGeoms, actuators: this.actuators, massKg: plan.bodies.map((b) => b.mass.massKg), massScale: 1, addedMassKg: 0, friction: 1,
    };
    this.views = this.fetchViews();
    this.actuators.configure(p.m);
    this.actuators.reset(spec.joints.map((j) => j.default_pos), p.d);
    this.mj.mj_forward(p.m, p.d);
  }

  // -- readout

  readJoints(pos: Float64Array, vel: Float64Array): void {
    const { qpos, qvel } = this.v();
    const act = this.act;
    for (let k = 0; k < act.length; k++) {
      const b = act[k] as number;
      const q = qpos[this.ix.qposAdr[b] as number] as number;
      pos[k] = this.ix.hinge[b] ? wrapAngle(q) : q;
      vel[k] = qvel[this.ix.dofAdr[b] as number] as number;
    }
  }

  readAllJoints(pos: Float64Array, vel: Float64Array): void {
    const { qpos, qvel } = this.v();
    pos[0] = 0;
    vel[0] = 0;
    for (let b = 1; b < this.links.length; b++) {
      const q = qpos[this.ix.qposAdr[b] as number] as number;
      pos[b] = this.ix.hinge[b] ? wrapAngle(q) : q;
      vel[b] = qvel[this.ix.dofAdr[b] as number] as number;
    }
  }

  readBase(out: Float64Array): void {
    const { qpos, qvel, xpos, xquat } = this.v();
    if (this.ix.freeQpos < 0) {
      const id = this.ix.bodyIds[0] as number;
      for (let a = 0; a < 3; a++) out[a] = xpos[3 * id + a] as number;
      out[3] = xquat[4 * id + 1] as number;
      out[4] = xquat[4 * id + 2] as number;
      out[5] = xquat[4 * id + 3] as number;
      out[6] = xquat[4 * id] as number;
      out.fill(0, 7, 13);
      return;
    }
    const a = this.ix.freeQpos, v = this.ix.freeDof;
    out[0] = qpos[a] as number;
    out[1] = qpos[a + 1] as number;
    out[2] = qpos[a + 2] as number;
    const q: [number, number, number, number] = [qpos[a + 4] as number, qpos[a + 5] as number, qpos[a + 6] as number, qpos[a + 3] as number];
    out[3] = q[0];
    out[4] = q[1];
    out[5] = q[2];
    out[6] = q[3];
    out[7] = qvel[v] as number;
    out[8] = qvel[v + 1] as number;
    out[9] = qvel[v + 2] as number;
    // the free joint's angular velocity is in the body's axes
    const w = qRotate(q, [qvel[v + 3] as number, qvel[v + 4] as number, qvel[v + 5] as number]);
    out[10] = w[0];
    out[11] = w[1];
    out[12] = w[2];
  }

  readLinkPose(i: number, out: Float64Array): void {
    const { xpos, xquat } = this.v();
    const id = this.bodyId(i);
    const body: RigidPose = {
      p: [xpos[3 * id] as number, xpos[3 * id + 1] as number, xpos[3 * id + 2] as number],
      q: [xquat[4 * id + 1] as number, xquat[4 * id + 2] as number, xquat[4 * id + 3] as number, xquat[4 * id] as number],
    };
    const f = this.linkFrames.get(this.links[i]?.name as string)?.pose ?? { p: [0, 0, 0], q: [0, 0, 0, 1] };
    const p = vAdd(body.p, qRotate(body.q, f.p));
    const q = qMul(body.q, f.q);
    out.set(p, 0);
    out.set(q, 3);
  }

  // -- state setting

  setJoints(pos: ArrayLike<number>, vel: ArrayLike<number>): void {
    this.takeJoints(pos, vel);
    this.writeJoints();
    this.actuators.reset(pos, this.d);
  }

  setAllJoints(pos: ArrayLike<number>, vel: ArrayLike<number>): void {
    this.takeAllJoints(pos, vel);
    this.writeJoints();
    this.actuators.reset(this.actuatedPositions(), this.d);
  }

  setBase(pos: Readonly<Vec3>, quat: readonly [number, number, number, number], linVel: Readonly<Vec3>, angVel: Readonly<Vec3>): void {
    if (this.ix.freeQpos < 0) return;
    this.checkBase(pos, quat, linVel, angVel);
    const { qpos, qvel } = this.v();
    const a = this.ix.freeQpos, v = this.ix.freeDof;
    const q = qNormalize([...quat]);
    qpos.set(pos, a);
    qpos.set([q[3], q[0], q[1], q[2]], a + 3);
    qvel.set(linVel, v);
    qvel.set(qRotate(qConj(q), angVel), v + 3);
    this.forward();
  }

  /** Writes `qAll`/`qdAll` into every joint's coordinates and brings poses and contacts up to date. */
  private writeJoints(): void {
    const { qpos, qvel } = this.v();
    for (let b = 1; b < this.links.length; b++) {
      qpos[this.ix.qposAdr[b] as number] = this.qAll[b] as number;
      qvel[this.ix.dofAdr[b] as number] = this.qdAll[b] as number;
    }
    this.forward();
  }

  private forward(): void {
    this.mj.mj_forward(this.m, this.d);
    this.version++;
  }

  // -- actuation and stepping

  setAction(action: ArrayLike<number>): void {
    this.actuators.setAction(action, this.d);
  }

  /** Puts a pending push on its body for this step, and takes the last step's push off. */
  prePhysicsStep(dtS: number): void {
    const { xfrc } = this.v();
    if (this.pushedBody >= 0) {
      xfrc.fill(0, 6 * this.pushedBody, 6 * this.pushedBody + 3);
      this.pushedBody = -1;
    }
    if (this.pushImpulse !== null) {
      const id = this.pushBody;
      for (let a = 0; a < 3; a++) xfrc[6 * id + a] = (this.pushImpulse[a] as number) / dtS;
      this.pushedBody = id;
      this.pushImpulse = null;
    }
  }

  /** One physics step of this robot's model (`mj_step`). */
  stepPhysics(): void {
    this.mj.mj_step(this.m, this.d);
    this.version++;
  }

  inContact(i: number): boolean {
    this.bodyId(i);
    return this.contacts.body(this.d, this.version, i);
  }

  linkContactIndex(name: string): number {
    return this.contacts.linkIndex(name);
  }

  linkInContact(l: number): boolean {
    return this.contacts.link(this.d, this.version, l);
  }

  // -- randomization and pushes

  applyRandomization(sample: DrSample): void {
    applyMujocoRandomization(this.dr, sample);
    this.views = this.fetchViews();
    this.version++;
  }

  /** The mass (kg) each body has now, randomization included, `links` order. */
  massesKg(): number[] {
    return [...this.dr.massKg];
  }

  /** Adds `dv` (m/s, world) to body `i`'s velocity as the impulse m·dv at its centre of mass, over the next physics step. */
  push(i: number, dv: Readonly<Vec3>): void {
    const id = this.bodyId(i);
    if (!this.dr.dynamic[i]) return;
    const m = this.dr.massKg[i] as number;
    this.pushBody = id;
    this.pushImpulse = [m * dv[0], m * dv[1], m * dv[2]];
  }

  /** Frees the robot's model and data. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.d.delete();
    this.m.delete();
  }

  // -- internals

  /** The data views, refetched when the WASM memory has grown (which detaches the old ones). */
  private v(): DataViews {
    if (this.disposed) throw new Error('the robot was disposed');
    if (this.views.qpos.length === 0) this.views = this.fetchViews();
    return this.views;
  }

  private fetchViews(): DataViews {
    const d = this.d;
    return { qpos: d.qpos, qvel: d.qvel, xpos: d.xpos, xquat: d.xquat, xfrc: d.xfrc_applied };
  }

  private bodyId(i: number): number {
    const id = this.ix.bodyIds[i];
    if (id === undefined) throw new RangeError(`body index ${i} is outside [0, ${this.links.length})`);
    if (this.disposed) throw new Error('the robot was disposed');
    return id;
  }
}
