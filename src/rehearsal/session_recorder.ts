/**
 * Records what `sim2real robot --record` drives through the bridge, as a log `sim2real
 * calibrate` can fit: each env's first episode in the recording format (docs/recording.md), with
 * per control step the link poses, the observation sent, the raw action applied, the reward and
 * its terms, and — in the term columns — the motor command that came back (`command.<joint>`)
 * and the state for replay (`state.*`, `src/sim/replay_state.ts`), read before the action.
 */
import type { AnyEnvGroup } from '../sim/env_group.ts';
import type { EpisodeHooks } from '../sim/episodes.ts';
import { ReplayState } from '../sim/replay_state.ts';
import { describeBodies } from '../robot/robot_description.ts';
import { RecordingWriter } from '../robot/recording.ts';
import { planRobot } from '../robot/robot_plan.ts';
import type { TaskSpec } from '../task/task.ts';

/** One env's rows so far: the state half before the step, the rest after it. */
interface Pending {
  rows: Float32Array[];
}

/**
 * Episode-loop hooks writing each env's first episode to `file`. `commands` is the motor
 * command each env received this step (`[n, act_dim]`, filled by the caller before the step).
 * Call `close()` when the loop has ended or failed.
 */
export class SessionRecorder implements EpisodeHooks {
  private writer: RecordingWriter | null = null;
  private state: ReplayState | null = null;
  private pending: Pending[] = [];
  private drs: Record<string, number>[] = [];
  private readonly pose = new Float64Array(7);
  private bodies = 0;

  constructor(private readonly task: TaskSpec, private readonly file: string, private readonly source: string, private readonly commands: Float32Array) {}

  /** Episodes written so far. */
  get episodes(): number {
    return this.writer?.episodes ?? 0;
  }

  onStart(group: AnyEnvGroup): void {
    const t = this.task;
    const robot = group.robot(0);
    const plan = planRobot(robot.model, group.spec);
    const scene = describeBodies(robot.model, { links: plan.bodies, movableJointNames: plan.bodies.map((b) => b.joint?.name ?? ''), linkFrames: plan.linkFrames });
    this.bodies = scene.bodies.length;
    this.state = new ReplayState(robot);
    const joints = group.spec.joints.map((j) => `command.${j.name}`);
    this.writer = RecordingWriter.open(this.file, {
      task: t.name, robot: group.spec.name, controlDtS: group.spec.control_dt_s, source: this.source, scene,
      observations: t.observations.map((s) => s.name), actions: t.actions.map((s) => s.name),
      rewardTerms: [...t.rewardTerms, ...joints, ...this.state.columns],
    });
    this.pending = Array.from({ length: group.numEnvs }, () => ({ rows: [] }));
    this.drs = Array.from({ length: group.numEnvs }, (_, i) => ({ ...group.sample(i) }));
  }

  /** Before the actions are computed: poses, observation and replay state of every counting env. */
  beforeStep(group: AnyEnvGroup, counting: Uint8Array): void {
    const { obsDim, actDim, numTerms } = group.dims;
    const st = this.state as ReplayState;
    const nb = this.bodies;
    for (let i = 0; i < counting.length; i++) {
      if (!counting[i]) continue;
      const row = new Float32Array(7 * nb + obsDim + actDim + 1 + numTerms + actDim + st.size);
      for (let k = 0; k < nb; k++) {
        group.robot(i).readLinkPose(k, this.pose);
        row.set(this.pose, 7 * k);
      }
      row.set(group.buffers.obs.subarray(i * obsDim, (i + 1) * obsDim), 7 * nb);
      st.read(group.robot(i), row, 7 * nb + obsDim + actDim + 1 + numTerms + actDim);
      this.pending[i]!.rows.push(row);
    }
  }

  /** After the step: the action applied, the reward, its terms and the command, into the row begun before it. */
  afterStep(group: AnyEnvGroup, counting: Uint8Array): void {
    const { obsDim, actDim, numTerms } = group.dims;
    const b = group.buffers;
    const at = 7 * this.bodies + obsDim;
    for (let i = 0; i < counting.length; i++) {
      if (!counting[i]) continue;
      const rows = this.pending[i]!.rows;
      const row = rows[rows.length - 1] as Float32Array;
      row.set(b.actions.subarray(i * actDim, (i + 1) * actDim), at);
      row[at + actDim] = b.rewards[i] as number;
      row.set(b.rewardTerms.subarray(i * numTerms, (i + 1) * numTerms), at + actDim + 1);
      row.set(this.commands.subarray(i * actDim, (i + 1) * actDim), at + actDim + 1 + numTerms);
    }
  }

  onEpisodeEnd(group: AnyEnvGroup, i: number): void {
    const w = this.writer as RecordingWriter;
    const { obsDim, actDim } = group.dims;
    const nb = this.bodies;
    const o = 7 * nb, a = o + obsDim, r = a + actDim;
    w.beginEpisode({ env: i, dr: this.drs[i] as Record<string, number> });
    for (const row of this.pending[i]!.rows) {
      w.addStep({ poses: row.subarray(0, o), obs: row.subarray(o, a), actions: row.subarray(a, r), reward: row[r] as number, terms: row.subarray(r + 1) });
    }
    w.endEpisode({ terminated: group.buffers.terminated[i] === 1 });
    this.pending[i] = { rows: [] };
  }

  /** Closes the file (safe when it was never opened). */
  close(): void {
    this.writer?.close();
  }
}
