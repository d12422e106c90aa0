/**
 * A group of envs of one task sharing one physics scene on one thread: the unit a vec-env
 * worker runs, and what eval and the viewer use directly. The scene is Rapier's unless another
 * engine is given (`physics_scene.ts`: MuJoCo for sim-to-sim); the group is the same on every
 * engine. It owns what every task shares:
 * physics stepping with decimation, action latency, observation noise, pushes, episode
 * counting with time-out truncation, auto-reset that keeps the terminal observation, and
 * domain-randomization sampling. It reads actions from and writes results into flat typed
 * arrays, which the vec env places in SharedArrayBuffers.
 */
import { RAPIER_ENGINE, type RapierScene } from './rapier_scene.ts';
import { checkModelled, type PhysicsEngine, type PhysicsScene } from './physics_scene.ts';
import type { SimRobot } from '../task/sim_robot.ts';
import { loadUrdf } from '../robot/urdf/urdf_loader.ts';
import { loadRobotSpec, type LoadedRobotSpec } from '../robot/robot_spec.ts';
import { Rng } from '../task/rng.ts';
import { DR_KEYS, NOMINAL, packSample, sampleRandomization, type DomainRandomization, type DrSample } from '../task/randomize.ts';
import type { TaskEnv, TaskSpec, TaskStepResult } from '../task/task.ts';
import type { Vec3 } from '../robot/robot_model.ts';
import { generateTerrain } from '../task/terrain.ts';
import { allocateBuffers, checkBuffers, copyBuffers, loadBuffers, taskDims, type EnvBuffers, type EnvDims } from './env_buffers.ts';
import { ENV_STATE_FORMAT, ENV_STATE_VERSION, checkSlots, copyRanges, checkStateHeader, loadSlots, saveSlots } from './env_state.ts';
import type { EnvGroupHeader, EnvGroupState, EnvSlot } from './env_state.ts';

export { allocateBuffers, sliceBuffers, taskDims, type EnvBuffers, type EnvDims } from './env_buffers.ts';

/** The robot type of a scene type. */
export type RobotOf<S extends PhysicsScene> = S extends PhysicsScene<infer R> ? R : SimRobot;

/** An env group on any engine: what the episode loop, evaluation and its hooks take. */
export type AnyEnvGroup = EnvGroup<PhysicsScene>;

/** What an env group is built from: its task, its slice of the envs, the seed, the ranges and the buffers it writes. */
export interface EnvGroupConfig {
  task: TaskSpec;
  /** Envs in this group. */
  numEnvs: number;
  /** Global index of the first env (seeds and messages use global indices). */
  firstEnvIndex: number;
  seed: number;
  /** Randomization ranges (already resolved; `NOMINAL` when randomization is off). */
  dr: DomainRandomization;
  /** Buffers to use (e.g. views into shared memory); allocated when absent. */
  buffers?: EnvBuffers;
}

/** Counters of things that happened to the group's envs. */
export interface EnvGroupStats {
  /** Envs reset because physics produced a non-finite observation. */
  nonFiniteResets: number;
  /** Pushes applied. */
  pushes: number;
}

/** Envs of one task on one engine's scene `S` (Rapier's by default). */
export class EnvGroup<S extends PhysicsScene = RapierScene> {
  readonly task: TaskSpec;
  readonly spec: LoadedRobotSpec;
  readonly buffers: EnvBuffers;
  readonly dims: EnvDims;
  readonly numEnvs: number;
  readonly firstEnvIndex: number;
  readonly stats: EnvGroupStats = { nonFiniteResets: 0, pushes: 0 };
  /** Randomization ranges sampled at each reset. */
  readonly dr: DomainRandomization;
  /** The physics: every env's robot, stepped together. */
  readonly scene: S;
  private readonly slots: EnvSlot<RobotOf<S>>[];
  private readonly maxLatency: number;
  private readonly pushLinkIndex: number;
  private readonly result: TaskStepResult;
  private readonly actScratch: Float32Array;
  private readonly obsScratch: Float32Array;
  private readonly noiseScale: Float64Array;
  /** The critic's observation width (tasks with a critic group), else 0. */
  private readonly criticDim: number;
  private readonly seed: number;

