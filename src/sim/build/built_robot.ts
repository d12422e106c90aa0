/**
 * `BuiltRobot`: one robot built in a shared Rapier world (see `build.ts`), implementing the
 * `SimRobot` interface tasks use on the engine-free `PlannedRobot`. Readouts run per env per physics step, so they reuse scratch
 * objects and call as few Rapier getters as they can (each one crosses into WASM).
 */
import type { Collider, RigidBody, World } from '../rapier.ts';
import type { Quat, RobotModel, Vec3 } from '../../robot/robot_model.ts';
import type { LoadedRobotSpec } from '../../robot/robot_spec.ts';
import type { DrSample } from '../../task/randomize.ts';
import type { SimRobot } from '../../task/sim_robot.ts';
import type { RobotPlan } from '../../robot/robot_plan.ts';
import { BODY_STRIDE, J_NONE, J_PRISMATIC, J_REVOLUTE, forwardKinematics, jointState, originVelocity, type FkBody, type TreeArrays } from '../../robot/kinematics.ts';
import { BodyStateCache, type StepClock } from './body_state.ts';
import { Actuators, type UnitJoint } from './actuators.ts';
import { applyRandomizationTo, loadDrValues, saveDrValues, type DrState } from './randomization.ts';
import { qNormalize, qRotate, vCross, vSub } from '../../robot/math.ts';
import { ContactProbe } from './contact_probe.ts';
import { refetchParts, type RobotState } from './robot_state.ts';
import { PlannedRobot } from '../planned_robot.ts';

export type { StepClock } from './body_state.ts';

/** The Rapier objects `buildRobot` made for one robot, handed to `BuiltRobot`. */
export interface BuiltParts {
  world: World;
  model: RobotModel;
  spec: LoadedRobotSpec;
  origin: Vec3;
  plan: RobotPlan;
  /** One per plan body. */
  bodies: RigidBody[];
  /** The joint to the parent, per body (null for the root). */
  joints: (UnitJoint | null)[];
  /** Colliders per body. */
  colliders: Collider[][];
  /** The Rapier enum value of `MotorModel.ForceBased`. */
  forceBased: number;
  /** The world's step counter, for caching joint-state reads within a step (see `BuildConfig.clock`). */
  clock: StepClock | null;
}

/**
 * One robot in a shared world. Index 0 of `bodies`/`links` is the root. Revolute positions are
 * reported in (-π, π] (continuous joints wrap); the base's linear velocity is that of the root
 * link's origin. Velocity limits and URDF joint friction are not simulated (see `warnings`).
 */
export class BuiltRobot extends PlannedRobot implements SimRobot {
  /**
   * The Rapier bodies, `links` order (for the viewer). Remove them with `dispose()` only. The
   * arrays stay the same, but `rebind` replaces their elements.
   */
  readonly bodies: readonly RigidBody[];
  /** Colliders of each body, `links` order. */
  readonly colliders: readonly (readonly Collider[])[];
  /** The joint attaching each body to its parent (null for the root), `links` order. */
  readonly joints: readonly (UnitJoint | null)[];

  private world: World;
  /** The arrays behind `bodies`, `colliders` and `joints` (`rebind` refills them). */
  private readonly parts: Pick<BuiltParts, 'bodies' | 'colliders' | 'joints'>;
  private readonly tree: TreeArrays;
  private readonly dynamic: boolean[];
  /** Pose of `links[i].name`'s frame in body i's frame: 7 per body (p, q). */
  private readonly namedFrame: Float64Array;
  /** Body states read from Rapier (fixed bodies hold their build pose). */
  private readonly state: BodyStateCache;
  /** `state.st`: BODY_STRIDE numbers per body. */
  private readonly st: Float64Array;
  protected readonly actuators: Actuators;
  /** Effort mode with joint damping: prePhysicsStep refreshes the damping force. */
  private dampedEffort = false;
  private readonly dr: DrState;
  private readonly js = new Float64Array(2);
  private readonly sv = { x: 0, y: 0, z: 0 };
  private readonly sq = { x: 0, y: 0, z: 0, w: 1 };
  private readonly contacts: ContactProbe;
  private disposed = false;

