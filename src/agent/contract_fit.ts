/**
 * Whether a pushed policy fits the robot its agent drives: the policy's contract against the
 * robot contract (`robots/<name>.json`) — robot name, joints and their order, control mode and
 * period, action clip and scales, PD gains, default pose — and against the interface the robot's
 * controller already speaks (the observations it sends, the actions it applies). The first
 * difference is named; a policy that differs anywhere is refused and the active one keeps running.
 */
import type { ContractSignal, PolicyContract } from '../onnx/metadata.ts';
import { robotMismatch } from '../onnx/robot_fit.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';

/** Relative tolerance for numbers read back from JSON (they round-trip exactly; this only forgives re-typed files). */
const REL_TOL = 1e-9;

/**
 * Why `c` does not fit robot `spec`, or, when `served` is given, the interface of the policy
 * the controller is connected to; null when it fits. Observation scales may differ from the
 * served ones (the agent converts); names, units and order may not.
 */
export function contractMismatch(c: PolicyContract, spec: LoadedRobotSpec, served: PolicyContract | null): string | null {
  const robot = robotMismatch(c, spec);
  if (robot !== null) return robot;
  const r = `robot ${spec.name}`;
  if (!same(c.controlDtS, spec.control_dt_s)) return `control period: the policy runs every ${c.controlDtS} s, ${r} every ${spec.control_dt_s} s`;
  if (!same(c.actionClip, spec.action_clip)) return `action clip: ±${c.actionClip} in the policy, ±${spec.action_clip} on ${r}`;
  for (let k = 0; k < spec.joints.length; k++) {
    const j = spec.joints[k]!, name = `joint ${k} (${j.name})`;
    if (!same(c.actions[k]!.scale, j.action_scale)) return `${name}: action scale ${c.actions[k]!.scale} in the policy, ${j.action_scale} on ${r}`;
    if (c.jointKp && !same(c.jointKp[k]!, j.kp)) return `${name}: Kp ${c.jointKp[k]} in the policy, ${j.kp} on ${r}`;
    if (c.jointKd && !same(c.jointKd[k]!, j.kd)) return `${name}: Kd ${c.jointKd[k]} in the policy, ${j.kd} on ${r}`;
    if (!same(c.defaultJointPositions[k]!, j.default_pos)) return `${name}: default position ${c.defaultJointPositions[k]} in the policy, ${j.default_pos} on ${r}`;
    const offset = spec.control_mode === 'position' ? j.default_pos : 0;
    if (!same(c.actionOffsets[k]!, offset)) return `${name}: action offset ${c.actionOffsets[k]} in the policy, ${offset} on ${r}`;
  }
  if (served === null) return null;
  return signalsMismatch('observation', c.observations, served.observations, served.task)
    ?? signalsMismatch('action', c.actions, served.actions, served.task);
}

/** The first difference in name, unit or count between a policy's signals and the served ones. */
function signalsMismatch(kind: string, mine: readonly ContractSignal[], theirs: readonly ContractSignal[], task: string): string | null {
  const where = `the controller's (policy for task ${task} now served)`;
  const n = Math.max(mine.length, theirs.length);
  for (let i = 0; i < n; i++) {
    const a = mine[i], b = theirs[i];
    if (a?.name !== b?.name) return `${kind} ${i} is ${a?.name ?? '(none)'} in the policy but ${b?.name ?? '(none)'} in ${where}: the policy takes ${mine.length} ${kind}s, the controller's ${theirs.length}`;
    if (a!.unit !== b!.unit) return `${kind} ${i} (${a!.name}) is in ${a!.unit} in the policy but in ${b!.unit} in ${where}`;
  }
  return null;
}

function same(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= REL_TOL * Math.max(1, Math.abs(a), Math.abs(b));
}
