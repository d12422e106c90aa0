/**
 * ROS message shapes for the rosbridge side of the bridge: which topics it uses (from the
 * robot JSON's optional `bridge` object, with defaults), where each observation comes from in
 * `sensor_msgs/JointState`, `sensor_msgs/Imu` and `geometry_msgs/Twist` messages, and the
 * command messages (`std_msgs/Float64MultiArray`, `trajectory_msgs/JointTrajectory`). Pure.
 */
import type { PolicyInfo } from './protocol.ts';
import type { BridgeSpec } from '../robot/robot_spec.ts';

/** Topic names and the command type, after defaults. */
export interface RosTopics {
  observation: string;
  command: string;
  commandType: 'std_msgs/Float64MultiArray' | 'trajectory_msgs/JointTrajectory';
  imu: string;
  baseVelocity: string;
  cmdVel: string;
  estop: string;
}

/** The topics of a robot's `bridge` settings, defaults filled in. */
export function rosTopics(b: BridgeSpec | undefined): RosTopics {
  return {
    observation: b?.observation_topic ?? '/joint_states',
    command: b?.command_topic ?? '/joint_commands',
    commandType: b?.command_type ?? 'std_msgs/Float64MultiArray',
    imu: b?.imu_topic ?? '/imu',
    baseVelocity: b?.base_velocity_topic ?? '/base_velocity',
    cmdVel: b?.cmd_vel_topic ?? '/cmd_vel',
    estop: b?.estop_topic ?? '/sim2real/estop',
  };
}

/** Where one observation number comes from (before its observation scale). */
export type Source =
  | { kind: 'joint'; field: 'position' | 'velocity' | 'effort'; joint: string; minus: number }
  | { kind: 'imu'; vec: 'angular_velocity' | 'linear_acceleration' | 'projected_gravity'; axis: number }
  | { kind: 'twist'; input: 'base_velocity' | 'cmd_vel'; part: 'linear' | 'angular'; axis: number }
  | { kind: 'last_action'; index: number };

const AXES = ['x', 'y', 'z'];

/**
 * Parses a source expression (docs/bridge-protocol.md): `position[J]`, `velocity[J]`,
 * `effort[J]`, `position_offset[J]`, `imu.<angular_velocity|linear_acceleration|projected_gravity>.<x|y|z>`,
 * `<base_velocity|cmd_vel>.<linear|angular>.<x|y|z>`, `last_action[J or k]`.
 */
function parseSource(text: string, info: PolicyInfo): Source {
  const joints = info.joint_order;
  let m = /^(position|velocity|effort|position_offset)\[([^\]]+)\]$/.exec(text);
  if (m) {
    const joint = m[2]!, k = joints.indexOf(joint);
    const minus = m[1] === 'position_offset' && k >= 0 && info.control_mode === 'position' ? info.action_offsets[k]! : 0;
    return { kind: 'joint', field: m[1] === 'position_offset' ? 'position' : (m[1] as 'position'), joint, minus };
  }
  m = /^imu\.(angular_velocity|linear_acceleration|projected_gravity)\.([xyz])$/.exec(text);
  if (m) return { kind: 'imu', vec: m[1] as 'angular_velocity', axis: AXES.indexOf(m[2]!) };
  m = /^(base_velocity|cmd_vel)\.(linear|angular)\.([xyz])$/.exec(text);
  if (m) return { kind: 'twist', input: m[1] as 'cmd_vel', part: m[2] as 'linear', axis: AXES.indexOf(m[3]!) };
  m = /^last_action\[([^\]]+)\]$/.exec(text);
  if (m) {
    const k = /^\d+$/.test(m[1]!) ? Number(m[1]) : joints.indexOf(m[1]!);
    if (k >= 0 && k < joints.length) return { kind: 'last_action', index: k };
  }
  throw new Error(`observation source "${text}" is not one of position[J], velocity[J], effort[J], position_offset[J], imu.<field>.<axis>, base_velocity|cmd_vel.<linear|angular>.<axis>, last_action[J]`);
}

/** The source an observation name implies by convention, or null (docs/bridge-protocol.md). */
export function conventionalSource(name: string): string | null {
  let m = /^(.+)_pos$/.exec(name);
  if (m) return `position_offset[${m[1]}]`;
  if ((m = /^(.+)_vel$/.exec(name)) && !name.startsWith('base_')) return `velocity[${m[1]}]`;
  if ((m = /^(.+)_last_action$/.exec(name))) return `last_action[${m[1]}]`;
  if ((m = /^base_ang_vel_([xyz])$/.exec(name))) return `imu.angular_velocity.${m[1]}`;
  if ((m = /^projected_gravity_([xyz])$/.exec(name))) return `imu.projected_gravity.${m[1]}`;
  if ((m = /^base_lin_vel_([xyz])$/.exec(name))) return `base_velocity.linear.${m[1]}`;
  const cmd: Record<string, string> = { command_vx: 'cmd_vel.linear.x', command_vy: 'cmd_vel.linear.y', command_yaw_rate: 'cmd_vel.angular.z' };
  return cmd[name] ?? null;
}