  private constructor(cfg: EnvGroupConfig, scene: S, spec: LoadedRobotSpec, slots: EnvSlot<RobotOf<S>>[], buffers: EnvBuffers) {
    this.task = cfg.task;
    this.spec = spec;
    this.scene = scene;
    this.seed = cfg.seed;
    this.slots = slots;
    this.buffers = buffers;
    this.dims = taskDims(cfg.task);
    this.numEnvs = cfg.numEnvs;
    this.firstEnvIndex = cfg.firstEnvIndex;
    this.dr = cfg.dr;
    this.maxLatency = cfg.dr.latency_steps[1];
    const first = slots[0];
    this.pushLinkIndex = first ? (cfg.task.pushLink ? first.robot.linkIndex(cfg.task.pushLink) : 0) : 0;
    if (this.pushLinkIndex < 0) throw new Error(`task ${cfg.task.name}: pushLink "${cfg.task.pushLink}" is not a link of robot ${spec.name}`);
    this.result = { reward: 0, terminated: false, terms: new Float64Array(this.dims.numTerms) };
    this.actScratch = new Float32Array(this.dims.actDim);
    this.obsScratch = new Float32Array(this.dims.obsDim);
    this.noiseScale = Float64Array.from(cfg.task.observations, (s) => s.noise ?? 0);
    this.criticDim = this.dims.criticObsDim ?? 0;
  }

  /**
   * Builds the scene (on `engine`, Rapier by default), the robots and the task envs, and resets
   * every env. Ranges of parameters the engine does not model must be nominal.
   */
  static create(cfg: EnvGroupConfig): Promise<EnvGroup<RapierScene>>;
  static create<T extends PhysicsScene>(cfg: EnvGroupConfig, engine: PhysicsEngine<T>): Promise<EnvGroup<T>>;
  static async create(cfg: EnvGroupConfig, engine: PhysicsEngine = RAPIER_ENGINE): Promise<AnyEnvGroup> {
    const task = cfg.task;
    const spec = loadRobotSpec(task.robot);
    const model = loadUrdf(spec.urdfPath);
    const dims = taskDims(task);
    if (dims.actDim !== spec.joints.length) {
      throw new Error(`task ${task.name}: ${dims.actDim} actions declared but robot ${spec.name} drives ${spec.joints.length} joints`);
    }
    checkModelled(engine, cfg.dr);
    const terrain = task.terrain?.kind === 'rough' ? generateTerrain(task.terrain, cfg.seed) : undefined;
    const scene = await engine.createScene({
      model, spec, numEnvs: cfg.numEnvs, envSpacingM: task.envSpacingM, gravity: [0, 0, -NOMINAL.gravity[0]], ...(terrain ? { terrain } : {}),
    });
    try {
      if (terrain && !scene.terrain) throw new Error(`task ${task.name}: the ${engine.name} engine cannot build a generated terrain (terrain.kind: rough)`);
      const buffers = cfg.buffers ?? allocateBuffers(cfg.numEnvs, dims);
      const group = new EnvGroup(cfg, scene, spec, EnvGroup.buildSlots(cfg, scene), buffers);
      group.resetAll();
      return group;
    } catch (e) {
      scene.dispose();
      throw e;
    }
  }

