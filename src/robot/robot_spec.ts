/**
 * The actuation and deployment contract of a robot, `robots/<name>.json`, next to its URDF:
 * which joints are driven and in which order (the order of the action vector), how (PD
 * position targets or direct effort), the gains, default pose, action scale and control period.
 * The same file travels with exported policies and tells the bridge the robot's safe command.
 */
import { existsSync } from 'node:fs';
import { MAX_SPEC_BYTES, readInputFile } from './input_file.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateLocomotion, type LocomotionSpec } from './locomotion_spec.ts';
import { checkRobotAgainstUrdf } from './robot_check.ts';
import { loadUrdf } from './urdf/urdf_loader.ts';

export type { LegSpec, LocomotionSpec } from './locomotion_spec.ts';

/** Where the robots shipped with the project live. */
const ROBOTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../robots');

/** One actuated joint, in action order. */
export interface JointSpec {
  /** URDF joint name. */
  name: string;
  /** Position gain, N·m/rad or N/m (position control; 0 for effort control). */
  kp: number;
  /** Velocity gain, N·m·s/rad or N·s/m. */
  kd: number;
  /** Default joint position (rad or m): the pose action 0 commands under position control. */
  default_pos: number;
  /** Position control: target = default_pos + action_scale · action. Effort: effort = action_scale · action. */
  action_scale: number;
}

export interface RobotSpec {
  /** Robot name; matches the URDF `<robot name>`. */
  name: string;
  /** URDF file, relative to the JSON file. */
  urdf: string;
  /** `position`: PD motors track targets; `effort`: the action is a force/torque. */
  control_mode: 'position' | 'effort';
  /** Policy period (s). */
  control_dt_s: number;
  /** Physics step (s); control_dt_s must be a whole multiple of it. */
  physics_dt_s: number;
  /** Actions are clipped to [-action_clip, action_clip] before scaling. */
  action_clip: number;
  /** Actuated joints in action order. */
  joints: JointSpec[];
  /** `fixed`: the URDF root is welded to the world; `floating`: free base spawned at spawn_height_m. */
  base: { type: 'fixed' | 'floating'; spawn_height_m?: number };
  /** What the bridge sends when it must not trust the policy: hold the default pose, or only damp. */
  safe_command: { type: 'hold_default' | 'damping'; kd: number };
  /** Rapier solver iterations per physics step (default 4). */
  solver_iterations?: number;
  /** Deployment-bridge settings (ROS topics, safety overrides); every field optional. See docs/robots.md. */
  bridge?: BridgeSpec;
  /** What legged tasks need to know: base, legs and feet, contact links, nominal base height. See docs/robots.md. */
  locomotion?: LocomotionSpec;
}

/** Optional deployment-bridge settings of a robot: ROS topic names, observation sources, safety overrides. */
export interface BridgeSpec {
  observation_topic?: string;
  command_topic?: string;
  command_type?: 'std_msgs/Float64MultiArray' | 'trajectory_msgs/JointTrajectory';
  imu_topic?: string;
  base_velocity_topic?: string;
  cmd_vel_topic?: string;
  estop_topic?: string;
  /** Observation name → where it comes from in ROS messages (docs/bridge-protocol.md). */
  observation_sources?: Record<string, string>;
  /** Largest command change per control period (command units), one number or one per joint. */
  max_command_step?: number | number[];
  /** Observations with a larger magnitude (observed units) are rejected as sensor faults. */
  max_abs_observation?: number;
}

const BRIDGE_TOPIC_KEYS = ['observation_topic', 'command_topic', 'imu_topic', 'base_velocity_topic', 'cmd_vel_topic', 'estop_topic'];
const BRIDGE_KEYS = [...BRIDGE_TOPIC_KEYS, 'command_type', 'observation_sources', 'max_command_step', 'max_abs_observation'];
const COMMAND_TYPES = ['std_msgs/Float64MultiArray', 'trajectory_msgs/JointTrajectory'];

const SPEC_KEYS = ['name', 'urdf', 'control_mode', 'control_dt_s', 'physics_dt_s', 'action_clip', 'joints', 'base', 'safe_command', 'solver_iterations', 'bridge', 'locomotion'];
const JOINT_KEYS = ['name', 'kp', 'kd', 'default_pos', 'action_scale'];