/**
 * Each observation's source from the robot JSON's `observation_sources`, else by naming
 * convention; an error (a string naming the observation) when one has neither, in which case
 * only whole observation vectors (Float64MultiArray) are accepted.
 */
export function observationSources(info: PolicyInfo, declared: Readonly<Record<string, string>> | undefined): Source[] | string {
  for (const k of Object.keys(declared ?? {})) {
    if (!info.observations.some((o) => o.name === k)) throw new Error(`bridge.observation_sources: ${k} is not an observation of the policy`);
  }
  const out: Source[] = [];
  for (const o of info.observations) {
    const text = declared?.[o.name] ?? conventionalSource(o.name);
    if (text === null) return `observation ${o.name} has no source in sensor_msgs/JointState (set bridge.observation_sources in the robot JSON, or publish std_msgs/Float64MultiArray with the whole observation vector)`;
    out.push(parseSource(text, info));
  }
  return out;
}

/** Latest messages of the auxiliary inputs. */
export interface RosInputs {
  imu?: Record<string, unknown>;
  base_velocity?: Record<string, unknown>;
  cmd_vel?: Record<string, unknown>;
  lastRaw: Float64Array;
}

/** Builds the observation vector (observed units) from a JointState message; throws naming the field at fault. */
export function assembleObservation(js: Record<string, unknown>, sources: readonly Source[], info: PolicyInfo, inputs: RosInputs): Float32Array {
  const names = js.name;
  if (!Array.isArray(names)) throw new Error('msg.name must be the list of joint names');
  const out = new Float32Array(sources.length);
  sources.forEach((s, i) => {
    out[i] = info.observations[i]!.scale * readSource(s, js, names, inputs);
  });
  return out;
}

function readSource(s: Source, js: Record<string, unknown>, names: unknown[], inputs: RosInputs): number {
  if (s.kind === 'joint') {
    const k = names.indexOf(s.joint);
    if (k < 0) throw new Error(`msg.name has no joint ${s.joint}`);
    return num((js[s.field] as unknown[] | undefined)?.[k], `msg.${s.field}[${k}]`) - s.minus;
  }
  if (s.kind === 'last_action') return inputs.lastRaw[s.index] as number;
  if (s.kind === 'imu') {
    const imu = inputs.imu;
    if (!imu) throw new Error('no sensor_msgs/Imu message received yet');
    if (s.vec === 'projected_gravity') return projectedGravity(imu.orientation)[s.axis] as number;
    return num((imu[s.vec] as Record<string, unknown> | undefined)?.[AXES[s.axis]!], `imu.${s.vec}.${AXES[s.axis]}`);
  }
  const tw = inputs[s.input];
  if (!tw) throw new Error(`no geometry_msgs/Twist message on the ${s.input} topic yet`);
  return num((tw[s.part] as Record<string, unknown> | undefined)?.[AXES[s.axis]!], `${s.input}.${s.part}.${AXES[s.axis]}`);
}

/** Gravity's direction (0, 0, −1) in the body frame of orientation quaternion `q` (legged_gym's projected gravity). */
export function projectedGravity(q: unknown): [number, number, number] {
  const o = (q ?? {}) as Record<string, unknown>;
  const x = num(o.x, 'imu.orientation.x'), y = num(o.y, 'imu.orientation.y'), z = num(o.z, 'imu.orientation.z'), w = num(o.w, 'imu.orientation.w');
  // quat_rotate_inverse(q, v) with v = (0, 0, -1)
  const v: [number, number, number] = [0, 0, -1];
  const a = v.map((c) => c * (2 * w * w - 1));
  const cross = [y * v[2] - z * v[1], z * v[0] - x * v[2], x * v[1] - y * v[0]];
  const dot = x * v[0] + y * v[1] + z * v[2];
  const qv = [x, y, z];
  return [0, 1, 2].map((i) => a[i]! - 2 * w * cross[i]! + 2 * dot * qv[i]!) as [number, number, number];
}

function num(v: unknown, field: string): number {
  if (typeof v !== 'number') throw new Error(`${field} must be a number`);
  return v;
}

/** The command message of `type` for motor commands `command`. */
export function commandMessage(type: RosTopics['commandType'], command: readonly number[], info: PolicyInfo): Record<string, unknown> {
  if (type === 'std_msgs/Float64MultiArray') {
    return { layout: { dim: [{ label: 'joints', size: command.length, stride: command.length }], data_offset: 0 }, data: [...command] };
  }
  const ns = Math.round(info.control_dt_s * 1e9);
  const point = info.control_mode === 'position'
    ? { positions: [...command], velocities: [], accelerations: [], effort: [] }
    : { positions: [], velocities: [], accelerations: [], effort: [...command] };
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
    joint_names: [...info.joint_order],
    points: [{ ...point, time_from_start: { sec: Math.floor(ns / 1e9), nanosec: ns % 1e9 } }],
  };
}