  /** One slot per env: its robot in `scene` on a square grid of origins, its task env, RNG and latency queue. */
  private static buildSlots<R extends SimRobot>(cfg: EnvGroupConfig, scene: PhysicsScene<R>): EnvSlot<R>[] {
    const task = cfg.task;
    const cols = Math.max(1, Math.ceil(Math.sqrt(cfg.numEnvs)));
    const actDim = task.actions.length;
    const slots: EnvSlot<R>[] = [];
    for (let i = 0; i < cfg.numEnvs; i++) {
      const envIndex = cfg.firstEnvIndex + i;
      const origin: Vec3 = [(i % cols) * task.envSpacingM, Math.floor(i / cols) * task.envSpacingM, 0];
      const robot = scene.addRobot(origin);
      const rng = new Rng(cfg.seed, envIndex);
      const taskEnv = task.create({ robot, rng, envIndex, controlDtS: robot.spec.control_dt_s, ...(scene.terrain ? { terrain: scene.terrain } : {}) });
      if ((taskEnv.saveState === undefined) !== (taskEnv.loadState === undefined)) {
        throw new Error(`task ${task.name}: its env defines ${taskEnv.saveState ? 'saveState' : 'loadState'} without ${taskEnv.saveState ? 'loadState' : 'saveState'}`);
      }
      slots.push({
        robot, task: taskEnv, rng, sample: sampleRandomization(NOMINAL, rng), steps: 0, ret: 0,
        queue: new Float32Array((cfg.dr.latency_steps[1] + 1) * actDim), queueHead: 0, stepsToPush: 0,
      });
    }
    return slots;
  }

  /** The robot of local env `i`. */
  robot(i: number): RobotOf<S> {
    return this.slot(i).robot;
  }

  /** The task logic of local env `i`. */
  taskEnv(i: number): TaskEnv {
    return this.slot(i).task;
  }

  /** What local env `i` got at its last reset. */
  sample(i: number): DrSample {
    return this.slot(i).sample;
  }

  /** Resets every env (new randomization, new initial state) and writes their observations. */
  resetAll(): void {
    let i = 0;
    try {
      for (i = 0; i < this.numEnvs; i++) this.resetEnv(i);
    } catch (e) {
      throw new EnvError(this.firstEnvIndex + i, e);
    }
  }

  /** Resets local env `i` and writes its first observation into `buffers.obs`. */
  resetEnv(i: number): void {
    const s = this.slot(i);
    s.sample = sampleRandomization(this.dr, s.rng);
    s.robot.applyRandomization(s.sample);
    packSample(s.sample, this.buffers.drSamples, i * DR_KEYS.length);
    s.task.reset();
    s.steps = 0;
    s.ret = 0;
    s.queue.fill(0);
    s.queueHead = 0;
    s.stepsToPush = this.pushPeriodSteps(s);
    this.observeInto(s, this.buffers.obs, i * this.dims.obsDim);
    this.writeMetrics(s, i);
  }

  /** Writes local env `i`'s task metrics into `buffers.taskMetrics` (tasks that declare some). */
  private writeMetrics(s: EnvSlot<RobotOf<S>>, i: number): void {
    const m = this.dims.numMetrics;
    if (!m || !s.task.metrics) return;
    s.task.metrics(this.buffers.taskMetrics.subarray(i * m, (i + 1) * m));
  }

  /**
   * One control step of every env: actions from `buffers.actions`, physics with decimation,
   * rewards, flags, auto-reset. Throws naming the env when an action is not finite.
   */
  step(): void {
    let i = 0;
    try {
      for (i = 0; i < this.numEnvs; i++) this.commandEnv(i);
      i = -1;
      const dt = this.spec.physics_dt_s;
      for (let k = 0; k < this.spec.decimation; k++) {
        for (i = 0; i < this.numEnvs; i++) this.slot(i).robot.prePhysicsStep(dt);
        i = -1;
        this.scene.step();
      }
      for (i = 0; i < this.numEnvs; i++) this.finishStep(i);
    } catch (e) {
      throw i >= 0 ? new EnvError(this.firstEnvIndex + i, e) : e;
    }
  }

  /** Validates and clips local env `i`'s action, runs latency and pushes, commands the motors. */
  private commandEnv(i: number): void {
    const { actDim } = this.dims;
    const clip = this.spec.action_clip;
    const s = this.slot(i);
    const a = this.actScratch;
    for (let j = 0; j < actDim; j++) {
      const v = this.buffers.actions[i * actDim + j] as number;
      if (!Number.isFinite(v)) throw new Error(`action[${j}] (${this.task.actions[j]?.name}) is ${v}`);
      a[j] = v > clip ? clip : v < -clip ? -clip : v;
    }
    s.task.onAction?.(a);
    s.robot.setAction(this.enqueue(s, a));
    if (s.stepsToPush > 0 && --s.stepsToPush === 0) {
      const v = s.sample.push_velocity;
      s.robot.push(this.pushLinkIndex, [s.rng.uniform(-v, v), s.rng.uniform(-v, v), 0]);
      this.stats.pushes++;
      s.stepsToPush = this.pushPeriodSteps(s);
    }
  }