  constructor(parts: BuiltParts) {
    super(parts.model, parts.spec, parts.plan, parts.origin);
    const { plan, spec } = parts;
    this.world = parts.world;
    this.parts = parts;
    this.bodies = parts.bodies;
    this.colliders = parts.colliders;
    this.joints = parts.joints;
    this.namedFrame = Float64Array.from(plan.bodies.flatMap((b) => {
      const f = plan.linkFrames.get(b.name);
      return f === undefined ? [0, 0, 0, 0, 0, 0, 1] : [...f.pose.p, ...f.pose.q];
    }));
    this.tree = {
      parent: Int32Array.from(plan.bodies, (b) => b.parent),
      type: Uint8Array.from(plan.bodies, (b) => (b.joint === null ? J_NONE : b.joint.type === 'prismatic' ? J_PRISMATIC : J_REVOLUTE)),
      anchor: Float64Array.from(plan.bodies.flatMap((b) => b.joint?.anchor1 ?? [0, 0, 0])),
      axis: Float64Array.from(plan.bodies.flatMap((b) => b.joint?.axis ?? [0, 0, 0])),
      com: Float64Array.from(plan.bodies.flatMap((b) => b.mass.com)),
    };
    this.dynamic = plan.bodies.map((_, i) => i > 0 || !plan.rootFixed);
    this.state = new BodyStateCache((i) => this.body(i), this.tree, this.act, this.dynamic, parts.clock);
    this.st = this.state.st;
    this.actuators = new Actuators({
      spec, joints: this.joints, act: this.act, jointLimits: this.jointLimits, forceBased: parts.forceBased,
      urdfDamping: Float64Array.from(plan.bodies, (b) => b.joint?.damping ?? 0),
    });
    this.contacts = new ContactProbe(parts.world, parts.colliders, plan.bodies.map((b) => b.colliders.map((c) => c.link)));
    this.dr = {
      plan, bodies: parts.bodies, colliders: parts.colliders, dynamic: this.dynamic, world: parts.world,
      massKg: plan.bodies.map((b) => b.mass.massKg), massScale: 1, addedMassKg: 0, friction: 1, restitution: 0,
      gravityDiff: [0, 0, 0],
    };
    this.actuators.reset(spec.joints.map((j) => j.default_pos));
    this.dampedEffort = this.actuators.dampedEffort;
  }

  // -- readout

  readJoints(pos: Float64Array, vel: Float64Array): void {
    this.state.forJoints();
    const js = this.js;
    for (let k = 0; k < this.act.length; k++) {
      jointState(this.tree, this.st, this.act[k] as number, js);
      pos[k] = js[0] as number;
      vel[k] = js[1] as number;
    }
  }

  /**
   * Every joint's position and rate, actuated or not, indexed by child body like
   * `movableJointNames` (index 0, the root, gets 0): how tasks read passive joints.
   */
  readAllJoints(pos: Float64Array, vel: Float64Array): void {
    const n = this.bodies.length;
    this.state.forAllJoints();
    pos[0] = 0;
    vel[0] = 0;
    for (let b = 1; b < n; b++) {
      jointState(this.tree, this.st, b, this.js);
      pos[b] = this.js[0] as number;
      vel[b] = this.js[1] as number;
    }
  }

  readBase(out: Float64Array): void {
    if (this.dynamic[0]) this.state.refresh(0);
    const st = this.st;
    const o = this.origin;
    out[0] = (st[0] as number) - o[0];
    out[1] = (st[1] as number) - o[1];
    out[2] = (st[2] as number) - o[2];
    for (let i = 3; i < 7; i++) out[i] = st[i] as number;
    originVelocity(this.tree, st, 0, out, 7);
    out[10] = st[10] as number;
    out[11] = st[11] as number;
    out[12] = st[12] as number;
  }

  /** Pose of the frame of URDF link `links[i].name`: position relative to origin, quaternion xyzw. */
  readLinkPose(i: number, out: Float64Array): void {
    const body = this.body(i);
    body.translation(this.sv);
    body.rotation(this.sq);
    const f = this.namedFrame;
    const o = 7 * i;
    const { x, y, z, w } = this.sq;
    const fx = f[o] as number, fy = f[o + 1] as number, fz = f[o + 2] as number;
    const tx = 2 * (y * fz - z * fy), ty = 2 * (z * fx - x * fz), tz = 2 * (x * fy - y * fx);
    out[0] = this.sv.x + fx + w * tx + (y * tz - z * ty) - this.origin[0];
    out[1] = this.sv.y + fy + w * ty + (z * tx - x * tz) - this.origin[1];
    out[2] = this.sv.z + fz + w * tz + (x * ty - y * tx) - this.origin[2];
    const bx = f[o + 3] as number, by = f[o + 4] as number, bz = f[o + 5] as number, bw = f[o + 6] as number;
    out[3] = w * bx + x * bw + y * bz - z * by;
    out[4] = w * by - x * bz + y * bw + z * bx;
    out[5] = w * bz + x * by - y * bx + z * bw;
    out[6] = w * bw - x * bx - y * by - z * bz;
  }

  // -- state setting

  setJoints(pos: ArrayLike<number>, vel: ArrayLike<number>): void {
    this.takeJoints(pos, vel);
    if (this.dynamic[0]) this.state.refresh(0);
    this.applyState(this.rootState());
    this.actuators.reset(pos);
  }

  /**
   * Like `setJoints` for every joint, actuated or not, indexed by child body like
   * `movableJointNames` (index 0 ignored): how tasks reset passive joints.
   */
  setAllJoints(pos: ArrayLike<number>, vel: ArrayLike<number>): void {
    this.takeAllJoints(pos, vel);
    if (this.dynamic[0]) this.state.refresh(0);
    this.applyState(this.rootState());
    this.actuators.reset(this.actuatedPositions());
  }

