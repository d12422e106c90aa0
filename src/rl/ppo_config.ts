/**
 * PPO hyperparameters, each declared once with a one-line doc, its default, its JSON type and
 * its valid range (CleanRL style). Defaults are the cartpole recipe of DESIGN.md. The config is
 * closed: `validatePpoConfig` rejects unknown keys and out-of-range values with an error naming
 * the key. It takes typed values only: the command line turns `--set` strings into them, once,
 * by each key's `kind` (src/cli/overrides.ts).
 */

/**
 * The JSON type a config value takes: how the command line reads a `--set` string for the key
 * (`numbers`: a comma list such as `64,64`).
 */
export type ValueKind = 'integer' | 'number' | 'boolean' | 'string' | 'numbers';

/** One hyperparameter: its default, one line of doc, its JSON type, and a check returning the value or an error. */
export interface ParamSpec<T> {
  readonly default: T;
  readonly doc: string;
  readonly kind: ValueKind;
  parse(v: unknown): T | ParamError;
}

/** What a parser returns for a bad value: the expectation, for the error message. */
export class ParamError {
  constructor(readonly expected: string) {}
}

// -- parsers

function num(def: number, doc: string, lo: number, hi: number, opts: { int?: boolean; openLo?: boolean } = {}): ParamSpec<number> {
  const range = `${opts.int ? 'an integer' : 'a number'} in ${opts.openLo ? '(' : '['}${lo}, ${hi}]`;
  return {
    default: def,
    doc,
    kind: opts.int ? 'integer' : 'number',
    parse(x) {
      const ok = typeof x === 'number' && Number.isFinite(x) && (opts.openLo ? x > lo : x >= lo) && x <= hi && (!opts.int || Number.isInteger(x));
      return ok ? x : new ParamError(range);
    },
  };
}

function bool(def: boolean, doc: string): ParamSpec<boolean> {
  return {
    default: def,
    doc,
    kind: 'boolean',
    parse: (v) => (typeof v === 'boolean' ? v : new ParamError('true or false')),
  };
}

function choice<const T extends string>(def: T, doc: string, options: readonly T[]): ParamSpec<T> {
  return {
    default: def,
    doc,
    kind: 'string',
    parse: (v) => (options.includes(v as T) ? (v as T) : new ParamError(`one of ${options.join(', ')}`)),
  };
}

function layers(def: number[], doc: string): ParamSpec<number[]> {
  return {
    default: def,
    doc,
    kind: 'numbers',
    parse(v) {
      const ok = Array.isArray(v) && v.length >= 1 && v.length <= 8 && v.every((n) => Number.isInteger(n) && n >= 1 && n <= 4096);
      return ok ? [...(v as number[])] : new ParamError('1 to 8 layer widths in [1, 4096], e.g. [64, 64]');
    },
  };
}