  /** `count` bare physics steps of this group's scene (the benchmark's baseline). */
  stepPhysicsOnly(count: number): void {
    for (let k = 0; k < count; k++) this.scene.step();
  }

  // -- checkpoints

  /**
   * Everything the group needs to continue exactly as it would have: a world snapshot, the
   * slots', robots' and task envs' JavaScript state, counters and its rows of every buffer.
   * Reads only: saving does not change what the next steps produce. Rapier groups only: their
   * world can be snapshotted.
   */
  saveState(this: EnvGroup<RapierScene>): EnvGroupState {
    return {
      format: ENV_STATE_FORMAT,
      version: ENV_STATE_VERSION,
      header: this.stateHeader(),
      physics: this.scene.snapshot(),
      physicsSteps: this.scene.physicsSteps,
      stats: { ...this.stats },
      runner: saveSlots(this.slots),
      robots: this.slots.map((s) => s.robot.saveState()),
      tasks: this.slots.map((s) => s.task.saveState?.() ?? null),
      buffers: copyBuffers(this.buffers),
    };
  }

  /**
   * Continues from `state` (from `saveState` of a group built with the same task, env count,
   * first index, seed and randomization ranges; a mismatch is an error naming it, and changes
   * nothing). The world is replaced by the snapshot's and the robots re-bound to it by handle.
   * An error from a task env's `loadState` leaves the group half-loaded: reset or load again.
   */
  loadState(this: EnvGroup<RapierScene>, state: EnvGroupState): void {
    const what = 'cannot load env group state';
    checkStateHeader(what, state, this.stateHeader());
    const n = this.numEnvs;
    checkSlots(what, state.runner, n, (this.maxLatency + 1) * this.dims.actDim);
    checkBuffers(what, state.buffers, this.buffers);
    for (const key of ['robots', 'tasks'] as const) {
      if (!Array.isArray(state[key]) || state[key].length !== n) throw new Error(`${what}: ${key} must list ${n} envs`);
    }
    if (!(state.physics instanceof Uint8Array)) throw new Error(`${what}: physics must be a Uint8Array (a Rapier world snapshot)`);
    const counts = [state.physicsSteps, state.stats?.nonFiniteResets, state.stats?.pushes];
    if (!counts.every((c) => Number.isInteger(c) && (c as number) >= 0)) throw new Error(`${what}: physicsSteps and stats must be counts`);
    try {
      this.scene.restore(state.physics, state.physicsSteps, this.firstEnvIndex);
    } catch (e) {
      throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    let i = 0;
    try {
      for (i = 0; i < n; i++) {
        const s = this.slot(i);
        s.robot.loadState(state.robots[i] as EnvGroupState['robots'][number]);
        if (s.task.loadState) s.task.loadState(state.tasks[i]);
      }
    } catch (e) {
      throw new EnvError(this.firstEnvIndex + i, e);
    }
    loadSlots(this.slots, state.runner);
    loadBuffers(this.buffers, state.buffers);
    this.stats.nonFiniteResets = state.stats.nonFiniteResets;
    this.stats.pushes = state.stats.pushes;
  }

  /** What a saved state must match to be loaded here. */
  private stateHeader(): EnvGroupHeader {
    return {
      task: this.task.name, robot: this.spec.name, numEnvs: this.numEnvs, firstEnvIndex: this.firstEnvIndex,
      seed: this.seed, dims: { ...this.dims }, dr: copyRanges(this.dr),
    };
  }

  /** Frees the scene. The group is unusable afterwards. */
  dispose(): void {
    this.scene.dispose();
  }

  private finishStep(i: number): void {
    const s = this.slot(i);
    const b = this.buffers;
    const { obsDim, numTerms } = this.dims;
    const r = this.result;
    r.reward = 0;
    r.terminated = false;
    r.terms.fill(0);
    s.task.evaluate(r);
    s.steps++;
    let reward = r.reward;
    let terminated = r.terminated;
    let truncated = !terminated && s.steps >= this.task.maxEpisodeSteps;
    this.observeInto(s, b.obs, i * obsDim);
    const C = this.criticDim;
    if (!isFiniteRow(b.obs, i * obsDim, obsDim) || !Number.isFinite(reward) || (C > 0 && !isFiniteRow(b.criticObs, i * C, C))) {
      // physics blew up: end the episode as terminal (nothing to bootstrap from) and start over
      this.stats.nonFiniteResets++;
      reward = 0;
      terminated = true;
      truncated = false;
      b.obs.fill(0, i * obsDim, (i + 1) * obsDim);
      b.criticObs.fill(0, i * C, (i + 1) * C);
    }
    for (let t = 0; t < numTerms; t++) b.rewardTerms[i * numTerms + t] = r.terms[t] as number;
    s.ret += reward;
    b.rewards[i] = reward;
    b.terminated[i] = terminated ? 1 : 0;
    b.truncated[i] = truncated ? 1 : 0;
    if (terminated || truncated) {
      b.terminalObs.set(b.obs.subarray(i * obsDim, (i + 1) * obsDim), i * obsDim);
      if (C > 0) b.terminalCriticObs.set(b.criticObs.subarray(i * C, (i + 1) * C), i * C);
      b.episodeReturn[i] = s.ret;
      b.episodeLength[i] = s.steps;
      this.resetEnv(i);
    } else {
      this.writeMetrics(s, i);
    }
  }

  /**
   * Writes the noisy observation of slot `s` into `out` at `offset` and, for a task with a
   * critic group, the critic's noise-free one into its row of `buffers.criticObs`.
   */
  private observeInto(s: EnvSlot<RobotOf<S>>, out: Float32Array, offset: number): void {
    const o = this.obsScratch;
    s.task.observe(o);
    const C = this.criticDim;
    if (C > 0) {
      if (!s.task.observeCritic) throw new Error(`task ${this.task.name}: declares criticObservations but its env has no observeCritic`);
      const row = offset / this.dims.obsDim;
      s.task.observeCritic(this.buffers.criticObs.subarray(row * C, (row + 1) * C), s.sample);
    }
    const level = s.sample.obs_noise;
    for (let j = 0; j < o.length; j++) {
      const scale = (this.noiseScale[j] as number) * level;
      out[offset + j] = scale > 0 ? (o[j] as number) + scale * (2 * s.rng.next() - 1) : (o[j] as number);
    }
  }

  /** Pushes `a` into the latency queue and returns the action due now. */
  private enqueue(s: EnvSlot<RobotOf<S>>, a: Float32Array): Float32Array {
    const d = this.dims.actDim;
    const depth = this.maxLatency + 1;
    s.queue.set(a, s.queueHead * d);
    const lag = Math.min(s.sample.latency_steps, this.maxLatency);
    const due = (s.queueHead - lag + depth) % depth;
    s.queueHead = (s.queueHead + 1) % depth;
    return s.queue.subarray(due * d, (due + 1) * d);
  }

  private pushPeriodSteps(s: EnvSlot<RobotOf<S>>): number {
    const interval = s.sample.push_interval_s;
    if (!(interval > 0) || !(s.sample.push_velocity > 0)) return 0;
    return Math.max(1, Math.round(interval / this.spec.control_dt_s));
  }

  private slot(i: number): EnvSlot<RobotOf<S>> {
    const s = this.slots[i];
    if (!s) throw new Error(`env index ${i} out of range (group has ${this.numEnvs})`);
    return s;
  }
}

/** An error raised by one env's task or robot, naming the env (global index). */
export class EnvError extends Error {
  constructor(readonly envIndex: number, cause: unknown) {
    super(`env ${envIndex}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'EnvError';
  }
}

function isFiniteRow(a: Float32Array, offset: number, n: number): boolean {
  for (let j = 0; j < n; j++) if (!Number.isFinite(a[offset + j] as number)) return false;
  return true;
}
