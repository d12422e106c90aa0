/**
 * The task API: what a file in `envs/` declares (observation and action layout with names and
 * units, reward terms, episode length, domain-randomization defaults) and the per-env object
 * it creates (reset distribution, observation, reward and termination). The env runner
 * (`src/sim/env_group.ts`) owns everything tasks share: stepping the physics with decimation,
 * action latency, observation noise, pushes, episode counting and time-out truncation,
 * auto-reset, and randomization sampling.
 */
import type { Rng } from './rng.ts';
import type { SimRobot } from './sim_robot.ts';
import type { DomainRandomization, DrSample } from './randomize.ts';
import type { TerrainConfig, TerrainQuery } from './terrain.ts';

/** One scalar of the observation or action vector. */
export interface SignalSpec {
  /** Stable name, e.g. `pole_angle`, `FL_knee_pos`. Shipped in policy metadata. */
  name: string;
  /** Unit, e.g. `m`, `rad`, `rad/s`, `1` (dimensionless), `N`. */
  unit: string;
  /**
   * Scale from the physical quantity (in `unit`) to the number the policy sees:
   * observed = scale · quantity (legged_gym's obs_scales). For actions: quantity = scale ·
   * action, e.g. a joint offset in rad = 0.25 · action. Default 1.
   */
  scale?: number;
  /** Observation noise at obs_noise = 1: uniform in ±noise, in observed (scaled) units. Default 0. */
  noise?: number;
}

/**
 * One command a task asks the robot to track (legged_gym's velocity commands): the env samples
 * it from `range` and can be told to hold it (`TaskEnv.setCommands`); evaluation compares the
 * measured quantity with it.
 */
export interface CommandSpec {
  /** Stable name, e.g. `vx`: what `sim2real eval --command vx=0.8` takes. */
  name: string;
  /** Unit of the command and of the measured quantity, e.g. `m/s`. */
  unit: string;
  /** The range [lo, hi] the task samples the command from (in `unit`). */
  range: readonly [number, number];
  /** `info()` key holding the command's current value, e.g. `command_vx`. */
  commandKey: string;
  /** `info()` key holding the measured quantity the command asks the robot to track, e.g. `base_vx`. */
  measuredKey: string;
}

/** Everything a task's per-env object may use. */
export interface TaskContext {
  /** The env's robot, already built in the world. */
  robot: SimRobot;
  /** The env's own seeded RNG (also drives randomization and noise: draw order is part of the contract). */
  rng: Rng;
  /** Global env index (across workers). */
  envIndex: number;
  /** Control period (s) of the robot spec: the time one `evaluate` covers. */
  controlDtS: number;
  /** Heights of the generated terrain under points, for tasks whose `terrain` is `rough`. */
  terrain?: TerrainQuery;
}

/** Reused result object a task fills on each control step. */
export interface TaskStepResult {
  /** Total reward of this control step (sum of the terms). */
  reward: number;
  /** True when the episode ended in a terminal state (no bootstrap); time-outs are the runner's. */
  terminated: boolean;
  /** Per-term reward contributions (already weighted and multiplied by dt where the task does so), `rewardTerms` order. */
  terms: Float64Array;
}

