/**
 * The parsed form of a URDF robot description: plain data, no physics engine objects.
 * `src/robot/urdf/urdf_loader.ts` produces it, `src/sim/build/build.ts` turns it into Rapier bodies and joints.
 * Units are SI (m, kg, rad, N, N·m); frames follow URDF (z up, right-handed).
 */

/** A 3-vector `[x, y, z]`. */
export type Vec3 = [number, number, number];
/** A unit quaternion `[x, y, z, w]`. */
export type Quat = [number, number, number, number];

/** A rigid transform: URDF `<origin xyz rpy>`, with rpy kept and also given as a quaternion. */
export interface Pose {
  xyz: Vec3;
  rpy: Vec3;
  /** The same rotation as `rpy` (fixed-axis roll, then pitch, then yaw). */
  quat: Quat;
}

/** URDF `<inertial>`: mass and inertia tensor about the centre of mass, in the `origin` frame. */
export interface Inertial {
  origin: Pose;
  massKg: number;
  ixx: number;
  ixy: number;
  ixz: number;
  iyy: number;
  iyz: number;
  izz: number;
}

/** Collision geometry. A URDF cylinder's axis is its local z (Rapier's is y: build.ts rotates). */
export type Geometry =
  | { kind: 'box'; size: Vec3 }
  | { kind: 'sphere'; radius: number }
  | { kind: 'cylinder'; radius: number; length: number }
  /** Capsule along local z; `length` is the cylindrical part, without the two caps. */
  | { kind: 'capsule'; radius: number; length: number }
  /** A convex hull of the given vertices (see docs/urdf.md for how meshes are handled). */
  | { kind: 'convex'; vertices: Float32Array; source: string };

export interface Collision {
  name?: string;
  origin: Pose;
  geometry: Geometry;
}

export interface Link {
  name: string;
  /** Absent for massless frames (they are merged into their parent by fixed joints). */
  inertial?: Inertial;
  collisions: Collision[];
}

export type JointType = 'revolute' | 'continuous' | 'prismatic' | 'fixed' | 'floating';

export interface JointLimit {
  /** rad or m; -Infinity for continuous joints and for limits that give no lower/upper (see docs/urdf.md). */
  lower: number;
  /** rad or m; +Infinity for continuous joints and for limits that give no lower/upper. */
  upper: number;
  /** N·m (revolute) or N (prismatic). */
  effort: number;
  /** rad/s or m/s. */
  velocity: number;
}

export interface Joint {
  name: string;
  type: JointType;
  parent: string;
  child: string;
  /** Transform from the parent link frame to the joint (= child link) frame at q = 0. */
  origin: Pose;
  /** Unit axis in the joint frame. */
  axis: Vec3;
  limit?: JointLimit;
  /** Viscous damping (N·m·s/rad or N·s/m) and Coulomb friction (N·m or N). */
  dynamics: { damping: number; friction: number };
}

/** A whole parsed robot. Links and joints keep the file's order. */
export interface RobotModel {
  name: string;
  links: Link[];
  joints: Joint[];
  /** The link that is no joint's child. */
  rootLink: string;
  /**
   * Things the loader read but does not simulate (visual meshes, materials, transmissions,
   * gazebo tags, mimic joints, safety controllers…): one human-readable line each.
   */
  warnings: string[];
}
