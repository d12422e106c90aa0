/**
 * Small helpers the task files share: angle and quaternion arithmetic, builders for named
 * observation/action signals, the randomization defaults a task starts from, checks that a
 * robot is the one a task expects, and where a link's points sit on the body that carries it.
 * Nothing here knows a particular task or the physics engine.
 */
import type { SignalSpec, TaskStepResult } from '../src/task/task.ts';
import type { SimRobot } from '../src/task/sim_robot.ts';
import type { Quat, RobotModel, Vec3 } from '../src/robot/robot_model.ts';
import { NOMINAL, type DomainRandomization } from '../src/task/randomize.ts';
import { qMul } from '../src/robot/math.ts';

// -- angles and quaternions (xyzw, as SimRobot reports them)

/** `a` wrapped into (-π, π]. */
export function wrapAngle(a: number): number {
  const w = a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
  return w === -Math.PI ? Math.PI : w;
}

/** Rotates `v` by the quaternion `q` (read at `qOffset`), writing into `out`. */
export function rotateVec(q: ArrayLike<number>, v: Readonly<Vec3>, out: Vec3 | Float64Array = [0, 0, 0], qOffset = 0, inverse = false): Vec3 | Float64Array {
  const s = inverse ? -1 : 1;
  const x = s * (q[qOffset] as number), y = s * (q[qOffset + 1] as number), z = s * (q[qOffset + 2] as number), w = q[qOffset + 3] as number;
  // v + 2w(u×v) + 2u×(u×v), u = (x, y, z)
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  out[0] = v[0] + w * tx + (y * tz - z * ty);
  out[1] = v[1] + w * ty + (z * tx - x * tz);
  out[2] = v[2] + w * tz + (x * ty - y * tx);
  return out;
}

// -- signals

/** What a signal may carry besides its name and unit (see `SignalSpec`). */
export interface SignalOptions {
  /** observed = scale · quantity; for actions quantity = scale · action. Default 1. */
  scale?: number;
  /** Uniform observation noise at obs_noise = 1, in observed (scaled) units. Default 0. */
  noise?: number;
}

/** One named signal; `scale` and `noise` are left out of the spec when they are the defaults. */
export function signal(name: string, unit: string, opts: SignalOptions = {}): SignalSpec {
  const { scale = 1, noise = 0 } = opts;
  if (!Number.isFinite(scale) || scale === 0) throw new Error(`signal ${name}: scale ${scale} must be finite and non-zero`);
  if (!Number.isFinite(noise) || noise < 0) throw new Error(`signal ${name}: noise ${noise} must be finite and >= 0`);
  const s: SignalSpec = { name, unit };
  if (scale !== 1) s.scale = scale;
  if (noise > 0) s.noise = noise;
  return s;
}

/** One signal per joint, named `<joint>_<suffix>` (e.g. `elbow_vel`), all with the same unit, scale and noise. */
export function jointSignals(joints: readonly string[], suffix: string, unit: string, opts: SignalOptions = {}): SignalSpec[] {
  return joints.map((j) => signal(`${j}_${suffix}`, unit, opts));
}

/** `cos_<joint>` and `sin_<joint>` per joint, in that order per joint: a wrap-free angle encoding. */
export function cosSinSignals(joints: readonly string[], noise = 0): SignalSpec[] {
  return joints.flatMap((j) => [signal(`cos_${j}`, '1', { noise }), signal(`sin_${j}`, '1', { noise })]);
}

// -- training defaults

/**
 * The PPO recipe the small effort-controlled tasks share (bench/RESULTS.md, "Learning"): 64 envs
 * × 64 steps, minibatch 512, λ 0.95, lr 1e-3, reward scaling on, 1M env steps; only γ differs.
 */
export function scaledRewardTraining(gamma: number): Record<string, unknown> {
  return {
    total_env_steps: 1_000_000,
    ppo: { num_envs: 64, num_steps: 64, minibatch_size: 512, gamma, gae_lambda: 0.95, learning_rate: 1e-3, reward_scaling: true },
  };
}

// -- randomization and rewards

/** The nominal (no randomization) ranges with the given keys replaced: a task's DR defaults. */
export function randomization(ranges: Partial<DomainRandomization>): DomainRandomization {
  return { ...NOMINAL, ...ranges };
}

/** Sets `out.reward` to the sum of `out.terms`, so the total always matches its parts. */
export function sumTerms(out: TaskStepResult): void {
  let r = 0;
  for (let i = 0; i < out.terms.length; i++) r += out.terms[i] as number;
  out.reward = r;
}

// -- saved state

/** Typed arrays a task env saves (see `TaskEnv.saveState`). */
export type StateArrays = Record<string, Float64Array | Uint8Array>;

