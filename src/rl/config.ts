/**
 * The training configuration: every key declared once with its default, its JSON type and its
 * range, closed (an unknown key, a value of the wrong type or an out-of-range value is an error
 * naming the key). Layers hold typed values (the command line types its strings before they get
 * here), lowest first: built-in defaults, the task's `training` defaults, the `--config` file,
 * `--set key=value`, then the dedicated flags (`--envs`, `--steps`, `--seed`, `--workers`,
 * `--no-randomize`). `ppo.total_iterations` is derived from `total_env_steps`, never set.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { validatePpoConfig, type PpoConfig, type ValueKind } from './ppo_config.ts';
import { effectiveRanges, type DomainRandomization } from '../task/randomize.ts';
import type { TaskSpec } from '../task/task.ts';

/**
 * The robot a run trains on when it is not its task's own (`train --robot FILE.json`): the copy
 * of the contract (and its URDF) kept in the run directory, so the run does not depend on the
 * original files staying put (docs/run-directory.md).
 */
export interface RunRobot {
  /** The robot's name (the contract's `name`). */
  name: string;
  /** The contract's copy, relative to the run directory (`robot/<name>.json`). */
  file: string;
  /** SHA-256 (hex) of the copied contract, URDF and collision meshes: the copy is checked against it before use. */
  sha256: string;
}

/** A resolved training run configuration (written to `config.json`). */
export interface TrainConfig {
  /** Task name or task module path. */
  env: string;
  /** The robot, when not the task's own (absent: the task's `robot`). */
  robot?: RunRobot;
  /** Seed of the envs and of the trainer's random stream. */
  seed: number;
  /** Env steps to train for (rounded up to whole iterations of num_envs × num_steps). */
  total_env_steps: number;
  /** Worker threads stepping the envs (`"auto"` in a config layer resolves to a count here). */
  num_workers: number;
  /** false: every randomization range at its nominal value. */
  randomize: boolean;
  /** Randomization ranges trained under (resolved; nominal when randomize is false). */
  dr: DomainRandomization;
  /** PPO hyperparameters (num_envs and num_steps among them). */
  ppo: PpoConfig;
  /** Write a checkpoint every this many iterations (and at the end). */
  checkpoint_every: number;
  /** Checkpoints kept on disk (the newest ones). */
  keep_checkpoints: number;
  /** Stop after this many non-finite (rolled back) updates in a row. */
  max_nonfinite_updates: number;
  /** Also write TensorBoard event files under `tensorboard/`. */
  tensorboard: boolean;
}

type Layer = Record<string, unknown>;

const INT_KEYS: Record<string, [number, number]> = {
  seed: [0, 2 ** 32 - 1],
  total_env_steps: [1, 1e12],
  num_workers: [1, 1024],
  checkpoint_every: [1, 1e9],
  keep_checkpoints: [1, 1e6],
  max_nonfinite_updates: [1, 1e6],
};
const BOOL_KEYS = ['randomize', 'tensorboard'];
const KEYS = ['env', 'robot', 'dr', 'ppo', ...Object.keys(INT_KEYS), ...BOOL_KEYS];

/**
 * The JSON type of each top-level value (the `ppo` and `dr` sections aside), so that the
 * command line types its `--set` strings once. `num_workers` also takes the string `"auto"`.
 */
export const TRAIN_KEY_KINDS: Readonly<Record<string, ValueKind>> = {
  env: 'string',
  ...Object.fromEntries(Object.keys(INT_KEYS).map((k) => [k, 'integer'])),
  ...Object.fromEntries(BOOL_KEYS.map((k) => [k, 'boolean'])),
};

const DEFAULTS = {
  seed: 0,
  total_env_steps: 100_000,
  num_workers: 1,
  randomize: true,
  checkpoint_every: 10,
  keep_checkpoints: 5,
  max_nonfinite_updates: 5,
  tensorboard: false,
};

/**
 * Merges `layers` (lowest first) over the defaults and the task's training defaults, checks
 * every key, and resolves PPO and randomization. `where` starts error messages.
 */
