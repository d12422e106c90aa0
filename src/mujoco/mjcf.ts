/**
 * MJCF from the project's own robot model: the engine-free build plan (`planRobot`, the plan
 * Rapier is built from) written as a MuJoCo model, so both engines get the same bodies (links
 * merged across fixed joints), masses, centres of mass and principal inertias, collision
 * shapes, joint axes, limits and damping. MuJoCo's URDF compiler is not used: it would re-derive
 * all of these by its own rules (and drops a URDF floating joint); see docs/sim2sim.md.
 *
 * Frames follow the plan: every body has the root's orientation at the zero pose and its origin
 * at its owning URDF link's frame, so a child body sits at its joint's anchor with no rotation
 * and a joint's axis has the same coordinates in both bodies. Robot shapes touch the ground
 * only, and their friction decides a contact (`priority`), as the robot's friction times a
 * ground of friction 1 does in Rapier. Actuators are generic ones whose gains the robot sets
 * from its actuator law (`mujoco_actuators.ts`); the values written here are the nominal ones.
 */
import type { Geometry, Vec3 } from '../robot/robot_model.ts';
import type { BodyPlan, RobotPlan } from '../robot/robot_plan.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';

/** Contact filter bits: robot shapes collide with the ground, never with each other. */
const GROUND_TYPE = 1;
const ROBOT_TYPE = 2;
/** Arena per model (contacts, constraint rows, solver scratch): an upside-down quadruped uses 67 kB of it. */
const ARENA = '1M';

/** The actuator and damping values one robot starts with (spec order for actuators, plan body order for damping). */
export interface MjcfActuation {
  /** Position control: Kp; effort control: unused. */
  kp: ArrayLike<number>;
  /** Position control: the velocity gain (Kd plus the joint's damping). */
  kv: ArrayLike<number>;
  /** Effort limit per actuated joint (N·m or N); Infinity: none. */
  forceLimit: ArrayLike<number>;
  /** Passive viscous damping of each body's joint (index 0, the root, unused). */
  dofDamping: ArrayLike<number>;
}

/** What a MuJoCo model of one robot is made from. */
export interface MjcfConfig {
  plan: RobotPlan;
  spec: LoadedRobotSpec;
  /** Gravity (m/s², z up). */
  gravity: Vec3;
  actuation: MjcfActuation;
}

/** Body `i`'s name in the MJCF (URDF names may clash with MuJoCo's `world` or hold any character). */
export const mjcfBodyName = (i: number): string => `body${i}`;
/** The name of the joint of body `i`. */
export const mjcfJointName = (i: number): string => `joint${i}`;
/** The name of the actuator of spec joint `k`. */
export const mjcfActuatorName = (k: number): string => `actuator${k}`;
/** The name of collider `c` of body `i` (plan order). */
export const mjcfGeomName = (i: number, c: number): string => `geom${i}_${c}`;

/** The MJCF text of `cfg.plan`'s robot on a plane at z = 0, the root at the plan's pose. */
export function robotMjcf(cfg: MjcfConfig): string {
  const { plan, spec, gravity } = cfg;
  const meshes: string[] = [];
  const children: number[][] = plan.bodies.map(() => []);
  plan.bodies.forEach((b, i) => { if (b.parent >= 0) children[b.parent]!.push(i); });
  const lines: string[] = [];
  // depth-first with an explicit stack (a URDF chain of any length cannot overflow the call stack)
  const stack: { body: number; open: boolean }[] = [{ body: 0, open: true }];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    if (!e.open) { lines.push('</body>'); continue; }
    lines.push(...bodyLines(cfg, e.body, meshes));
    stack.push({ body: e.body, open: false });
    const kids = children[e.body] as number[];
    for (let k = kids.length - 1; k >= 0; k--) stack.push({ body: kids[k] as number, open: true });
  }
  return [
    `<mujoco model="${xmlText(plan.bodies[0]?.name ?? 'robot')}">`,
    '<compiler angle="radian" inertiafromgeom="false" autolimits="false" boundmass="0" boundinertia="0"/>',
    `<option timestep="${num(spec.physics_dt_s)}" integrator="implicitfast" cone="elliptic" impratio="100" gravity="${vec(gravity)}"><flag autoreset="disable"/></option>`,
    `<size memory="${ARENA}"/>`,
    ...(meshes.length > 0 ? ['<asset>', ...meshes, '</asset>'] : []),
    '<worldbody>',
    `<geom name="ground" type="plane" size="0 0 1" contype="${GROUND_TYPE}" conaffinity="${ROBOT_TYPE}" condim="3" friction="1 0.005 0.0001"/>`,
    ...lines,
    '</worldbody>',
    ...actuatorLines(cfg),
    '</mujoco>',
  ].join('\n');
}

