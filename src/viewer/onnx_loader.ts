/**
 * A `PolicyLoader` for an exported ONNX policy: loads the file for each task the viewer shows
 * and refuses a task the policy's contract does not fit, with a message naming the mismatch.
 */
import { NOMINAL, resolveRandomization } from '../task/randomize.ts';
import type { TaskSpec } from '../task/task.ts';
import { OnnxPolicy } from '../onnx/onnx_policy.ts';
import type { PolicyLoader } from './session.ts';

/** Loads `file` for a task; the envs it drives sample from the ranges it trained under. */
export function onnxPolicyLoader(file: string): PolicyLoader {
  return async (task: TaskSpec) => {
    const policy = await OnnxPolicy.load(file);
    try {
      policy.checkEnv(task);
      const dr = resolveRandomization(NOMINAL, policy.contract.drRanges);
      return { name: file, dr, act: (obs) => policy.envActions(obs), dispose: () => policy.dispose() };
    } catch (e) {
      await policy.dispose();
      throw new Error(`policy ${file} does not fit env ${task.name}: ${(e as Error).message}`);
    }
  };
}