/** Every PPO hyperparameter: default, doc and range. Add one here and it exists everywhere. */
export const PPO_PARAMS = {
  num_envs: num(16, 'parallel environments stepped per iteration', 1, 1 << 20, { int: true }),
  num_steps: num(128, 'steps per environment per iteration (rollout length T)', 1, 1 << 16, { int: true }),
  total_iterations: num(49, 'iterations the run is planned for; the linear schedule anneals to 0 there (derived: a training config refuses it and sets it from total_env_steps, i.e. --steps)', 1, 1e9, { int: true }),
  learning_rate: num(1e-3, 'Adam learning rate (initial value for the linear and adaptive schedules)', 0, 1, { openLo: true }),
  lr_schedule: choice('linear', "'fixed', 'linear' (anneal to 0 over total_iterations) or 'adaptive' (rsl_rl's KL rule)", ['fixed', 'linear', 'adaptive']),
  desired_kl: num(0.01, 'target approx_kl of the adaptive schedule', 0, 1, { openLo: true }),
  num_epochs: num(10, 'passes over the rollout per update', 1, 1000, { int: true }),
  minibatch_size: num(256, 'samples per minibatch; the remainder of num_envs·num_steps is left out of each epoch', 1, 1 << 24, { int: true }),
  gamma: num(0.99, 'discount factor', 0, 1),
  gae_lambda: num(0.95, 'GAE λ', 0, 1),
  clip_coef: num(0.2, 'surrogate clip range ε (also the value clip range)', 0, 10, { openLo: true }),
  clip_value_loss: bool(false, 'clip the value update to ±clip_coef around the rollout value (throttles the critic when returns are large)'),
  value_coef: num(0.5, 'weight of the value loss', 0, 1e3),
  entropy_coef: num(0, 'weight of the entropy bonus', 0, 10),
  max_grad_norm: num(0.5, 'clip the global gradient norm to this', 0, 1e6, { openLo: true }),
  advantage_norm: choice('batch', "normalize advantages over the whole 'batch', per 'minibatch', or 'none'", ['batch', 'minibatch', 'none']),
  adam_eps: num(1e-8, 'Adam ε', 0, 1, { openLo: true }),
  actor_hidden: layers([64, 64], 'hidden layer widths of the policy network'),
  critic_hidden: layers([64, 64], 'hidden layer widths of the value network'),
  activation: choice('tanh', "hidden activation: 'tanh' or 'elu'", ['tanh', 'elu']),
  init_log_std: num(0, 'initial log standard deviation of the Gaussian policy', -5, 2),
  log_std_min: num(-5, 'lower bound of the log standard deviation', -20, 2),
  log_std_max: num(2, 'upper bound of the log standard deviation', -5, 5),
  normalize_obs: bool(true, 'running mean/variance observation normalization (saved with the policy)'),
  obs_clip: num(10, 'clip normalized observations to ±this', 0, 1e6, { openLo: true }),
  reward_scaling: bool(false, 'divide rewards by the running std of the discounted return'),
} as const;

type ParamValue<S> = S extends ParamSpec<infer T> ? T : never;

/** Resolved PPO hyperparameters (see `PPO_PARAMS` for each key's doc and range). */
export type PpoConfig = { -readonly [K in keyof typeof PPO_PARAMS]: ParamValue<(typeof PPO_PARAMS)[K]> };

/** Names of the PPO hyperparameters. */
export type PpoConfigKey = keyof PpoConfig;

/** The defaults (DESIGN.md's cartpole recipe). */
export function defaultPpoConfig(): PpoConfig {
  return validatePpoConfig({}, 'defaults');
}

/**
 * Defaults overlaid with `partial` (typed JSON values), checked: an unknown key, a value of the
 * wrong type or an out-of-range value throws an error that starts with `where` and names the key.
 */
export function validatePpoConfig(partial: Readonly<Record<string, unknown>>, where: string): PpoConfig {
  const known = Object.keys(PPO_PARAMS);
  for (const key of Object.keys(partial)) {
    if (!Object.hasOwn(PPO_PARAMS, key)) throw new Error(`${where}: unknown PPO key "${key}" (known: ${known.join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(PPO_PARAMS) as [PpoConfigKey, ParamSpec<unknown>][]) {
    const given = Object.hasOwn(partial, key) ? partial[key] : undefined; // never a prototype's
    if (given === undefined) {
      out[key] = structuredClone(spec.default);
      continue;
    }
    const v = spec.parse(given);
    if (v instanceof ParamError) throw new Error(`${where}: ${key} must be ${v.expected}, got ${JSON.stringify(given)}`);
    out[key] = v;
  }
  const cfg = out as PpoConfig;
  const batch = cfg.num_envs * cfg.num_steps;
  if (cfg.minibatch_size > batch) {
    throw new Error(`${where}: minibatch_size ${cfg.minibatch_size} exceeds the rollout of num_envs × num_steps = ${batch} samples`);
  }
  if (cfg.log_std_min >= cfg.log_std_max) throw new Error(`${where}: log_std_min ${cfg.log_std_min} must be below log_std_max ${cfg.log_std_max}`);
  if (cfg.init_log_std < cfg.log_std_min || cfg.init_log_std > cfg.log_std_max) {
    throw new Error(`${where}: init_log_std ${cfg.init_log_std} must lie in [log_std_min, log_std_max] = [${cfg.log_std_min}, ${cfg.log_std_max}]`);
  }
  return cfg;
}

/** Minibatches per epoch: ⌊num_envs·num_steps / minibatch_size⌋. */
export function minibatchesPerEpoch(cfg: PpoConfig): number {
  return Math.floor((cfg.num_envs * cfg.num_steps) / cfg.minibatch_size);
}