export function resolveTrainConfig(task: TaskSpec, env: string, layers: Layer[], where = 'config'): TrainConfig {
  const merged: Layer = { ...DEFAULTS };
  const ppo: Layer = {};
  const dr: Layer = {};
  for (const layer of [task.training ?? {}, ...layers]) {
    for (const [key, value] of Object.entries(layer)) {
      if (!KEYS.includes(key)) throw new Error(`${where}: unknown key "${key}" (known: ${KEYS.join(', ')})`);
      if (key === 'ppo' || key === 'dr') {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: ${key} must be an object`);
        if (key === 'ppo' && Object.hasOwn(value, 'total_iterations')) throw new Error(DERIVED_ITERATIONS(where));
        Object.assign(key === 'ppo' ? ppo : dr, value);
      } else if (key === 'env') {
        if (value !== env) throw new Error(`${where}: env ${JSON.stringify(value)} differs from the task being trained ("${env}"); name the task with --env`);
      } else if (key === 'robot') {
        merged.robot = parseRunRobot(`${where}: robot`, value);
      } else {
        merged[key] = value;
      }
    }
  }
  const out: Record<string, unknown> = { env };
  if (merged.robot !== undefined) out.robot = merged.robot;
  const autoWorkers = merged.num_workers === 'auto';
  if (autoWorkers) merged.num_workers = 1;
  for (const [key, [lo, hi]] of Object.entries(INT_KEYS)) {
    out[key] = parseInteger(`${where}: ${key}`, merged[key], lo, hi, key === 'num_workers' ? ' or "auto"' : '');
  }
  for (const key of BOOL_KEYS) out[key] = parseBool(`${where}: ${key}`, merged[key]);
  const cfg = out as unknown as TrainConfig;
  const ppoCfg = validatePpoConfig(ppo, `${where}: ppo`);
  const rollout = ppoCfg.num_envs * ppoCfg.num_steps;
  // the linear schedule anneals over the planned iterations
  cfg.ppo = validatePpoConfig({ ...ppo, total_iterations: Math.max(1, Math.ceil(cfg.total_env_steps / rollout)) }, `${where}: ppo`);
  if (autoWorkers) cfg.num_workers = autoWorkerCount(cfg.ppo.num_envs);
  if (cfg.num_workers > cfg.ppo.num_envs) throw new Error(`${where}: num_workers ${cfg.num_workers} exceeds ppo.num_envs ${cfg.ppo.num_envs}`);
  cfg.dr = effectiveRanges(task.dr, { randomize: cfg.randomize, overrides: dr });
  return cfg;
}

/** The error for a layer that sets `ppo.total_iterations`, which is derived, never set. */
const DERIVED_ITERATIONS = (where: string) =>
  `${where}: ppo.total_iterations is derived (total_env_steps / (ppo.num_envs × ppo.num_steps), rounded up) and cannot be set; give the env steps with --steps (or total_env_steps)`;

/**
 * `num_workers: "auto"`: one worker per core, but at least `AUTO_ENVS_PER_WORKER` envs each, so
 * a worker's step outweighs its message round trip (cartpole's 16 envs stay on one worker).
 */
export function autoWorkerCount(numEnvs: number, cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(cores, Math.floor(numEnvs / AUTO_ENVS_PER_WORKER)));
}

/** The fewest envs `"auto"` gives a worker. */
const AUTO_ENVS_PER_WORKER = 32;

/** A short stable hash of the configuration (policy metadata, run identity). */
export function configHash(cfg: TrainConfig): string {
  return createHash('sha256').update(stableJson(cfg)).digest('hex').slice(0, 16);
}

/** A `robot` value: `{ name, file, sha256 }`, `file` relative and inside the run directory. */
function parseRunRobot(field: string, v: unknown): RunRobot {
  const r = v as Partial<Record<keyof RunRobot, unknown>>;
  const ok = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => ['name', 'file', 'sha256'].includes(k)) &&
    typeof r.name === 'string' && r.name !== '' && typeof r.file === 'string' && typeof r.sha256 === 'string' && /^[0-9a-f]{64}$/.test(r.sha256);
  if (!ok) throw new Error(`${field} must be { name, file, sha256 } as train --robot writes it, got ${JSON.stringify(v)} (give a robot with --robot FILE.json)`);
  const file = r.file as string;
  if (file === '' || file.startsWith('/') || file.split(/[\\/]/).includes('..')) throw new Error(`${field}.file must be a path inside the run directory, got ${JSON.stringify(file)}`);
  return { name: r.name as string, file, sha256: r.sha256 as string };
}

function parseInteger(field: string, v: unknown, lo: number, hi: number, orElse = ''): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new Error(`${field} must be an integer in [${lo}, ${hi}]${orElse}, got ${JSON.stringify(v)}`);
  return v;
}

function parseBool(field: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  throw new Error(`${field} must be true or false, got ${JSON.stringify(v)}`);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Layer)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