/** Copies of `arrays` for a task env's `saveState`. */
export function copyStateArrays<T extends StateArrays>(arrays: T): T {
  return Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, a.slice()])) as T;
}

/**
 * Copies the arrays of a saved task state into `into`, key by key, after checking them all:
 * a missing key, another array type or another length is an error naming the task and key.
 */
export function loadStateArrays(task: string, state: unknown, into: StateArrays): void {
  if (typeof state !== 'object' || state === null) throw new Error(`task ${task}: saved state must be an object, got ${state === null ? 'null' : typeof state}`);
  const s = state as Record<string, unknown>;
  for (const [key, a] of Object.entries(into)) {
    const got = s[key];
    if (!(got instanceof a.constructor) || (got as typeof a).length !== a.length) throw new Error(`task ${task}: saved state ${key} must be a ${a.constructor.name} of ${a.length}`);
  }
  for (const [key, a] of Object.entries(into)) a.set(s[key] as typeof a);
}

// -- robot checks and geometry

/** Throws unless the robot drives exactly `joints`, in this order (the task's action layout). */
export function expectJoints(robot: SimRobot, task: string, joints: readonly string[]): void {
  const got = robot.spec.joints.map((j) => j.name);
  if (got.length !== joints.length || got.some((n, i) => n !== joints[i])) {
    throw new Error(`task ${task}: robot ${robot.spec.name} drives joints [${got.join(', ')}], expected [${joints.join(', ')}]`);
  }
}

/**
 * Throws unless each action's declared `scale` is its joint's `action_scale` in the robot spec
 * (what `setAction` multiplies by), so the task's published action units are the ones applied.
 */
export function expectActionScales(robot: SimRobot, task: string, actions: readonly SignalSpec[]): void {
  robot.spec.joints.forEach((j, k) => {
    const a = actions[k];
    if (!a || (a.scale ?? 1) !== j.action_scale) {
      throw new Error(`task ${task}: action ${a?.name ?? k} declares scale ${a?.scale ?? 1}, robot ${robot.spec.name} joint ${j.name} has action_scale ${j.action_scale}`);
    }
  });
}

/** Index of the body carrying URDF link `name`; throws naming the task when the robot has none. */
export function requireLink(robot: SimRobot, task: string, name: string): number {
  const i = robot.linkIndex(name);
  if (i < 0) throw new Error(`task ${task}: robot ${robot.spec.name} has no link "${name}"`);
  return i;
}

/**
 * Index of joint `name` in `robot.movableJointNames` (the order of `readAllJoints` /
 * `setAllJoints`), for joints the spec does not drive; throws naming the task when there is none.
 */
export function requireMovableJoint(robot: SimRobot, task: string, name: string): number {
  const i = name === '' ? -1 : robot.movableJointNames.indexOf(name);
  if (i < 0) throw new Error(`task ${task}: robot ${robot.spec.name} has no movable joint "${name}" (has ${robot.movableJointNames.filter(Boolean).join(', ')})`);
  return i;
}

/**
 * Where a point fixed to URDF link `name` (its frame origin, or `point` in its frame) sits in
 * the frame of the link that owns its body: the frame `SimRobot.readLinkPose` reports for that
 * body. It is `point` itself for an owning link.
 */
export function offsetInOwner(robot: SimRobot, task: string, name: string, point: Readonly<Vec3> = [0, 0, 0]): Vec3 {
  const body = robot.links[requireLink(robot, task, name)];
  if (!body) throw new Error(`task ${task}: body of link "${name}" missing`);
  const l = refPose(robot.model, name);
  const o = refPose(robot.model, body.name);
  const r = rotateVec(l.q, point);
  const d: Vec3 = [l.p[0] + (r[0] as number) - o.p[0], l.p[1] + (r[1] as number) - o.p[1], l.p[2] + (r[2] as number) - o.p[2]];
  const out = rotateVec(o.q, d, [0, 0, 0], 0, true);
  return [out[0] as number, out[1] as number, out[2] as number];
}

/** Pose of URDF link `name`'s frame in the root link's frame with every joint at 0. */
function refPose(model: RobotModel, name: string): { p: Vec3; q: Quat } {
  let p: Vec3 = [0, 0, 0];
  let q: Quat = [0, 0, 0, 1];
  for (let link = name, guard = 0; link !== model.rootLink; guard++) {
    const j = model.joints.find((jt) => jt.child === link);
    if (!j || guard > model.joints.length) throw new Error(`robot ${model.name}: link "${name}" is not connected to the root`);
    // parent_T_child ∘ (child_T_name)
    const r = rotateVec(j.origin.quat, p);
    p = [r[0] + j.origin.xyz[0], r[1] + j.origin.xyz[1], r[2] + j.origin.xyz[2]];
    q = qMul(j.origin.quat, q);
    link = j.parent;
  }
  return { p, q };
}
