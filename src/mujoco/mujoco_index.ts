/**
 * Where a plan's bodies, joints, actuators and collision shapes ended up in a compiled MuJoCo
 * model (`mjcf.ts` names them by plan index): ids and addresses looked up once, so the robot
 * reads and writes the model's arrays directly.
 */
import type { Mujoco, MjModel } from './mujoco_wasm.ts';
import type { RobotPlan } from '../robot/robot_plan.ts';
import { mjcfActuatorName, mjcfBodyName, mjcfGeomName, mjcfJointName } from './mjcf.ts';

/** Object types of `mj_name2id` (`mjtObj`). */
const OBJ_BODY = 1;
const OBJ_JOINT = 3;
const OBJ_GEOM = 5;
const OBJ_ACTUATOR = 19;

/** A plan's objects in a MuJoCo model, plan body order unless said otherwise. */
export interface MujocoIndex {
  bodyIds: Int32Array;
  /** Address in `qpos` / `qvel` of each body's joint (the root's entry unused). */
  qposAdr: Int32Array;
  dofAdr: Int32Array;
  /** 1 where the body's joint is a hinge (its position is an angle). */
  hinge: Uint8Array;
  /** The free joint's `qpos` and `qvel` addresses; −1 for a fixed base. */
  freeQpos: number;
  freeDof: number;
  /** The actuator of each spec joint. */
  actuatorIds: Int32Array;
  /** The robot's geoms. */
  robotGeoms: Int32Array;
  /** URDF links with collision shapes, in plan order: what `linkContactIndex` counts. */
  contactLinks: string[];
  /** Per MuJoCo geom: its plan body and its index in `contactLinks` (−1: not the robot's). */
  geomBody: Int32Array;
  geomLink: Int32Array;
}

/** Looks up every object of `plan` in `m`; a missing one is an error (the model was not made by `robotMjcf`). */
export function mujocoIndex(mj: Mujoco, m: MjModel, plan: RobotPlan): MujocoIndex {
  const id = (type: number, name: string): number => {
    const i = mj.mj_name2id(m, type, name);
    if (i < 0) throw new Error(`MuJoCo model: no object named "${name}" (the model does not match the robot plan)`);
    return i;
  };
  const jointIds = plan.bodies.map((b, i) => (b.joint === null ? -1 : id(OBJ_JOINT, mjcfJointName(i))));
  const jntQpos = m.jnt_qposadr as Int32Array, jntDof = m.jnt_dofadr as Int32Array;
  const free = plan.rootFixed ? -1 : id(OBJ_JOINT, 'root');
  const contactLinks: string[] = [];
  const linkOf = new Map<string, number>();
  const geomBody = new Int32Array(m.ngeom).fill(-1), geomLink = new Int32Array(m.ngeom).fill(-1);
  const robotGeoms: number[] = [];
  plan.bodies.forEach((b, i) => b.colliders.forEach((c, k) => {
    if (!linkOf.has(c.link)) { linkOf.set(c.link, contactLinks.length); contactLinks.push(c.link); }
    const g = id(OBJ_GEOM, mjcfGeomName(i, k));
    geomBody[g] = i;
    geomLink[g] = linkOf.get(c.link) as number;
    robotGeoms.push(g);
  }));
  return {
    bodyIds: Int32Array.from(plan.bodies, (_, i) => id(OBJ_BODY, mjcfBodyName(i))),
    qposAdr: Int32Array.from(jointIds, (j) => (j < 0 ? -1 : jntQpos[j] as number)),
    dofAdr: Int32Array.from(jointIds, (j) => (j < 0 ? -1 : jntDof[j] as number)),
    hinge: Uint8Array.from(plan.bodies, (b) => (b.joint !== null && b.joint.type !== 'prismatic' ? 1 : 0)),
    freeQpos: free < 0 ? -1 : jntQpos[free] as number,
    freeDof: free < 0 ? -1 : jntDof[free] as number,
    actuatorIds: Int32Array.from(plan.actuatedBodies, (_, k) => id(OBJ_ACTUATOR, mjcfActuatorName(k))),
    robotGeoms: Int32Array.from(robotGeoms),
    contactLinks,
    geomBody,
    geomLink,
  };
}
