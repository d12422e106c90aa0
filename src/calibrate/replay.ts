/**
 * Replays a logged session in many simulated robots at once: each robot gets one candidate's
 * physical parameters, is put in the logged state at a window's first step, and is driven by
 * the logged actions — delayed by the candidate's latency, the earlier logged actions filling
 * the delay as the latency ring did on the robot — for the window's horizon. The loss of a
 * window is the mean squared gap between the simulated and the logged states over its steps,
 * each state column divided by the spread of its logged values. All robots share one physics
 * scene (the engine seam, `src/sim/physics_scene.ts`), built once and reused for every batch.
 */
import { RAPIER_ENGINE } from '../sim/rapier_scene.ts';
import type { PhysicsEngine, PhysicsScene } from '../sim/physics_scene.ts';
import { ReplayState } from '../sim/replay_state.ts';
import { loadUrdf } from '../robot/urdf/urdf_loader.ts';
import { loadRobotSpec, type LoadedRobotSpec } from '../robot/robot_spec.ts';
import { planRobot } from '../robot/robot_plan.ts';
import { NOMINAL, nominalRanges, sampleRandomization, type DrParam, type DrSample } from '../task/randomize.ts';
import { Rng } from '../task/rng.ts';
import type { SimRobot } from '../task/sim_robot.ts';
import type { TaskSpec } from '../task/task.ts';
import type { SessionLog, Window } from './session_log.ts';

/** The loss given to a replay whose simulation produced non-finite states. */
export const DIVERGED_LOSS = 1e6;

/** One candidate to score: parameter values (the others nominal) and the windows to replay it on. */
export interface ReplayJob {
  values: Partial<Record<DrParam, number>>;
  windows: readonly Window[];
}

/** Simulated robots for replaying one task's logs. */
export class Replayer {
  private readonly robots: SimRobot[];
  private readonly sim: Float64Array;
  private readonly action: Float64Array;

  private constructor(
    readonly spec: LoadedRobotSpec,
    /** How the log's state columns map onto a robot. */
    readonly state: ReplayState,
    private readonly scene: PhysicsScene,
    robots: SimRobot[],
    /** Robots stepped together per batch. */
    readonly capacity: number,
  ) {
    this.robots = robots;
    this.sim = new Float64Array(state.size);
    this.action = new Float64Array(spec.joints.length);
  }

  /** Builds `capacity` robots of `task`'s robot in one scene of `engine` (Rapier by default). */
  static async create(task: TaskSpec, capacity: number, engine: PhysicsEngine = RAPIER_ENGINE): Promise<Replayer> {
    const spec = loadRobotSpec(task.robot);
    const model = loadUrdf(spec.urdfPath);
    const scene = await engine.createScene({ model, spec, numEnvs: capacity, envSpacingM: task.envSpacingM, gravity: [0, 0, -NOMINAL.gravity[0]] });
    try {
      const cols = Math.max(1, Math.ceil(Math.sqrt(capacity)));
      const robots = Array.from({ length: capacity }, (_, i) => scene.addRobot([(i % cols) * task.envSpacingM, Math.floor(i / cols) * task.envSpacingM, 0]));
      return new Replayer(spec, new ReplayState(robots[0] as SimRobot), scene, robots, capacity);
    } catch (e) {
      scene.dispose();
      throw e;
    }
  }

  /**
   * The loss of every (job, window) pair, as `losses[job][window]`, and each job's mean over its
   * windows; `horizon` control steps per window, `scales` per state column.
   */
  run(log: SessionLog, jobs: readonly ReplayJob[], horizon: number, scales: Float64Array): { perWindow: number[][]; mean: number[] } {
    const pairs: { job: number; w: number; window: Window; sample: DrSample }[] = [];
    jobs.forEach((j, job) => {
      const sample = sampleFor(j.values);
      j.windows.forEach((window, w) => pairs.push({ job, w, window, sample }));
    });
    const perWindow = jobs.map((j) => new Array<number>(j.windows.length).fill(DIVERGED_LOSS));
    for (let at = 0; at < pairs.length; at += this.capacity) {
      const batch = pairs.slice(at, at + this.capacity);
      const losses = this.replayBatch(log, batch, horizon, scales);
      batch.forEach((p, i) => (perWindow[p.job]![p.w] = losses[i] as number));
    }
    return { perWindow, mean: perWindow.map((ls) => ls.reduce((a, b) => a + b, 0) / Math.max(1, ls.length)) };
  }

  /** Frees the scene. */
  dispose(): void {
    this.scene.dispose();
  }

  private replayBatch(log: SessionLog, batch: { window: Window; sample: DrSample }[], horizon: number, scales: Float64Array): number[] {
    const S = this.state.size, A = log.actDim;
    const n = batch.length;
    // -- start: parameters, then the logged state at the window's first step
    batch.forEach((p, i) => {
      const robot = this.robots[i] as SimRobot;
      robot.applyRandomization(p.sample);
      const e = log.episodes[p.window.episode]!;
      this.state.write(robot, e.states, p.window.start * S);
    });
    const loss = new Float64Array(n);
    const dt = this.spec.physics_dt_s;
    for (let k = 0; k < horizon; k++) {
      // -- command: the action logged `latency` steps earlier (0 before the episode began, as the ring starts)
      batch.forEach((p, i) => {
        const e = log.episodes[p.window.episode]!;
        const t = p.window.start + k - p.sample.latency_steps;
        for (let j = 0; j < A; j++) this.action[j] = t >= 0 ? (e.actions[t * A + j] as number) : 0;
        (this.robots[i] as SimRobot).setAction(this.action);
      });
      for (let d = 0; d < this.spec.decimation; d++) {
        for (let i = 0; i < n; i++) (this.robots[i] as SimRobot).prePhysicsStep(dt);
        this.scene.step();
      }
      // -- compare with the logged state after the step
      batch.forEach((p, i) => {
        const e = log.episodes[p.window.episode]!;
        this.state.read(this.robots[i] as SimRobot, this.sim, 0);
        const row = (p.window.start + k + 1) * S;
        let sum = 0;
        for (let c = 0; c < S; c++) sum += (this.state.difference(c, this.sim[c] as number, e.states[row + c] as number) / (scales[c] as number)) ** 2;
        loss[i]! += sum;
      });
    }
    return Array.from(loss, (l) => (Number.isFinite(l) ? Math.min(DIVERGED_LOSS, l / (horizon * S)) : DIVERGED_LOSS));
  }
}

/** `task`'s robot contract and the state columns a log must carry to be replayed on it. */
export function replayColumns(task: TaskSpec): { spec: LoadedRobotSpec; columns: readonly string[] } {
  const spec = loadRobotSpec(task.robot);
  const model = loadUrdf(spec.urdfPath);
  const plan = planRobot(model, spec);
  return { spec, columns: new ReplayState({ spec, model, movableJointNames: plan.bodies.map((b) => b.joint?.name ?? '') }).columns };
}

/** The randomization sample with `values` for the named parameters and every other one nominal. */
export function sampleFor(values: Partial<Record<DrParam, number>>): DrSample {
  const ranges = nominalRanges();
  for (const [k, v] of Object.entries(values) as [DrParam, number][]) ranges[k] = [v, v];
  return sampleRandomization(ranges, new Rng(0, 0));
}
