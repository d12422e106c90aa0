/**
 * The simulation throughput benchmark behind `sim2real bench sim` and `npm run bench:sim`:
 * env-steps/s of the vec env under random actions, and the same number of bare `world.step()`
 * calls on the same worlds, so the cost of our env logic (task, randomization, buffers,
 * thread hand-offs) shows as a ratio.
 */
import { VecEnv } from './vec/vec_env.ts';
import { Rng } from '../task/rng.ts';

export interface BenchSimConfig {
  env: string;
  /** Robot contract (JSON path) to run the task on instead of its own. */
  robot?: string;
  envs: number;
  workers: number;
  /** Control steps timed, after `WARMUP_STEPS` untimed ones (JIT tier-up of the env code). */
  steps: number;
  seed?: number;
  randomize?: boolean;
  /** Overrides of the task's randomization ranges. */
  dr?: Record<string, unknown>;
  /** Called now and then with the fraction done. */
  onProgress?: (fraction: number) => void;
}

export interface BenchSimResult {
  env: string;
  envs: number;
  workers: number;
  steps: number;
  decimation: number;
  /** Control steps of all envs per second, with random actions. */
  env_steps_per_s: number;
  /** The same count of env steps as bare physics: envs × steps × decimation `world.step()` bodies per second, in env-steps. */
  raw_steps_per_s: number;
  /** env_steps_per_s / workers. */
  env_steps_per_s_per_worker: number;
  /** raw/env − 1: the time our env logic (task, randomization, buffers, threads) adds over bare stepping, as a fraction of it. */
  overhead: number;
}

/** Untimed steps first: the workers' JavaScript reaches its optimized tier within about 100 steps. */
const WARMUP_STEPS = 100;

/** Runs the benchmark; the vec env is closed before returning. */
export async function benchSim(cfg: BenchSimConfig): Promise<BenchSimResult> {
  const vec = await VecEnv.create({ task: cfg.env, ...(cfg.robot !== undefined ? { robot: cfg.robot } : {}), numEnvs: cfg.envs, numWorkers: cfg.workers, seed: cfg.seed ?? 0, randomize: cfg.randomize ?? true, dr: cfg.dr });
  try {
    const rng = new Rng(cfg.seed ?? 0, 0x5eed);
    const actions = vec.buffers.actions;
    const warmup = WARMUP_STEPS;
    const stepOnce = async () => {
      for (let i = 0; i < actions.length; i++) actions[i] = 2 * rng.next() - 1;
      await vec.step();
    };
    for (let s = 0; s < warmup; s++) await stepOnce();
    const every = Math.max(1, Math.floor(cfg.steps / 20));
    const t0 = performance.now();
    for (let s = 0; s < cfg.steps; s++) {
      await stepOnce();
      if (s % every === 0) cfg.onProgress?.(s / cfg.steps / 2);
    }
    const envSeconds = (performance.now() - t0) / 1000;
    const decimation = vec.robotSpec.decimation;
    const rawSeconds = await vec.rawPhysics(cfg.steps * decimation);
    cfg.onProgress?.(1);
    const envRate = (cfg.envs * cfg.steps) / envSeconds;
    const rawRate = (cfg.envs * cfg.steps) / rawSeconds;
    return {
      env: vec.task.name, envs: cfg.envs, workers: cfg.workers, steps: cfg.steps, decimation,
      env_steps_per_s: envRate, raw_steps_per_s: rawRate, env_steps_per_s_per_worker: envRate / cfg.workers,
      overhead: rawRate / envRate - 1,
    };
  } finally {
    await vec.close();
  }
}
