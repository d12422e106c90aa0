/**
 * What a task sees of one simulated robot: joint and base state readout, state setting for
 * resets, actuation, contacts, domain randomization and pushes. `src/sim/build/built_robot.ts` implements
 * it on Rapier bodies and impulse joints; tasks in `envs/` only use this interface, so they
 * know nothing of the physics engine.
 *
 * Arrays are in the robot spec's joint order (the action order). Positions are relative to
 * the env's origin in the shared world (`origin`); orientations are quaternions `[x, y, z, w]`;
 * velocities are in the world frame unless a name says otherwise. Z is up.
 */
import type { JointLimit, RobotModel, Vec3 } from '../robot/robot_model.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';
import type { DrSample } from './randomize.ts';

/** One rigid body of the built robot: a URDF link plus the links merged into it by fixed joints. */
export interface SimLink {
  /** The URDF link that owns the body. */
  name: string;
  /** URDF links welded into this body by fixed joints (including `name`). */
  mergedLinks: string[];
  /** Nominal mass (kg), before randomization. */
  massKg: number;
}

export interface SimRobot {
  readonly model: RobotModel;
  readonly spec: LoadedRobotSpec;
  /** Actuated joints (spec order). */
  readonly numJoints: number;
  /** Limits per actuated joint, from the URDF (spec order). */
  readonly jointLimits: readonly JointLimit[];
  /** Bodies after merging fixed joints; index 0 is the root. */
  readonly links: readonly SimLink[];
  /** The env's origin in the shared world. */
  readonly origin: Readonly<Vec3>;

  /**
   * Every body's joint name to its parent, `links` order (`''` for the root): the order of
   * `readAllJoints` / `setAllJoints`, which also reach joints the spec does not drive.
   */
  readonly movableJointNames: readonly string[];

  /**
   * Actuated joint positions and velocities (spec order) into `pos`, `vel`. Revolute angles,
   * continuous joints included, are in (−π, π] (no unwrapping).
   */
  readJoints(pos: Float64Array, vel: Float64Array): void;
  /** Positions and velocities of every body's joint (`movableJointNames` order; 0 for the root). */
  readAllJoints(pos: Float64Array, vel: Float64Array): void;
  /** Like `setJoints`, for every body's joint (`movableJointNames` order; the root's entry is ignored). */
  setAllJoints(pos: ArrayLike<number>, vel: ArrayLike<number>): void;
  /**
   * Teleports every body to the forward-kinematics pose of these joint positions and gives
   * them the matching velocities, with the root where it is (fixed base) or where `setBase`
   * put it. Unactuated non-fixed joints are set to 0.
   */
  setJoints(pos: ArrayLike<number>, vel: ArrayLike<number>): void;
  /**
   * Root link state into `out` (length ≥ 13): position of the root link's frame relative to
   * origin (3), its orientation quaternion xyzw (4), the linear velocity of that frame's origin
   * (3), angular velocity (3); world frame.
   */
  readBase(out: Float64Array): void;
  /** Places the root (floating base; ignored for a fixed base) and then re-applies the joint state. */
  setBase(pos: Readonly<Vec3>, quat: readonly [number, number, number, number], linVel: Readonly<Vec3>, angVel: Readonly<Vec3>): void;
  /**
   * Pose of the URDF frame of `links[i].name` (the link that owns body `i`) into `out`
   * (length ≥ 7): position relative to origin, quaternion xyzw.
   */
  readLinkPose(i: number, out: Float64Array): void;
  /** Index into `links` of the body that carries URDF link `name` (merged links included); -1 if none. */
  linkIndex(name: string): number;

  /**
   * Sets the command for the next control period from a policy action (spec order): clipped to
   * ±action_clip, scaled, then position targets (clamped to joint limits) or efforts (clamped
   * to effort limits). Non-finite entries are an error, never a motor command.
   */
  setAction(action: ArrayLike<number>): void;
  /** Called before every physics step: applies effort commands as impulses (effort mode). */
  prePhysicsStep(dtS: number): void;
  /** The joint torques/forces the actuators apply now (PD law with effort clamp, or the effort). */
  readTorques(out: Float64Array): void;
  /** Whether body `i` touches anything (the ground) with a non-zero contact impulse. */
  inContact(i: number): boolean;
  /**
   * Index for `linkInContact` of URDF link `name`'s own collision shapes — also for a link
   * welded into another body by a fixed joint, such as a foot into its calf; -1 if it has none.
   */
  linkContactIndex(name: string): number;
  /** Whether the shapes behind `linkContactIndex` index `l` touch anything with a non-zero impulse. */
  linkInContact(l: number): boolean;

  /** Applies a sampled set of randomized physical parameters (masses, friction, gains, gravity…). */
  applyRandomization(sample: DrSample): void;
  /** Adds `dv` (m/s, world) to body `i`'s linear velocity: legged_gym-style push. */
  push(i: number, dv: Readonly<Vec3>): void;
}
