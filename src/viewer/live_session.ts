/**
 * `LiveSession`: one env group of a task stepped on demand with a policy, zero actions or
 * random actions, producing the scene and frame messages the page draws.
 */
import { EnvGroup } from '../sim/env_group.ts';
import { DR_RANGE_KEYS, sampleLabels, type DomainRandomization, type DrSample } from '../task/randomize.ts';
import { Rng } from '../task/rng.ts';
import type { TaskSpec } from '../task/task.ts';
import type { Vec3 } from '../robot/robot_model.ts';
import { describeRobot, type RobotDescription } from './scene_description.ts';
import { readContactPoints } from './contacts.ts';
import type { ActionMode, FrameMessage, SceneMessage } from './protocol.ts';
import type { ViewerPolicy, ViewerSession } from './session.ts';

/** What a live session runs. */
export interface LiveSessionConfig {
  task: TaskSpec;
  numEnvs: number;
  seed: number;
  /** Ranges each env's randomization is sampled from. */
  dr: DomainRandomization;
  /** Policy for `actionMode: 'policy'`; null runs zero or random actions. */
  policy: ViewerPolicy | null;
  /** Initial action mode (default: `policy` with a policy, else `random`). */
  actionMode?: ActionMode;
}

/** A live simulation the viewer steps; call `dispose()` to free the physics world. */
export class LiveSession implements ViewerSession {
  readonly mode = 'live';
  readonly controlDtS: number;
  readonly steps = null;
  /** What the page draws (bodies, shapes, joint axes). */
  readonly robotDescription: RobotDescription;
  /** Control steps since the session started or was reset. */
  step = 0;
  private mode_: ActionMode;
  private readonly rng: Rng;
  private readonly pose = new Float64Array(7);
  private readonly dones: Uint8Array;

  private constructor(readonly group: EnvGroup, private readonly cfg: LiveSessionConfig) {
    this.controlDtS = group.spec.control_dt_s;
    this.robotDescription = describeRobot(group.robot(0));
    this.mode_ = cfg.actionMode ?? (cfg.policy ? 'policy' : 'random');
    if (this.mode_ === 'policy' && !cfg.policy) this.mode_ = 'random';
    this.rng = new Rng(cfg.seed, 0x7e11);
    this.dones = new Uint8Array(cfg.numEnvs);
  }

  /** Builds the envs (seeded like `EnvGroup.create` with `firstEnvIndex` 0). */
  static async create(cfg: LiveSessionConfig): Promise<LiveSession> {
    const group = await EnvGroup.create({ task: cfg.task, numEnvs: cfg.numEnvs, firstEnvIndex: 0, seed: cfg.seed, dr: cfg.dr });
    return new LiveSession(group, cfg);
  }

  /** How actions are chosen now. */
  get actionMode(): ActionMode {
    return this.mode_;
  }

  /** Switches how actions are chosen; `policy` without a policy is an error. */
  setActionMode(mode: ActionMode): void {
    if (mode === 'policy' && !this.cfg.policy) throw new Error('no policy is loaded (start with --policy FILE.onnx or --run DIR)');
    this.mode_ = mode;
  }

  /** The task being simulated. */
  get task(): TaskSpec {
    return this.cfg.task;
  }

  /** The randomization each env got at its last reset. */
  drSamples(): DrSample[] {
    return Array.from({ length: this.group.numEnvs }, (_, i) => ({ ...this.group.sample(i) }));
  }

  /** The scene message: bodies, origins, signal names, samples and ranges. */
  scene(): SceneMessage {
    const g = this.group;
    const t = this.cfg.task;
    const ranges: Record<string, [number, number]> = {};
    for (const k of DR_RANGE_KEYS) ranges[k] = [this.cfg.dr[k][0], this.cfg.dr[k][1]];
    return {
      type: 'scene', mode: 'live', task: t.name, numEnvs: g.numEnvs,
      origins: Array.from({ length: g.numEnvs }, (_, i) => [...g.robot(i).origin] as Vec3),
      robot: this.robotDescription,
      observations: t.observations.map((s) => ({ name: s.name, unit: s.unit })),
      actions: t.actions.map((s) => ({ name: s.name, unit: s.unit })),
      rewardTerms: [...t.rewardTerms], controlDtS: this.controlDtS,
      policy: this.cfg.policy?.name ?? null, actionMode: this.mode_, dr: this.drSamples(), drRanges: ranges, drKeys: sampleLabels(),
    };
  }

  /** One control step of every env with the current action mode. */
  async advance(): Promise<boolean> {
    const b = this.group.buffers;
    if (this.mode_ === 'policy' && this.cfg.policy) {
      const a = await this.cfg.policy.act(b.obs);
      if (a.length !== b.actions.length) throw new Error(`policy ${this.cfg.policy.name} returned ${a.length} actions, the envs need ${b.actions.length}`);
      b.actions.set(a);
    } else if (this.mode_ === 'random') {
      for (let i = 0; i < b.actions.length; i++) b.actions[i] = this.rng.uniform(-1, 1);
    } else {
      b.actions.fill(0);
    }
    this.group.step();
    for (let i = 0; i < this.dones.length; i++) this.dones[i] = b.terminated[i] || b.truncated[i] ? 1 : 0;
    this.step++;
    return true;
  }

  /** Whether the last step reset any env (its randomization changed). */
  anyDone(): boolean {
    return this.dones.some((d) => d === 1);
  }

  /** The current poses (and contact points when `contacts`), observations, actions, rewards and terms of every env. */
  frame(contacts: boolean): FrameMessage {
    const g = this.group;
    const b = g.buffers;
    const nb = this.robotDescription.bodies.length;
    const poses = new Array<number>(g.numEnvs * nb * 7);
    const pts: number[][] = [];
    for (let e = 0; e < g.numEnvs; e++) {
      const robot = g.robot(e);
      for (let k = 0; k < nb; k++) {
        robot.readLinkPose(k, this.pose);
        for (let j = 0; j < 7; j++) poses[(e * nb + k) * 7 + j] = this.pose[j] as number;
      }
      const list: number[] = [];
      if (contacts) readContactPoints(g.scene.world, robot, list);
      pts.push(list);
    }
    return {
      type: 'frame', step: this.step, poses, contacts: pts,
      obs: Array.from(b.obs), actions: Array.from(b.actions), rewards: Array.from(b.rewards), terms: Array.from(b.rewardTerms),
      dones: Array.from(this.dones),
    };
  }

  /** Resets every env (new randomization and initial state). */
  reset(): void {
    this.group.resetAll();
    this.group.buffers.actions.fill(0);
    this.group.buffers.rewards.fill(0);
    this.group.buffers.rewardTerms.fill(0);
    this.dones.fill(0);
    this.step = 0;
  }

  /** Adds `velocity` (m/s) to body `body` of env `env`. */
  push(env: number, body: number, velocity: Vec3): void {
    if (env >= this.group.numEnvs) throw new Error(`push: env ${env} does not exist (${this.group.numEnvs} envs)`);
    if (body >= this.robotDescription.bodies.length) throw new Error(`push: body ${body} does not exist (${this.robotDescription.bodies.length} bodies)`);
    this.group.robot(env).push(body, velocity);
  }

  /** Frees the world and the policy. */
  async dispose(): Promise<void> {
    this.group.dispose();
    await this.cfg.policy?.dispose();
  }
}
