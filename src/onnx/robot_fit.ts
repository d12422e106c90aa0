/**
 * Whether a policy fits a robot contract: the same robot name, the same joints in the same order
 * (the action order), the same control mode. The commonest cause of a policy that walks in
 * simulation but shakes on hardware is a joint order mismatch, so the message names the first
 * difference. Engine- and runtime-free: the bridge uses it too.
 */

/** What a policy's robot is checked against: a robot contract's name, joints (in order) and control mode (a `RobotSpec` fits). */
export interface RobotSignature {
  name: string;
  joints: readonly { name: string }[];
  control_mode: string;
  /** Where the contract was read from, for messages. */
  specPath?: string;
}

/**
 * Why a policy made for robot `robot` with joints `jointOrder` (and `controlMode`) does not fit
 * the robot contract `given`, naming the first difference; null when it fits. Used for ONNX
 * policies (`OnnxPolicy.checkRobot`, the bridge) and for runs checked against `--robot`.
 */
export function robotMismatch(policy: { robot: string; jointOrder: readonly string[]; controlMode?: string }, given: RobotSignature): string | null {
  const where = given.specPath ? ` (${given.specPath})` : '';
  if (policy.robot !== given.name) return `the policy is for robot ${policy.robot}, not for robot ${given.name}${where}`;
  const n = Math.max(policy.jointOrder.length, given.joints.length);
  for (let k = 0; k < n; k++) {
    const mine = policy.jointOrder[k], theirs = given.joints[k]?.name;
    if (mine !== theirs) return `joint ${k} is ${mine ?? '(none)'} in the policy but ${theirs ?? '(none)'} in robot ${given.name}${where}: the joint order differs`;
  }
  if (policy.controlMode !== undefined && policy.controlMode !== given.control_mode) return `the policy uses ${policy.controlMode} control, robot ${given.name}${where} ${given.control_mode} control`;
  return null;
}