/** The opening of body `i` (pose, joint, inertial, geoms); its children and `</body>` follow. */
function bodyLines(cfg: MjcfConfig, i: number, meshes: string[]): string[] {
  const { plan } = cfg;
  const b = plan.bodies[i] as BodyPlan;
  const root = i === 0;
  const pos = root ? plan.rootPose.p : (b.joint?.anchor1 ?? b.refPos);
  const quat = root ? ` quat="${quatWxyz(plan.rootPose.q)}"` : '';
  const out = [`<body name="${mjcfBodyName(i)}" pos="${vec(pos)}"${quat}>`];
  if (root && !plan.rootFixed) out.push('<freejoint name="root"/>');
  const j = b.joint;
  if (j !== null) {
    const type = j.type === 'prismatic' ? 'slide' : 'hinge';
    const limit = j.enforceLimits ? `limited="true" range="${num(j.limit.lower)} ${num(j.limit.upper)}"` : 'limited="false"';
    out.push(`<joint name="${mjcfJointName(i)}" type="${type}" pos="0 0 0" axis="${vec(j.axis)}" ${limit} damping="${num(cfg.actuation.dofDamping[i] ?? 0)}" armature="0" frictionloss="0"/>`);
  }
  const m = b.mass;
  if (m.massKg > 0) {
    out.push(`<inertial pos="${vec(m.com)}" quat="${quatWxyz(m.frame)}" mass="${num(m.massKg)}" diaginertia="${vec(m.inertia)}"/>`);
  }
  b.colliders.forEach((c, k) => {
    const shape = shapeAttributes(c.collision.geometry, `mesh${i}_${k}`, meshes);
    out.push(`<geom name="${mjcfGeomName(i, k)}" ${shape} pos="${vec(c.pose.p)}" quat="${quatWxyz(c.pose.q)}" contype="${ROBOT_TYPE}" conaffinity="${GROUND_TYPE}" condim="3" priority="1" friction="1 0.005 0.0001" group="1"/>`);
  });
  return out;
}

/** A geom's type and size; a convex hull becomes a mesh asset (MuJoCo collides with its hull). */
function shapeAttributes(g: Geometry, meshName: string, meshes: string[]): string {
  switch (g.kind) {
    case 'box':
      return `type="box" size="${num(g.size[0] / 2)} ${num(g.size[1] / 2)} ${num(g.size[2] / 2)}"`;
    case 'sphere':
      return `type="sphere" size="${num(g.radius)}"`;
    case 'cylinder':
      return `type="cylinder" size="${num(g.radius)} ${num(g.length / 2)}"`;
    case 'capsule':
      return `type="capsule" size="${num(g.radius)} ${num(g.length / 2)}"`;
    case 'convex':
      meshes.push(`<mesh name="${meshName}" inertia="convex" vertex="${Array.from(g.vertices, num).join(' ')}"/>`);
      return `type="mesh" mesh="${meshName}"`;
  }
}

/** One actuator per spec joint: a PD position servo (`affine` bias) or a direct force motor. */
function actuatorLines(cfg: MjcfConfig): string[] {
  const { plan, spec, actuation: a } = cfg;
  if (spec.joints.length === 0) return [];
  const position = spec.control_mode === 'position';
  const lines = spec.joints.map((_, k) => {
    const joint = mjcfJointName(plan.actuatedBodies[k] as number);
    const lim = a.forceLimit[k] as number;
    const force = Number.isFinite(lim) ? `forcelimited="true" forcerange="${num(-lim)} ${num(lim)}"` : 'forcelimited="false"';
    const law = position
      ? `gaintype="fixed" gainprm="${num(a.kp[k] as number)}" biastype="affine" biasprm="0 ${num(-(a.kp[k] as number))} ${num(-(a.kv[k] as number))}"`
      : 'gaintype="fixed" gainprm="1" biastype="none"';
    return `<general name="${mjcfActuatorName(k)}" joint="${joint}" ${law} ctrllimited="false" ${force}/>`;
  });
  return ['<actuator>', ...lines, '</actuator>'];
}

/** A number as MJCF takes it: the shortest decimal that reads back to the same double. */
function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`MJCF: non-finite number ${x}`);
  return String(x);
}

function vec(v: Readonly<Vec3>): string {
  return `${num(v[0])} ${num(v[1])} ${num(v[2])}`;
}

/** Our quaternions are `[x, y, z, w]`, MuJoCo's `w x y z`. */
function quatWxyz(q: readonly [number, number, number, number]): string {
  return `${num(q[3])} ${num(q[0])} ${num(q[1])} ${num(q[2])}`;
}

/** Text safe inside a double-quoted XML attribute. */
function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
