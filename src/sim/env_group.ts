/**
 * A group of envs of one task sharing one Rapier world on one thread: the unit a vec-env
 * worker runs, and what eval and the viewer use directly. It owns what every task shares:
 * physics stepping with decimation, action latency, observation noise, pushes, episode
 * counting with time-out truncation, auto-reset that keeps the terminal observation, and
 * domain-randomization sampling. It reads actions from and writes results into flat typed
 * arrays, which the vec env places in SharedArrayBuffers.
 */
import { loadRapier, type World } from './rapier.ts';
import { createGround, createWorld, buildRobot, type BuiltRobot, type StepClock } from './build.ts';
import { loadUrdf } from './urdf.ts';
import { loadRobotSpec, type LoadedRobotSpec } from './robot_spec.ts';
import { Rng } from './rng.ts';
import { DR_KEYS, NOMINAL, packSample, sampleRandomization, type DomainRandomization, type DrSample } from './randomize.ts';
import type { TaskEnv, TaskSpec, TaskStepResult } from './task.ts';
import type { Vec3 } from './robot_model.ts';

/** Flat per-env arrays a group reads and writes; row `i` belongs to local env `i`. */
export interface EnvBuffers {
  /** [n, obsDim] observations after the step (after auto-reset: the new episode's first). */
  obs: Float32Array;
  /** [n, actDim] actions for the next step, written by the caller. */
  actions: Float32Array;
  /** [n] reward of the last step. */
  rewards: Float32Array;
  /** [n] 1 where the last step ended in a terminal state. */
  terminated: Uint8Array;
  /** [n] 1 where the last step hit the time limit (bootstrap from terminalObs). */
  truncated: Uint8Array;
  /** [n, obsDim] the last observation of an episode that just ended (rows valid where done). */
  terminalObs: Float32Array;
  /** [n] return and length of an episode that just ended (valid where done). */
  episodeReturn: Float32Array;
  episodeLength: Int32Array;
  /** [n, rewardTerms] per-term rewards of the last step. */
  rewardTerms: Float32Array;
  /** [n, DR_KEYS.length] the randomization each env got at its last reset. */
  drSamples: Float64Array;
}

/** Sizes of one env's rows, for allocating buffers. */
export interface EnvDims {
  obsDim: number;
  actDim: number;
  numTerms: number;
}

