/**
 * The one way a command loads a policy to drive envs with, for `eval` (and `eval --record`) and
 * `view` alike: from a run directory (its latest checkpoint, the TypeScript actor on the CPU
 * backend — exactly what the run trained) or from an exported ONNX file (through onnxruntime —
 * what a robot runs). Either way the policy is checked against the task it will drive and comes
 * with the randomization ranges it trained under. It joins the learner (`src/rl`) and the ONNX
 * runtime (`src/onnx`), which only the command line may import together.
 */
import path from 'node:path';
import { CpuBackend } from '../backend/cpu.ts';
import { loadRun } from '../rl/load_run.ts';
import { OnnxPolicy, PolicyMismatchError, robotMismatch } from '../onnx/onnx_policy.ts';
import { loadRobotSpec } from '../robot/robot_spec.ts';
import { NOMINAL, resolveRandomization, type DomainRandomization } from '../task/randomize.ts';
import type { TaskSpec } from '../task/task.ts';
import type { BatchPolicy } from '../sim/episodes.ts';
import { resolveTask } from '../../envs/index.ts';
import { runRobotFile } from './robot_option.ts';

/** Where a policy comes from: a run directory (`--run`) or an ONNX file (`--policy`). */
export type PolicyRef = { run: string } | { onnx: string };

/** A policy ready to drive envs of one task (the viewer's `ViewerPolicy` shape, and more). */
export interface LoadedPolicy {
  /** How to name it: the ONNX file, or the run directory with its checkpoint's file name. */
  readonly name: string;
  /** What a JSON report names it by: `{ run, checkpoint }` or `{ policy }` (the file). */
  readonly source: Readonly<Record<string, string>>;
  /** The randomization ranges it trained under. */
  readonly dr: DomainRandomization;
  /** Deterministic actions for a batch of observations. */
  readonly act: BatchPolicy;
  dispose(): Promise<void>;
}

/**
 * Loads the policy `ref` names for driving envs of `task` (on the robot `task.robot`). A policy
 * trained for another task or another robot (name, joints and their order), or for ONNX with
 * other signals, throws `PolicyMismatchError` naming the first difference; a missing or damaged
 * file or run directory throws an `Error` naming it. A run directory is re-read at every call,
 * so a later call picks up a newer checkpoint.
 */
export async function loadPolicy(ref: PolicyRef, task: TaskSpec): Promise<LoadedPolicy> {
  return 'run' in ref ? await runPolicy(ref.run, task) : await onnxPolicy(ref.onnx, task);
}

async function runPolicy(dir: string, task: TaskSpec): Promise<LoadedPolicy> {
  const run = loadRun(dir, new CpuBackend());
  // `env` is what train was given: a task name or a task module's path
  const trained = await resolveTask(run.config.env);
  if (trained.name !== task.name) throw new PolicyMismatchError(`run ${dir} was trained on env ${run.config.env}, not ${task.name}`);
  const robot = loadRobotSpec(runRobotFile(dir, run.config.robot) ?? trained.robot);
  const why = robotMismatch({ robot: robot.name, jointOrder: robot.joints.map((j) => j.name), controlMode: robot.control_mode }, loadRobotSpec(task.robot));
  if (why !== null) throw new PolicyMismatchError(`run ${dir}: ${why.replace('the policy', 'the run')}`);
  return {
    name: `${dir} (${path.basename(run.checkpoint)})`,
    source: { run: dir, checkpoint: run.checkpoint },
    dr: run.config.dr,
    act: (obs) => run.ppo.actDeterministic(obs),
    dispose: async () => {},
  };
}

async function onnxPolicy(file: string, task: TaskSpec): Promise<LoadedPolicy> {
  const policy = await OnnxPolicy.load(file);
  try {
    const { robot: _robot, ...signature } = task;
    // another task is the first thing to say; then another robot (name, joint order); then the signals
    if (policy.contract.task !== task.name) policy.checkEnv(signature);
    const robot = loadRobotSpec(task.robot);
    try {
      policy.checkRobot(robot);
    } catch (e) {
      const hint = policy.contract.robot !== robot.name ? `; run it on its own robot with --robot <${policy.contract.robot}'s contract>.json` : '';
      throw new PolicyMismatchError(`${(e as Error).message}${hint}`);
    }
    policy.checkEnv(signature);
    const dr = resolveRandomization(NOMINAL, policy.contract.drRanges);
    return { name: file, source: { policy: file }, dr, act: (obs) => policy.envActions(obs), dispose: () => policy.dispose() };
  } catch (e) {
    await policy.dispose();
    throw e;
  }
}
