/** Shared pieces of the ONNX tests: a PPO with random weights and statistics, and contract sources for real tasks. */
import { CpuBackend } from '../../src/backend/cpu.ts';
import type { Activation } from '../../src/backend/backend.ts';
import { PPO } from '../../src/rl/ppo.ts';
import { validatePpoConfig } from '../../src/rl/ppo_config.ts';
import { Rng } from '../../src/task/rng.ts';
import { loadRobotSpec, type LoadedRobotSpec } from '../../src/robot/robot_spec.ts';
import type { TaskSpec } from '../../src/task/task.ts';
import { getTask } from '../../envs/index.ts';
import type { ContractSources } from '../../src/onnx/metadata.ts';

/** A fresh seed per run (printed by the tests that use it, so a failure can be replayed). */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/**
 * A PPO on the CPU reference backend whose actor has random weights and biases (N(0, (1.5/√fan_in)²),
 * about the size of trained weights and far from the small-head init) and a non-trivial
 * normalizer: means N(0, 2²), variances e^U(−4, 4).
 */
export function randomPpo(obsDim: number, actDim: number, activation: Activation, seed: number, normalize = true): PPO {
  const cfg = validatePpoConfig({ num_envs: 2, num_steps: 8, minibatch_size: 16, actor_hidden: [64, 48], critic_hidden: [8], activation, normalize_obs: normalize }, 'test');
  const ppo = new PPO(new CpuBackend(), { obsDim, actDim, numEnvs: 2 }, cfg, new Rng(seed));
  const rng = new Rng(seed, 1);
  const params = Float32Array.from({ length: ppo.ac.numParams }, () => 0.1 * rng.normal());
  for (const l of ppo.ac.actor.layers) {
    const std = 1.5 / Math.sqrt(l.inDim);
    for (let i = 0; i < l.inDim * l.outDim; i++) params[l.wOffset + i] = std * rng.normal();
    for (let i = 0; i < l.outDim; i++) params[l.bOffset + i] = std * rng.normal();
  }
  const mean = Float32Array.from({ length: obsDim }, () => 2 * rng.normal());
  const variance = Float32Array.from({ length: obsDim }, () => Math.exp(rng.uniform(-4, 4)));
  ppo.loadWeights({ params, obsNormalizer: { count: 5000, mean, var: variance } });
  return ppo;
}

/**
 * Observations [rows, obsDim] around the normalizer's statistics, wide enough that some
 * normalized values pass ±10 and hit the clip.
 */
export function randomObs(rows: number, mean: Float32Array, variance: Float32Array, rng: Rng): Float32Array {
  const D = mean.length;
  return Float32Array.from({ length: rows * D }, (_, i) => mean[i % D]! + 6 * Math.sqrt(variance[i % D]!) * rng.normal());
}

/** Contract sources for a registered task and its robot, with made-up training facts. */
export function sourcesFor(taskName: string): Omit<ContractSources, 'network' | 'postprocess'> & { task: TaskSpec; robot: LoadedRobotSpec } {
  const task = getTask(taskName);
  return {
    task,
    robot: loadRobotSpec(task.robot),
    training: { dr: task.dr, configHash: '0123456789abcdef', packageVersion: '0.1.0-test', gitRevision: 'deadbeef', iterations: 7, envSteps: 7168 },
  };
}
