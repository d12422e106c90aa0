/**
 * The simulation throughput benchmark behind `sim2real bench sim` and `npm run bench:sim`:
 * env-steps/s of the vec env under random actions, and the same number of bare `world.step()`
 * calls on the same worlds, so the cost of our env logic (task, randomization, buffers,
 * thread hand-offs) shows as a ratio. With another engine (`engine`: MuJoCo) the envs run as one
 * env group in this thread — one core — against the same count of bare engine steps.
 */
import { VecEnv } from './vec/vec_env.ts';
import { EnvGroup } from './env_group.ts';
import type { PhysicsEngine } from './physics_scene.ts';
import { Rng } from '../task/rng.ts';
import { effectiveRanges } from '../task/randomize.ts';
import { locateTask } from '../task/task_registry.ts';

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
  /** An engine other than Rapier's vec env: one env group in this thread (`workers` must be 1). */
  engine?: PhysicsEngine;
  /** Called now and then with the fraction done. */
  onProgress?: (fraction: number) => void;
}

export interface BenchSimResult {
  env: string;
  /** The physics engine (`rapier` unless `BenchSimConfig.engine` named another). */
  engine: string;
  envs: number;
  workers: number;
  steps: number;
  decimation: number;
  /** Control steps of all envs per second, with random actions. */
  env_steps_per_s: number;
  /** The same count of env steps as bare physics: envs × steps × decimation bare engine steps per second, in env-steps. */
  raw_steps_per_s: number;
  /** env_steps_per_s / workers. */
  env_steps_per_s_per_worker: number;
  /** raw/env − 1: the time our env logic (task, randomization, buffers, threads) adds over bare stepping, as a fraction of it. */
  overhead: number;
}

/** Untimed steps first: the workers' JavaScript reaches its optimized tier within about 100 steps. */
const WARMUP_STEPS = 100;

/** What the timing loop steps: the vec env's or one env group's actions, steps and bare physics. */
interface Stepped {
  actions: Float32Array;
  decimation: number;
  taskName: string;
  step(): Promise<unknown> | void;
  /** Wall time (s) of `steps` bare physics steps of every env. */
  rawPhysics(steps: number): Promise<number>;
  close(): Promise<void> | void;
}

/** Runs the benchmark; the envs are closed before returning. */
export async function benchSim(cfg: BenchSimConfig): Promise<BenchSimResult> {
  const envs = cfg.engine ? await groupStepped(cfg, cfg.engine) : await vecStepped(cfg);
  try {
    const rng = new Rng(cfg.seed ?? 0, 0x5eed);
    const actions = envs.actions;
    const stepOnce = async () => {
      for (let i = 0; i < actions.length; i++) actions[i] = 2 * rng.next() - 1;
      await envs.step();
    };
    for (let s = 0; s < WARMUP_STEPS; s++) await stepOnce();
    const every = Math.max(1, Math.floor(cfg.steps / 20));
    const t0 = performance.now();
    for (let s = 0; s < cfg.steps; s++) {
      await stepOnce();
      if (s % every === 0) cfg.onProgress?.(s / cfg.steps / 2);
    }
    const envSeconds = (performance.now() - t0) / 1000;
    const decimation = envs.decimation;
    const rawSeconds = await envs.rawPhysics(cfg.steps * decimation);
    cfg.onProgress?.(1);
    const envRate = (cfg.envs * cfg.steps) / envSeconds;
    const rawRate = (cfg.envs * cfg.steps) / rawSeconds;
    return {
      env: envs.taskName, engine: cfg.engine?.name ?? 'rapier', envs: cfg.envs, workers: cfg.workers, steps: cfg.steps, decimation,
      env_steps_per_s: envRate, raw_steps_per_s: rawRate, env_steps_per_s_per_worker: envRate / cfg.workers,
      overhead: rawRate / envRate - 1,
    };
  } finally {
    await envs.close();
  }
}

/** Rapier's vec env over `cfg.workers` threads. */
async function vecStepped(cfg: BenchSimConfig): Promise<Stepped> {
  const vec = await VecEnv.create({ task: cfg.env, ...(cfg.robot !== undefined ? { robot: cfg.robot } : {}), numEnvs: cfg.envs, numWorkers: cfg.workers, seed: cfg.seed ?? 0, randomize: cfg.randomize ?? true, dr: cfg.dr });
  return {
    actions: vec.buffers.actions, decimation: vec.robotSpec.decimation, taskName: vec.task.name,
    step: () => vec.step(), rawPhysics: (steps) => vec.rawPhysics(steps), close: () => vec.close(),
  };
}

/** One env group on `engine` in this thread. */
async function groupStepped(cfg: BenchSimConfig, engine: PhysicsEngine): Promise<Stepped> {
  if (cfg.workers !== 1) throw new Error(`workers: the ${engine.name} engine runs in one thread (workers 1), got ${cfg.workers}`);
  const { spec: task } = await locateTask(cfg.env, cfg.robot);
  const dr = effectiveRanges(task.dr, { randomize: cfg.randomize ?? true, overrides: cfg.dr ?? {} });
  const group = await EnvGroup.create({ task, numEnvs: cfg.envs, firstEnvIndex: 0, seed: cfg.seed ?? 0, dr }, engine);
  return {
    actions: group.buffers.actions, decimation: group.spec.decimation, taskName: task.name,
    step: () => group.step(),
    rawPhysics: async (steps) => {
      const t0 = performance.now();
      group.stepPhysicsOnly(steps);
      return (performance.now() - t0) / 1000;
    },
    close: () => group.dispose(),
  };
}
