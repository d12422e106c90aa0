/**
 * How the agent's telemetry fills the recording format (docs/recording.md): the header names the
 * robot (its bodies drawn from the build plan, so a replay needs no URDF), the observations and
 * the actions of the served interface; each control step is one row — link poses from the joint
 * positions the controller observed (forward kinematics; joints it does not observe stay at their
 * default), the observation, the policy's raw action, reward 0, and as "reward terms" the
 * channels a real robot has instead: the command sent per joint, latency, whether the safety
 * layer limited it, the safe-command reason, the active version, the robot's clock and gaps in
 * its sequence numbers.
 */
import { SAFE_REASON_CODES } from '../bridge/binary.ts';
import type { ControlStep } from '../bridge/control.ts';
import type { PolicyInfo } from '../bridge/protocol.ts';
import { observationSources } from '../bridge/ros_msgs.ts';
import type { RecordingHeader } from '../robot/recording.ts';
import { describeBodies } from '../robot/robot_description.ts';
import type { RobotModel } from '../robot/robot_model.ts';
import { linkFramePoses } from '../robot/plan_poses.ts';
import { planRobot, type RobotPlan } from '../robot/robot_plan.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';

/** The per-step channels after the per-joint commands, in row order. */
export const TELEMETRY_CHANNELS = ['latency_ms', 'limited', 'safe_reason', 'policy_version', 'robot_t_ms', 'seq_gap'] as const;

/** Where one step's row gets its joint positions: observation index → plan body, scale and offset. */
interface JointSource {
  obs: number;
  body: number;
  scale: number;
  plus: number;
}

/** A connection's position in its episode, for the relative channels. */
export interface EpisodeClock {
  /** Robot time (`t_ms`) of the episode's first step. */
  t0Ms: number;
  /** The previous step's sequence number (−1 before the first). */
  lastSeq: number;
}

/** The telemetry rows of one robot and served interface. */
export class TelemetryLayout {
  readonly header: Omit<RecordingHeader, 'format' | 'version'>;
  /** float32 values per row. */
  readonly stride: number;
  private readonly plan: RobotPlan;
  private readonly sources: JointSource[];
  private readonly q: Float64Array;
  private readonly poses: Float64Array;
  private readonly at: { obs: number; actions: number; reward: number; terms: number };

  constructor(spec: LoadedRobotSpec, model: RobotModel, info: PolicyInfo, source: string) {
    this.plan = planRobot(model, spec);
    const bodies = this.plan.bodies;
    const scene = describeBodies(model, { links: bodies, movableJointNames: bodies.map((b) => b.joint?.name ?? ''), linkFrames: this.plan.linkFrames });
    const terms = [...info.joint_order.map((j) => `command.${j}`), ...TELEMETRY_CHANNELS];
    this.header = {
      task: info.task, robot: spec.name, controlDtS: info.control_dt_s, source, scene,
      observations: info.observations.map((o) => o.name), actions: info.actions.map((a) => a.name), rewardTerms: terms,
    };
    const B = bodies.length, O = info.obs_dim, A = info.act_dim;
    this.at = { obs: 7 * B, actions: 7 * B + O, reward: 7 * B + O + A, terms: 7 * B + O + A + 1 };
    this.stride = this.at.terms + terms.length;
    this.q = new Float64Array(B);
    spec.joints.forEach((j, k) => (this.q[this.plan.actuatedBodies[k]!] = j.default_pos));
    this.poses = new Float64Array(7 * B);
    this.sources = jointSources(info, spec, this.plan);
  }

  /**
   * Writes `step` (answered by `version`, 0 for none) as the row at `out[offset…]`; false for a
   * step that is not a control step of the robot (an error reply: nothing was sent to a motor).
   */
  writeRow(out: Float32Array, offset: number, step: ControlStep, version: number, clock: EpisodeClock): boolean {
    const d = step.decision;
    if (d.kind === 'error') return false;
    const { obs } = step;
    for (const s of this.sources) this.q[s.body] = obs[s.obs]! / s.scale + s.plus;
    linkFramePoses(this.plan, this.q, this.poses);
    out.set(this.poses, offset);
    out.set(obs, offset + this.at.obs);
    const A = this.at.reward - this.at.actions;
    for (let k = 0; k < A; k++) out[offset + this.at.actions + k] = d.kind === 'action' ? d.raw[k]! : 0;
    out[offset + this.at.reward] = 0;
    let t = offset + this.at.terms;
    for (let k = 0; k < A; k++) out[t++] = d.command[k]!;
    if (clock.lastSeq < 0) clock.t0Ms = step.tMs;
    out[t++] = d.kind === 'action' ? d.latencyMs : 0;
    out[t++] = d.kind === 'action' && d.limited ? 1 : 0;
    out[t++] = d.kind === 'safe' ? SAFE_REASON_CODES[d.reason] : 0;
    out[t++] = version;
    out[t++] = step.tMs - clock.t0Ms;
    out[t++] = clock.lastSeq < 0 ? 0 : step.seq - clock.lastSeq - 1;
    clock.lastSeq = step.seq;
    return true;
  }
}

/** The observations that carry a joint's position (`position[J]`, `position_offset[J]` by the robot JSON or by name). */
function jointSources(info: PolicyInfo, spec: LoadedRobotSpec, plan: RobotPlan): JointSource[] {
  const bodyOf = new Map(plan.bodies.map((b, i) => [b.joint?.name ?? '', i]));
  const declared = spec.bridge?.observation_sources ?? {};
  const out: JointSource[] = [];
  info.observations.forEach((o, i) => {
    let parsed;
    try {
      parsed = observationSources({ ...info, observations: [o] }, declared[o.name] !== undefined ? { [o.name]: declared[o.name]! } : undefined);
    } catch {
      return;
    }
    const s = typeof parsed === 'string' ? undefined : parsed[0];
    const body = s?.kind === 'joint' && s.field === 'position' ? bodyOf.get(s.joint) : undefined;
    if (s?.kind === 'joint' && body !== undefined && body > 0 && o.scale !== 0) out.push({ obs: i, body, scale: o.scale, plus: s.minus });
  });
  return out;
}