  setBase(pos: Readonly<Vec3>, quat: readonly [number, number, number, number], linVel: Readonly<Vec3>, angVel: Readonly<Vec3>): void {
    if (!this.dynamic[0]) return;
    this.checkBase(pos, quat, linVel, angVel);
    this.readAllJoints(this.qAll, this.qdAll);
    const o = this.origin;
    this.applyState({ p: [pos[0] + o[0], pos[1] + o[1], pos[2] + o[2]], q: qNormalize([...quat]), v: [...linVel], w: [...angVel] });
  }

  /** The root's current pose and origin velocity (from the state array). */
  private rootState(): FkBody {
    const st = this.st;
    const q: Quat = [st[3] as number, st[4] as number, st[5] as number, st[6] as number];
    const w: Vec3 = [st[10] as number, st[11] as number, st[12] as number];
    const c = qRotate(q, [this.tree.com[0] as number, this.tree.com[1] as number, this.tree.com[2] as number]);
    return { p: [st[0] as number, st[1] as number, st[2] as number], q, v: vSub([st[7] as number, st[8] as number, st[9] as number], vCross(w, c)), w };
  }

  /** Teleports every dynamic body to the forward kinematics of `root` and `qAll`/`qdAll`. */
  private applyState(root: FkBody): void {
    this.state.invalidate();
    forwardKinematics(this.tree, root, this.qAll, this.qdAll, this.st);
    const st = this.st;
    for (let b = 0; b < this.bodies.length; b++) {
      if (!this.dynamic[b]) continue;
      const body = this.body(b);
      const o = b * BODY_STRIDE;
      body.setTranslation({ x: st[o] as number, y: st[o + 1] as number, z: st[o + 2] as number }, true);
      body.setRotation({ x: st[o + 3] as number, y: st[o + 4] as number, z: st[o + 5] as number, w: st[o + 6] as number }, true);
      body.setLinvel({ x: st[o + 7] as number, y: st[o + 8] as number, z: st[o + 9] as number }, true);
      body.setAngvel({ x: st[o + 10] as number, y: st[o + 11] as number, z: st[o + 12] as number }, true);
    }
  }

  // -- actuation

  setAction(action: ArrayLike<number>): void {
    this.actuators.setAction(action);
  }

  /** Effort mode with joint damping: refreshes each damped joint's force for the current rate. */
  prePhysicsStep(dtS: number): void {
    void dtS;
    if (!this.dampedEffort) return;
    this.readJoints(this.tqPos, this.tqVel);
    this.actuators.dampingStep(this.tqVel);
  }

  inContact(i: number): boolean {
    this.body(i);
    return this.contacts.body(i);
  }

  linkContactIndex(name: string): number {
    return this.contacts.linkIndex(name);
  }

  linkInContact(l: number): boolean {
    return this.contacts.link(l);
  }

  // -- randomization and pushes

  applyRandomization(sample: DrSample): void {
    applyRandomizationTo({ dr: this.dr, actuators: this.actuators }, sample);
    this.dampedEffort = this.actuators.dampedEffort;
  }

  /** The mass (kg) each body has now, randomization included, `links` order. */
  massesKg(): number[] {
    return [...this.dr.massKg];
  }

  push(i: number, dv: Readonly<Vec3>): void {
    const body = this.body(i);
    if (!this.dynamic[i]) return;
    this.state.invalidate();
    body.linvel(this.sv);
    this.sv.x += dv[0];
    this.sv.y += dv[1];
    this.sv.z += dv[2];
    body.setLinvel(this.sv, true);
  }

  // -- checkpoints

  /**
   * What this robot keeps in JavaScript beside the world (actuator commands and last-sent motor
   * settings, randomization values in force). Save it together with a world snapshot.
   */
  saveState(): RobotState {
    return { actuators: this.actuators.saveState(), dr: saveDrValues(this.dr) };
  }

  /**
   * Restores `saveState`'s values, after `rebind` to the restored world; sends nothing to
   * Rapier (the snapshot holds the motors, masses and forces) and drops cached readouts.
   */
  loadState(s: RobotState): void {
    this.actuators.loadState(s.actuators);
    loadDrValues(this.dr, s.dr);
    this.dampedEffort = this.actuators.dampedEffort;
    this.state.invalidate();
  }

  /**
   * Moves the robot onto `world`, a world restored from a snapshot of the one it was built in:
   * its bodies, colliders and joints are re-fetched by handle (in place in `bodies`,
   * `colliders`, `joints`). Throws, changing nothing, when the snapshot lacks one of them.
   * The caller frees the old world.
   */
  rebind(world: World): void {
    if (this.disposed) throw new Error('the robot was disposed');
    refetchParts(world, this.parts.bodies, this.parts.colliders, this.parts.joints);
    this.world = world;
    this.dr.world = world;
    this.contacts.rebind(world);
    this.state.invalidate();
  }

  /** Removes the robot's bodies, colliders and joints from the world. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.bodies) this.world.removeRigidBody(b);
  }

  // -- internals

  private body(i: number): RigidBody {
    const b = this.bodies[i];
    if (b === undefined) throw new RangeError(`body index ${i} is outside [0, ${this.bodies.length})`);
    if (this.disposed) throw new Error('the robot was disposed');
    return b;
  }
}