/** A robot spec with its resolved URDF path. */
export interface LoadedRobotSpec extends RobotSpec {
  /** Absolute path of the JSON file. */
  specPath: string;
  /** Absolute path of the URDF file. */
  urdfPath: string;
  /** Physics steps per control step. */
  decimation: number;
}

/** The JSON file a robot reference names: `robots/<name>.json` for a bare name, else the path itself. */
export function robotSpecFile(nameOrPath: string): string {
  return nameOrPath.endsWith('.json') ? path.resolve(nameOrPath) : path.join(ROBOTS_DIR, `${nameOrPath}.json`);
}

/**
 * Loads `robots/<name>.json` (a bare name) or a JSON file path, validating every field, and
 * checks it against its URDF (joints, default pose within the limits, the locomotion section's
 * links); errors name the file and the field at fault.
 */
export function loadRobotSpec(nameOrPath: string): LoadedRobotSpec {
  const file = robotSpecFile(nameOrPath);
  if (!existsSync(file)) throw new Error(`robot spec ${file} not found`);
  let text: string;
  try {
    text = readInputFile(file, MAX_SPEC_BYTES).toString('utf8');
  } catch (e) {
    throw new Error(`robot spec ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`robot spec ${file}: invalid JSON: ${(e as Error).message}`);
  }
  const spec = validateRobotSpec(raw, file);
  const urdfPath = path.resolve(path.dirname(file), spec.urdf);
  if (!existsSync(urdfPath)) throw new Error(`robot spec ${file}: urdf "${spec.urdf}" not found`);
  checkRobotAgainstUrdf(spec, loadUrdf(urdfPath), (field, msg) => new Error(`robot spec ${file}: ${field}: ${msg}`));
  return { ...spec, specPath: file, urdfPath, decimation: Math.round(spec.control_dt_s / spec.physics_dt_s) };
}

/** Checks a parsed robot JSON; errors name the file and the field at fault. */
export function validateRobotSpec(raw: unknown, where: string): RobotSpec {
  const err = (field: string, msg: string) => new Error(`robot spec ${where}: ${field}: ${msg}`);
  if (!isObject(raw)) throw err('(root)', 'must be an object');
  for (const k of Object.keys(raw)) if (!SPEC_KEYS.includes(k)) throw err(k, 'unknown key');
  const str = (o: Record<string, unknown>, k: string, field = k): string => {
    const v = o[k];
    if (typeof v !== 'string' || v.length === 0) throw err(field, 'must be a non-empty string');
    return v;
  };
  const num = (o: Record<string, unknown>, k: string, field: string, min: number, strictMin = false): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw err(field, 'must be a finite number');
    if (strictMin ? v <= min : v < min) throw err(field, `must be ${strictMin ? '>' : '>='} ${min}, got ${v}`);
    return v;
  };
  const mode = str(raw, 'control_mode');
  if (mode !== 'position' && mode !== 'effort') throw err('control_mode', `must be "position" or "effort", got "${mode}"`);
  const controlDt = num(raw, 'control_dt_s', 'control_dt_s', 0, true);
  const physicsDt = num(raw, 'physics_dt_s', 'physics_dt_s', 0, true);
  const ratio = controlDt / physicsDt;
  if (Math.abs(ratio - Math.round(ratio)) > 1e-6 || Math.round(ratio) < 1) {
    throw err('control_dt_s', `must be a whole multiple of physics_dt_s (${controlDt} / ${physicsDt})`);
  }
  if (!Array.isArray(raw.joints) || raw.joints.length === 0) throw err('joints', 'must be a non-empty array');
  const names = new Set<string>();
  const joints = raw.joints.map((j, i): JointSpec => {
    const f = `joints[${i}]`;
    if (!isObject(j)) throw err(f, 'must be an object');
    for (const k of Object.keys(j)) if (!JOINT_KEYS.includes(k)) throw err(`${f}.${k}`, 'unknown key');
    const name = str(j, 'name', `${f}.name`);
    if (names.has(name)) throw err(`${f}.name`, `duplicate joint "${name}"`);
    names.add(name);
    const dp = j.default_pos;
    if (typeof dp !== 'number' || !Number.isFinite(dp)) throw err(`${f}.default_pos`, 'must be a finite number');
    return {
      name,
      kp: num(j, 'kp', `${f}.kp`, 0),
      kd: num(j, 'kd', `${f}.kd`, 0),
      default_pos: dp,
      action_scale: num(j, 'action_scale', `${f}.action_scale`, 0, true),
    };
  });
  const base = raw.base;
  if (!isObject(base)) throw err('base', 'must be an object');
  for (const k of Object.keys(base)) if (k !== 'type' && k !== 'spawn_height_m') throw err(`base.${k}`, 'unknown key');
  if (base.type !== 'fixed' && base.type !== 'floating') throw err('base.type', 'must be "fixed" or "floating"');
  const safe = raw.safe_command;
  if (!isObject(safe)) throw err('safe_command', 'must be an object');
  for (const k of Object.keys(safe)) if (k !== 'type' && k !== 'kd') throw err(`safe_command.${k}`, 'unknown key');
  if (safe.type !== 'hold_default' && safe.type !== 'damping') throw err('safe_command.type', 'must be "hold_default" or "damping"');
  const spec: RobotSpec = {
    name: str(raw, 'name'),
    urdf: str(raw, 'urdf'),
    control_mode: mode,
    control_dt_s: controlDt,
    physics_dt_s: physicsDt,
    action_clip: num(raw, 'action_clip', 'action_clip', 0, true),
    joints,
    base: base.type === 'floating'
      ? { type: 'floating', spawn_height_m: num(base, 'spawn_height_m', 'base.spawn_height_m', 0, true) }
      : { type: 'fixed' },
    safe_command: { type: safe.type, kd: num(safe, 'kd', 'safe_command.kd', 0) },
  };
  if (raw.solver_iterations !== undefined) {
    const it = num(raw, 'solver_iterations', 'solver_iterations', 1);
    if (!Number.isInteger(it)) throw err('solver_iterations', 'must be an integer');
    spec.solver_iterations = it;
  }
  if (raw.bridge !== undefined) spec.bridge = validateBridge(raw.bridge, joints.length, err);
  if (raw.locomotion !== undefined) {
    if (spec.base.type !== 'floating') throw err('locomotion', 'a legged robot needs base.type "floating"');
    spec.locomotion = validateLocomotion(raw.locomotion, joints.map((j) => j.name), err);
  }
  return spec;
}

/** Checks the optional `bridge` object's types; what the sources mean is checked by the bridge. */
function validateBridge(b: unknown, numJoints: number, err: (field: string, msg: string) => Error): BridgeSpec {
  if (!isObject(b)) throw err('bridge', 'must be an object');
  for (const k of Object.keys(b)) if (!BRIDGE_KEYS.includes(k)) throw err(`bridge.${k}`, 'unknown key');
  const out: Record<string, unknown> = {};
  for (const k of BRIDGE_TOPIC_KEYS) {
    const v = b[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !/^\/[A-Za-z0-9_/]*$/.test(v)) throw err(`bridge.${k}`, `must be a ROS topic name starting with "/", got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  if (b.command_type !== undefined) {
    if (!COMMAND_TYPES.includes(b.command_type as string)) throw err('bridge.command_type', `must be one of ${COMMAND_TYPES.join(', ')}`);
    out.command_type = b.command_type;
  }
  const src = b.observation_sources;
  if (src !== undefined) {
    if (!isObject(src) || !Object.values(src).every((v) => typeof v === 'string' && v.length > 0)) throw err('bridge.observation_sources', 'must map observation names to non-empty strings');
    out.observation_sources = { ...src };
  }
  const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const step = b.max_command_step;
  if (step !== undefined) {
    const ok = positive(step) || (Array.isArray(step) && step.length === numJoints && step.every(positive));
    if (!ok) throw err('bridge.max_command_step', `must be a number > 0 or ${numJoints} numbers > 0`);
    out.max_command_step = Array.isArray(step) ? [...step] : step;
  }
  if (b.max_abs_observation !== undefined) {
    if (!positive(b.max_abs_observation)) throw err('bridge.max_abs_observation', 'must be a number > 0');
    out.max_abs_observation = b.max_abs_observation;
  }
  return out as BridgeSpec;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