/** One env's task logic. */
export interface TaskEnv {
  /** Puts the robot in a fresh initial state and resamples targets or commands. */
  reset(): void;
  /** Called with the policy's action (clipped to ±action_clip) every control step, before physics; for tasks that track actions. */
  onAction?(action: Float32Array): void;
  /**
   * Writes the noise-free observation (length obs_dim). The runner calls it right after
   * `evaluate` (no physics in between) or right after `reset`, so state read in `evaluate`
   * may be reused.
   */
  observe(out: Float32Array): void;
  /**
   * Writes the critic's observation (length `TaskSpec.criticObservations`), noise-free, right
   * after `observe`; `dr` is what the env drew at its last reset (privileged: friction, masses,
   * motor strength). Tasks that declare a critic group define it.
   */
  observeCritic?(out: Float32Array, dr: DrSample): void;
  /** After the physics of a control step: reward, terms and termination. */
  evaluate(out: TaskStepResult): void;
  /**
   * Named per-env task state the viewer and eval may show (commands, targets, and the measured
   * quantities commands ask for), as of the last observation.
   */
  info?(): Record<string, number>;
  /**
   * Holds the commands at `fixed` (one value per `TaskSpec.commands` entry, in that order)
   * through resampling and resets, from now on, until called with `null`, which returns to
   * sampling at the next resample or reset. Tasks that declare `commands` define it.
   */
  setCommands?(fixed: Float64Array | null): void;
  /**
   * The env's own state that carries over from one control step to the next (commands,
   * targets, timers, last actions), as JSON values and typed arrays (copies), for checkpoints;
   * the robot, the RNG and the runner are saved by the runner. Define it with `loadState`, or
   * neither when the env keeps nothing between steps: everything it uses is re-read from the
   * robot or set by `reset` / `onAction` before it is used.
   */
  saveState?(): unknown;
  /** Continues from what `saveState` returned (possibly after a round trip through a file); malformed input is an error. */
  loadState?(state: unknown): void;
  /** Writes the env's current value of each of `TaskSpec.metrics` (in that order) into `out`. */
  metrics?(out: Float64Array): void;
}

/** A task, declared once per file in `envs/` and registered in `envs/index.ts`. */
export interface TaskSpec {
  name: string;
  /** One line for `sim2real envs`. */
  description: string;
  /** Robot: a name (`robots/<robot>.json` and its URDF) or the path of a robot contract JSON. */
  robot: string;
  /** Control steps before time-out truncation. */
  maxEpisodeSteps: number;
  /** The actor's observations: what the exported policy takes, and all a robot must measure. */
  observations: readonly SignalSpec[];
  /**
   * The critic's observations when it sees more than the actor (an asymmetric critic on
   * privileged state the robot cannot measure); absent, the critic sees `observations`. Used in
   * training only: the exported policy and its contract have the actor's alone.
   */
  criticObservations?: readonly SignalSpec[];
  actions: readonly SignalSpec[];
  /** Names of the reward terms `evaluate` fills. */
  rewardTerms: readonly string[];
  /** Randomization ranges trained under by default. */
  dr: DomainRandomization;
  /** Distance between env origins in the shared world (m). */
  envSpacingM: number;
  /**
   * Commands the policy observes and is rewarded for tracking, if any (`setCommands` fixes
   * them, `sim2real eval --command` measures how well they are tracked).
   */
  commands?: readonly CommandSpec[];
  /** URDF link that pushes hit (default: the root). */
  pushLink?: string;
  /**
   * Training defaults for this task, layered under the user's config: `ppo` keys (see
   * `src/rl/ppo_config.ts`) and top-level training keys such as `total_env_steps`.
   */
  training?: Record<string, unknown>;
  /**
   * The same task on another robot (`--robot FILE.json`, a contract path or a name in
   * `robots/`), for tasks whose layout comes from the robot contract (the quadruped's joints,
   * legs and feet). Without it a task keeps its layout and only its `robot` changes: the other
   * robot must then drive the joints the task expects.
   */
  forRobot?(robot: string): TaskSpec;
  /**
   * The ground: a flat plane at z = 0 (absent, or `kind: 'flat'`), or a terrain generated from
   * the run's seed (`kind: 'rough'`, `src/task/terrain.ts`), whose heights the env's
   * `TaskContext.terrain` answers.
   */
  terrain?: TerrainConfig;
  /**
   * Names of per-env numbers the task reports (`TaskEnv.metrics`), e.g. `terrain_level`: each
   * metrics row logs their mean over the envs after the iteration's rollout.
   */
  metrics?: readonly string[];
  /** Creates one env's logic. */
  create(ctx: TaskContext): TaskEnv;
}
