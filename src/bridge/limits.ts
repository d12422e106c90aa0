/**
 * Derives what the safety layer enforces from the robot description — joint position,
 * velocity and effort limits from the URDF, the safe command and optional overrides from
 * `robots/<name>.json` — and what `welcome` tells clients about the policy.
 */
import type { PolicyContract } from '../onnx/metadata.ts';
import { robotMismatch } from '../onnx/robot_fit.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';
import type { RobotModel } from '../robot/robot_model.ts';
import type { SafetyLimits } from './safety.ts';
import type { PolicyInfo } from './protocol.ts';

/** Default bound on |observation| (observed units) when the robot JSON sets none. */
const DEFAULT_MAX_ABS_OBSERVATION = 1e4;
/** Position control: default largest target change per period, in multiples of velocity limit × period. */
const POSITION_STEP_FACTOR = 4;
/** Default watchdog timeout, in control periods. */
const TIMEOUT_PERIODS = 3;

/**
 * The safety limits for `contract` on `spec`'s robot with its URDF `model`. Position control:
 * targets inside the URDF position limits, changing by at most velocity limit × period ×
 * POSITION_STEP_FACTOR per observation; effort control: efforts inside ±effort limit, no rate
 * limit beyond that range unless the robot JSON's `bridge.max_command_step` sets one.
 */
export function safetyLimitsFor(contract: PolicyContract, spec: LoadedRobotSpec, model: RobotModel, timeoutMs?: number): SafetyLimits {
  checkRobotFits(contract, spec);
  const dt = spec.control_dt_s;
  const lower: number[] = [], upper: number[] = [], maxStep: number[] = [];
  spec.joints.forEach((js, k) => {
    const joint = model.joints.find((j) => j.name === js.name);
    if (!joint) throw new Error(`robot ${spec.name}: joint ${js.name} is not in ${spec.urdfPath}`);
    const lim = joint.limit;
    const reach = Math.abs(contract.actionOffsets[k]!) + contract.actions[k]!.scale * contract.actionClip;
    if (spec.control_mode === 'position') {
      lower.push(lim ? lim.lower : -Infinity);
      upper.push(lim ? lim.upper : Infinity);
      maxStep.push(lim && lim.velocity > 0 ? lim.velocity * dt * POSITION_STEP_FACTOR : 2 * reach);
    } else {
      const effort = lim && lim.effort > 0 ? lim.effort : Infinity;
      lower.push(-effort);
      upper.push(effort);
      maxStep.push(Number.isFinite(effort) ? 2 * effort : 2 * reach);
    }
  });
  const override = spec.bridge?.max_command_step;
  const steps = override === undefined ? maxStep : Array.isArray(override) ? [...override] : maxStep.map(() => override);
  const defaults = spec.joints.map((j) => j.default_pos);
  const hold = spec.safe_command.type === 'hold_default' || spec.control_mode === 'position';
  return {
    lower, upper, maxStep: steps,
    maxAbsObservation: spec.bridge?.max_abs_observation ?? DEFAULT_MAX_ABS_OBSERVATION,
    timeoutMs: timeoutMs ?? TIMEOUT_PERIODS * dt * 1000,
    safe: { type: spec.safe_command.type, kd: spec.safe_command.kd, command: hold ? defaults : defaults.map(() => 0) },
  };
}

/** Throws unless the policy was made for this robot with the same joints in the same order, naming the first difference. */
function checkRobotFits(contract: PolicyContract, spec: LoadedRobotSpec): void {
  const why = robotMismatch(contract, spec);
  if (why !== null) throw new Error(why);
}

/** What `welcome` says about the policy and the safety layer. */
export function policyInfo(c: PolicyContract, limits: SafetyLimits): PolicyInfo {
  return {
    task: c.task,
    robot: c.robot,
    obs_dim: c.obsDim,
    act_dim: c.actDim,
    observations: c.observations.map((s) => ({ ...s })),
    actions: c.actions.map((s) => ({ ...s })),
    command_units: c.actions.map((a) => a.unit),
    control_mode: c.controlMode,
    joint_order: [...c.jointOrder],
    control_dt_s: c.controlDtS,
    action_clip: c.actionClip,
    action_offsets: [...c.actionOffsets],
    command_lower: [...limits.lower],
    command_upper: [...limits.upper],
    max_command_step: [...limits.maxStep],
    max_abs_observation: limits.maxAbsObservation,
    timeout_ms: limits.timeoutMs,
    safe_command: { ...limits.safe, command: [...limits.safe.command] },
    dr_ranges: { ...c.drRanges },
  };
}

/**
 * Motor commands for raw policy outputs (`command = offset + scale · clip(raw, ±clip)`), or the
 * graph's output as is when post-processing is baked in; `raw` is recovered in that case.
 */
export function commandsFromOutput(c: PolicyContract, y: Float32Array): { command: Float64Array; raw: Float64Array } {
  const A = c.actDim;
  const command = new Float64Array(A), raw = new Float64Array(A);
  for (let k = 0; k < A; k++) {
    const v = y[k] as number, s = c.actions[k]!.scale, off = c.actionOffsets[k]!;
    if (c.postprocess) {
      command[k] = v;
      raw[k] = (v - off) / s;
    } else {
      raw[k] = v;
      command[k] = off + s * Math.min(c.actionClip, Math.max(-c.actionClip, v));
    }
  }
  return { command, raw };
}