/** Allocates buffers for `n` envs, on `SharedArrayBuffer`s when `shared`. */
export function allocateBuffers(n: number, dims: EnvDims, shared = false): EnvBuffers {
  const mk = <T>(ctor: new (b: ArrayBufferLike) => T, bytes: number): T =>
    new ctor(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return {
    obs: mk(Float32Array, 4 * n * dims.obsDim),
    actions: mk(Float32Array, 4 * n * dims.actDim),
    rewards: mk(Float32Array, 4 * n),
    terminated: mk(Uint8Array, n),
    truncated: mk(Uint8Array, n),
    terminalObs: mk(Float32Array, 4 * n * dims.obsDim),
    episodeReturn: mk(Float32Array, 4 * n),
    episodeLength: mk(Int32Array, 4 * n),
    rewardTerms: mk(Float32Array, 4 * n * dims.numTerms),
    drSamples: mk(Float64Array, 8 * n * DR_KEYS.length),
  };
}

/** Views of rows [start, start+count) of `b` (same memory). */
export function sliceBuffers(b: EnvBuffers, start: number, count: number, dims: EnvDims): EnvBuffers {
  const rows = <T extends Float32Array | Float64Array | Uint8Array | Int32Array>(a: T, width: number): T =>
    a.subarray(start * width, (start + count) * width) as T;
  return {
    obs: rows(b.obs, dims.obsDim),
    actions: rows(b.actions, dims.actDim),
    rewards: rows(b.rewards, 1),
    terminated: rows(b.terminated, 1),
    truncated: rows(b.truncated, 1),
    terminalObs: rows(b.terminalObs, dims.obsDim),
    episodeReturn: rows(b.episodeReturn, 1),
    episodeLength: rows(b.episodeLength, 1),
    rewardTerms: rows(b.rewardTerms, dims.numTerms),
    drSamples: rows(b.drSamples, DR_KEYS.length),
  };
}

/** Dimensions of a task's rows. */
export function taskDims(task: TaskSpec): EnvDims {
  return { obsDim: task.observations.length, actDim: task.actions.length, numTerms: task.rewardTerms.length };
}

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

/** Per-env state the runner keeps beside the task's own. */
interface EnvSlot {
  robot: BuiltRobot;
  task: TaskEnv;
  rng: Rng;
  sample: DrSample;
  steps: number;
  ret: number;
  /** Ring of past actions for latency (latency+1 rows used). */
  queue: Float32Array;
  queueHead: number;
  stepsToPush: number;
}

/** Counters of things that happened to the group's envs. */
export interface EnvGroupStats {
  /** Envs reset because physics produced a non-finite observation. */
  nonFiniteResets: number;
  /** Pushes applied. */
  pushes: number;
}

export class EnvGroup {
  readonly task: TaskSpec;
  readonly spec: LoadedRobotSpec;
  readonly world: World;
  readonly buffers: EnvBuffers;
  readonly dims: EnvDims;
  readonly numEnvs: number;
  readonly firstEnvIndex: number;
  readonly stats: EnvGroupStats = { nonFiniteResets: 0, pushes: 0 };
  /** Randomization ranges sampled at each reset. */
  readonly dr: DomainRandomization;
  private readonly slots: EnvSlot[];
  private readonly maxLatency: number;
  private readonly pushLinkIndex: number;
  private readonly result: TaskStepResult;
  private readonly actScratch: Float32Array;
  private readonly obsScratch: Float32Array;
  private readonly noiseScale: Float64Array;
  /** Counts world steps so robots can cache joint-state reads within one step. */
  private readonly clock: StepClock;

  private constructor(cfg: EnvGroupConfig, spec: LoadedRobotSpec, world: World, clock: StepClock, slots: EnvSlot[], buffers: EnvBuffers) {
    this.clock = clock;
    this.task = cfg.task;
    this.spec = spec;
    this.world = world;
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
  }

  /** Builds the world, the robots and the task envs, and resets every env. */
  static async create(cfg: EnvGroupConfig): Promise<EnvGroup> {
    const R = await loadRapier();
    const task = cfg.task;
    const spec = loadRobotSpec(task.robot);
    const model = loadUrdf(spec.urdfPath);
    const dims = taskDims(task);
    if (dims.actDim !== spec.joints.length) {
      throw new Error(`task ${task.name}: ${dims.actDim} actions declared but robot ${spec.name} drives ${spec.joints.length} joints`);
    }
    const world = createWorld(R, { dtS: spec.physics_dt_s, solverIterations: spec.solver_iterations ?? 4, gravity: [0, 0, -NOMINAL.gravity[0]] });
    createGround(R, world, { halfExtentM: Math.max(50, Math.sqrt(cfg.numEnvs) * task.envSpacingM) });
    const buffers = cfg.buffers ?? allocateBuffers(cfg.numEnvs, dims);
    const cols = Math.max(1, Math.ceil(Math.sqrt(cfg.numEnvs)));
    const slots: EnvSlot[] = [];
    const clock: StepClock = { steps: 0 };
    for (let i = 0; i < cfg.numEnvs; i++) {
      const envIndex = cfg.firstEnvIndex + i;
      const origin: Vec3 = [(i % cols) * task.envSpacingM, Math.floor(i / cols) * task.envSpacingM, 0];
      const robot = buildRobot(R, world, model, spec, { origin, clock });
      const rng = new Rng(cfg.seed, envIndex);
      const taskEnv = task.create({ robot, rng, envIndex, controlDtS: spec.control_dt_s });
      slots.push({
        robot, task: taskEnv, rng, sample: sampleRandomization(NOMINAL, rng), steps: 0, ret: 0,
        queue: new Float32Array((cfg.dr.latency_steps[1] + 1) * dims.actDim), queueHead: 0, stepsToPush: 0,
      });
    }
    const group = new EnvGroup(cfg, spec, world, clock, slots, buffers);
    group.resetAll();
    return group;
  }

  /** The robot of local env `i`. */
  robot(i: number): BuiltRobot {
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
        this.world.step();
        this.clock.steps++;
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

  /** `count` bare `world.step()` calls on this group's world (the benchmark's baseline). */
  stepPhysicsOnly(count: number): void {
    for (let k = 0; k < count; k++) {
      this.world.step();
      this.clock.steps++;
    }
  }

  /** Frees the world. The group is unusable afterwards. */
  dispose(): void {
    this.world.free();
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
    if (!isFiniteRow(b.obs, i * obsDim, obsDim) || !Number.isFinite(reward)) {
      // physics blew up: end the episode as terminal (nothing to bootstrap from) and start over
      this.stats.nonFiniteResets++;
      reward = 0;
      terminated = true;
      truncated = false;
      b.obs.fill(0, i * obsDim, (i + 1) * obsDim);
    }
    for (let t = 0; t < numTerms; t++) b.rewardTerms[i * numTerms + t] = r.terms[t] as number;
    s.ret += reward;
    b.rewards[i] = reward;
    b.terminated[i] = terminated ? 1 : 0;
    b.truncated[i] = truncated ? 1 : 0;
    if (terminated || truncated) {
      b.terminalObs.set(b.obs.subarray(i * obsDim, (i + 1) * obsDim), i * obsDim);
      b.episodeReturn[i] = s.ret;
      b.episodeLength[i] = s.steps;
      this.resetEnv(i);
    }
  }

  /** Writes the noisy observation of slot `s` into `out` at `offset`. */
  private observeInto(s: EnvSlot, out: Float32Array, offset: number): void {
    const o = this.obsScratch;
    s.task.observe(o);
    const level = s.sample.obs_noise;
    for (let j = 0; j < o.length; j++) {
      const scale = (this.noiseScale[j] as number) * level;
      out[offset + j] = scale > 0 ? (o[j] as number) + scale * (2 * s.rng.next() - 1) : (o[j] as number);
    }
  }

  /** Pushes `a` into the latency queue and returns the action due now. */
  private enqueue(s: EnvSlot, a: Float32Array): Float32Array {
    const d = this.dims.actDim;
    const depth = this.maxLatency + 1;
    s.queue.set(a, s.queueHead * d);
    const lag = Math.min(s.sample.latency_steps, this.maxLatency);
    const due = (s.queueHead - lag + depth) % depth;
    s.queueHead = (s.queueHead + 1) % depth;
    return s.queue.subarray(due * d, (due + 1) * d);
  }

  private pushPeriodSteps(s: EnvSlot): number {
    const interval = s.sample.push_interval_s;
    if (!(interval > 0) || !(s.sample.push_velocity > 0)) return 0;
    return Math.max(1, Math.round(interval / this.spec.control_dt_s));
  }

  private slot(i: number): EnvSlot {
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
