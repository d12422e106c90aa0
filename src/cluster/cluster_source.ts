/**
 * The learner's rollout source over a cluster: the run's envs split into env groups (the run's
 * worker groups), each stepped by a member — a rollout host over NATS, or the learner's own
 * local workers — in lockstep with the learner's actions. The learner samples every action, and
 * a group keeps its env slots' seeds and RNG streams wherever it runs, so a run without faults
 * gives exactly the numbers of the local vec env with the same worker groups. Between
 * iterations groups move with their saved state (a host joined); a host lost mid-step (killed,
 * too slow, sending bad chunks) has its groups rebuilt elsewhere from a reset, and the envs' cut
 * episodes are counted. States are those of the local vec env: a cluster run resumes on any
 * set of hosts, or locally.
 */
import { allocateBuffers, taskDims, type EnvBuffers, type EnvDims } from '../sim/env_buffers.ts';
import { checkStateHeader, copyRanges, ENV_STATE_FORMAT, ENV_STATE_VERSION, type VecEnvState } from '../sim/env_state.ts';
import { locateTask } from '../task/task_registry.ts';
import type { DomainRandomization } from '../task/randomize.ts';
import { loadRobotSpec } from '../robot/robot_spec.ts';
import type { RolloutSource, RolloutStep, SignalNames, SourceMetrics } from '../rl/rollout_source.ts';
import { initialAssignment, pickTaker, rebalanceMoves } from './assignment.ts';
import { ClusterMembers, type Member } from './cluster_members.ts';
import { decodeFrame, encodeFrame, PartsCollector, splitParts, type Frame } from './frame.ts';
import { GroupSet, type StepRows } from './group_set.ts';
import type { ClusterLink } from './learner_link.ts';
import { groupLayout, SUBJECTS, type GroupSpec, type RunSpec, type StepResult } from './protocol.ts';
import { checkResult, cutRows, EpisodeProgress, placeRows, rowsOf } from './step_rows.ts';

/** The run a cluster source steps, as `trainingEnvs` gets it, plus how the cluster behaves. */
export interface ClusterSourceConfig {
  /** Task name or module path (hosts look it up by this). */
  task: string;
  /** Robot contract path when not the task's own (its files are shipped to hosts as data). */
  robot?: string;
  numEnvs: number;
  /** Env groups (the run's worker groups). */
  numGroups: number;
  seed: number;
  dr: DomainRandomization;
  /** Worker threads of the learner's own that step groups too (0: hosts only). */
  localWorkers: number;
  /** The longest a host may hold an iteration's steps up (ms, in all) after the other members answered. */
  iterationDeadlineMs: number;
  log: (line: string) => void;
}

/** One member's part of the step in flight. */
interface Pending {
  groups: number[];
  parts: Uint8Array[];
  sentMs: number;
  lastSendMs: number;
  rows: StepRows | null;
  computeS: number;
  arrivedMs: number;
  bad: string | null;
  settled: boolean;
}

/** Counters of one iteration, for its metrics row. */
interface IterationCounts {
  transferS: number;
  bytes: number;
  faults: number;
  envsReset: number;
  lostEnvSteps: number;
  rejected: number;
  moved: number;
}

/** The learner's rollout source over a cluster's hosts (and local workers); `create` builds it ready to step. */
export class ClusterSource implements RolloutSource {
  readonly numEnvs: number;
  readonly dims: EnvDims;
  readonly signals: SignalNames;
  private readonly layout: GroupSpec[];
  private readonly buf: EnvBuffers;
  private readonly members: ClusterMembers;
  private readonly parts = new PartsCollector(64);
  private readonly episode: EpisodeProgress;
  private readonly closers: (() => void)[] = [];
  private seq = 0;
  private iteration = 0;
  private lastStepMs = 0;
  private pending: Map<string, Pending> | null = null;
  private wake: (() => void) | null = null;
  private counts: IterationCounts = zeroCounts();
  /** Milliseconds each host held this iteration's steps up, waited for alone after every other member had answered. */
  private holdUps = new Map<string, number>();
  /** When every member but one had answered the step in flight (null: not yet). */
  private holdStartMs: number | null = null;
  private closed = false;

  private constructor(
    private readonly link: ClusterLink, private readonly cfg: ClusterSourceConfig, readonly run: RunSpec,
    dims: EnvDims, signals: SignalNames, private readonly names: { task: string; robot: string },
  ) {
    this.numEnvs = cfg.numEnvs;
    this.dims = dims;
    this.signals = signals;
    this.layout = groupLayout(cfg.numEnvs, cfg.numGroups);
    this.buf = allocateBuffers(cfg.numEnvs, dims);
    this.episode = new EpisodeProgress(cfg.numEnvs);
    const local = cfg.localWorkers > 0 ? new GroupSet({ task: cfg.task, ...(cfg.robot !== undefined ? { robot: cfg.robot } : {}), seed: cfg.seed, dr: cfg.dr }) : null;
    this.members = new ClusterMembers(link, run, this.layout, local, cfg.localWorkers, { dims, signals }, cfg.log);
  }

  /**
   * The source over `link`'s cluster: every group assigned to the hosts present (and the local
   * workers), built and reset. With no member at all, waits for a host to say hello.
   */
  static async create(link: ClusterLink, cfg: ClusterSourceConfig): Promise<ClusterSource> {
    const { spec } = await locateTask(cfg.task, cfg.robot);
    if (spec.criticObservations) throw new Error(`task ${spec.name}: its asymmetric critic (criticObservations) is not carried over a cluster yet; train it on local workers`);
    const dims = taskDims(spec);
    const signals: SignalNames = { observations: spec.observations.map((s) => s.name), actions: spec.actions.map((s) => s.name), rewardTerms: [...spec.rewardTerms] };
    const robot = cfg.robot === undefined ? null : await link.shipRobot(cfg.robot);
    const run: RunSpec = {
      runId: link.runId, version: link.cfg.version, task: cfg.task, robot, seed: cfg.seed, numEnvs: cfg.numEnvs, numGroups: cfg.numGroups,
      dr: copyRanges(cfg.dr), chunkSubject: SUBJECTS.chunks(link.runId),
    };
    const source = new ClusterSource(link, cfg, run, dims, signals, { task: spec.name, robot: loadRobotSpec(spec.robot).name });
    try {
      await source.start();
    } catch (e) {
      await source.close();
      throw e;
    }
    return source;
  }

  get obs(): Float32Array {
    return this.buf.obs;
  }

  /** Subscribes to step results, admits the hosts present and assigns every group (a host that fails is dropped and the plan made again). */
  private async start(): Promise<void> {
    const sub = this.link.nc.subscribe(this.run.chunkSubject, { callback: (_e, m) => this.onChunk(m.data) });
    this.closers.push(() => sub.unsubscribe());
    // an outage holds nobody up: the clock of the host being waited for stops while it lasts
    this.link.onReconnect = (downMs) => {
      if (this.holdStartMs !== null) this.holdStartMs += downMs;
    };
    const m = this.members;
    m.admitLive();
    const all = `the run's ${this.cfg.numGroups} env groups`;
    if (m.list.length === 0) await m.waitForHost(all, () => this.closed);
    for (;;) {
      const plan = [...initialAssignment(this.cfg.numGroups, m.list)].filter(([, gs]) => gs.length > 0);
      const results = await Promise.allSettled(plan.map(async ([id, gs]) => this.placeObs(gs, await m.assign(m.get(id), gs, gs.map(() => null), this.seq + 1))));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length === 0) break;
      for (const r of failed) m.dropFailed(r.reason);
      for (const x of m.list) if (x.groups.length > 0) await m.release(x, x.groups);
      if (m.list.length === 0) await m.waitForHost(all, () => this.closed);
    }
    m.logHolders('assigned');
  }

  private placeObs(groups: number[], obs: Float32Array): void {
    const D = this.dims.obsDim;
    let at = 0;
    for (const g of groups) {
      const s = this.layout[g] as GroupSpec;
      this.buf.obs.set(obs.subarray(at, at + s.count * D), s.first * D);
      at += s.count * D;
    }
  }

  // -- iterations: joins and moves between rollouts

  async beginIteration(iteration: number): Promise<void> {
    this.iteration = iteration;
    this.counts = zeroCounts();
    this.holdUps = new Map();
    this.members.admitLive();
    const moves = rebalanceMoves(this.members.alive());
    for (const mv of moves) {
      const obs = await this.members.move(mv, this.seq);
      if (obs) {
        this.placeObs([mv.group], obs);
        this.counts.moved++;
      }
    }
    if (moves.length > 0) this.members.logHolders(`at iteration ${iteration + 1}`);
  }

  // -- steps

  async reset(): Promise<Float32Array> {
    await Promise.all(this.members.list.filter((m) => m.groups.length > 0).map(async (m) => this.placeObs(m.groups, await this.members.reset(m))));
    this.episode.clear();
    return this.buf.obs;
  }

  async step(actions: Float32Array): Promise<RolloutStep> {
    if (this.closed) throw new Error('cluster source is closed');
    if (actions.length !== this.numEnvs * this.dims.actDim) throw new Error(`step: expected ${this.numEnvs}×${this.dims.actDim} actions, got ${actions.length}`);
    const seq = ++this.seq;
    const A = this.dims.actDim;
    const pending = new Map<string, Pending>();
    this.pending = pending;
    let localStep: Promise<void> = Promise.resolve();
    const local = { done: true };
    for (const m of this.members.list) {
      if (m.groups.length === 0) continue;
      const groups = [...m.groups];
      const acts = rowsOf(actions, this.layout, groups, A);
      if (m.local) {
        local.done = false;
        localStep = (this.members.local as GroupSet).step(groups, acts).then((rows) => {
          placeRows(this.buf, this.layout, groups, rows, this.dims);
          local.done = true;
          this.wake?.();
        });
        continue;
      }
      const frame = encodeFrame({ runId: this.run.runId, iteration: this.iteration, seq, groups }, { actions: acts });
      const now = performance.now();
      const p: Pending = {
        groups, parts: splitParts(`${this.run.runId}:${seq}`, frame, this.link.maxPayload), sentMs: now, lastSendMs: now,
        rows: null, computeS: 0, arrivedMs: 0, bad: null, settled: false,
      };
      pending.set(m.id, p);
      this.send(m.id, p);
    }
    const t0 = performance.now();
    await Promise.all([this.gather(pending, local), localStep]);
    this.lastStepMs = performance.now() - t0;
    this.pending = null;
    this.episode.advance(this.buf);
    return this.buf;
  }

  private send(id: string, p: Pending): void {
    for (const part of p.parts) {
      this.link.nc.publish(SUBJECTS.step(id), part);
      this.counts.bytes += part.length;
    }
  }

  /** Waits for every member's results, resending lost requests and dropping members that are gone, too slow or sending bad chunks. */
  private async gather(pending: Map<string, Pending>, local: { done: boolean }): Promise<void> {
    let slowest = 0;
    // from when the last other member answered, the one still owed holds the step up
    this.holdStartMs = null;
    const members = pending.size + (local.done ? 0 : 1);
    while ([...pending.values()].some((p) => !p.settled)) {
      await this.nextEvent(100);
      const open = [...pending.values()].filter((p) => !p.settled && !p.rows);
      if (this.holdStartMs === null && members > 1 && open.length === 1 && local.done) this.holdStartMs = performance.now();
      const othersDoneMs = this.holdStartMs;
      for (const [id, p] of pending) {
        if (p.settled) continue;
        if (p.rows) {
          placeRows(this.buf, this.layout, p.groups, p.rows, this.dims);
          p.settled = true;
          slowest = Math.max(slowest, Math.max(0, p.arrivedMs - p.sentMs) / 1000 - p.computeS);
          if (othersDoneMs !== null) this.holdUps.set(id, (this.holdUps.get(id) ?? 0) + Math.max(0, p.arrivedMs - othersDoneMs));
          continue;
        }
        const why = await this.fault(id, p, othersDoneMs);
        if (why) await this.lose(id, why);
        else if (performance.now() - p.lastSendMs > Math.max(1000, 4 * this.lastStepMs)) {
          p.lastSendMs = performance.now();
          this.send(id, p);
        }
      }
    }
    this.counts.transferS += slowest;
    this.holdStartMs = null;
  }

  /**
   * Why member `id` must be dropped from the step in flight, or null while it may still answer:
   * a bad chunk, gone, or too slow — holding this iteration's steps up, alone, for longer than the
   * iteration deadline in all.
   */
  private async fault(id: string, p: Pending, othersDoneMs: number | null): Promise<string | null> {
    if (p.bad) return `sent a bad chunk (${p.bad}): rejected`;
    if (!this.link.connected) return null;
    const held = (this.holdUps.get(id) ?? 0) + (othersDoneMs === null ? 0 : performance.now() - othersDoneMs);
    if (held > this.cfg.iterationDeadlineMs && this.members.list.length > 1) return `too slow: held iteration ${this.iteration + 1} up for ${(held / 1000).toFixed(1)} s after the others had answered (deadline ${(this.cfg.iterationDeadlineMs / 1000).toFixed(1)} s)`;
    // a host that took this learner for gone (paused too long) says so in its hello
    const hello = this.link.helloSince(id, p.sentMs);
    if (hello && (hello.runId !== this.run.runId || !p.groups.every((g) => hello.groups.includes(g)))) return 'no longer serves this run (it took the learner for gone)';
    const probe = performance.now() - p.lastSendMs > Math.max(1000, 4 * this.lastStepMs);
    if (await this.link.gone(id, probe)) return `lost (silent for ${(this.link.silentMs(id) / 1000).toFixed(1)} s${this.link.silentMs(id) <= this.link.hostTimeoutMs ? ', its connection closed' : ''})`;
    return null;
  }

  /**
   * Drops member `id` from the run in the middle of a step: its groups are rebuilt from a reset
   * on the least busy members (waiting for a host when none is left), and their envs' episodes
   * cut (`cutRows`); counted for the metrics row and logged.
   */
  private async lose(id: string, why: string): Promise<void> {
    const m = this.members.get(id);
    const p = this.pending?.get(id);
    if (p) p.settled = true;
    this.members.remove(id);
    void this.link.request(id, { op: 'release', runId: this.run.runId, groups: m.groups }, 2000).catch(() => undefined);
    let envs = 0, lost = 0;
    const moved: string[] = [];
    for (const g of m.groups) {
      const spec = this.layout[g] as GroupSpec;
      lost += this.episode.stepsIn(spec);
      const { taker, obs } = await this.rebuild(g);
      cutRows(this.buf, spec, obs, this.episode, this.dims);
      envs += spec.count;
      moved.push(`${this.members.describe([g])} → ${taker.local ? 'local workers' : `host ${taker.name}`}`);
    }
    this.counts.faults++;
    this.counts.envsReset += envs;
    this.counts.lostEnvSteps += lost;
    this.cfg.log(`cluster: host ${m.name} ${why}; ${moved.join(', ')} from a reset: ${envs} envs reset, ${lost} env-steps of unfinished episodes lost`);
  }

  /** Group `g` built from a reset on the least busy member that takes it (waiting for a host when none is left). */
  private async rebuild(g: number): Promise<{ taker: Member; obs: Float32Array }> {
    for (;;) {
      const id = pickTaker(this.members.alive());
      const taker = id === undefined ? await this.members.waitForHost(this.members.describe([g]), () => this.closed) : this.members.get(id);
      try {
        return { taker, obs: await this.members.assign(taker, [g], [null], this.seq + 1) };
      } catch (e) {
        this.members.dropFailed(e);
      }
    }
  }

  /** Resolves on the next chunk (or other event), or after `ms`. */
  private nextEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** A part of a step result arrived: reassembled, checked, and handed to the step in flight — or rejected and counted. */
  private onChunk(data: Uint8Array): void {
    this.counts.bytes += data.length;
    let f: Frame<StepResult>;
    try {
      const whole = this.parts.add(data);
      if (!whole) return;
      f = decodeFrame<StepResult>(whole.message);
    } catch (e) {
      this.reject(`a malformed chunk (${(e as Error).message})`);
      return;
    }
    const r = f.header;
    // a repeat of an earlier step's chunk (its request was sent again) is late, not wrong
    if (r.runId === this.run.runId && Number.isInteger(r.seq) && r.seq < this.seq) return;
    if (r.runId !== this.run.runId || r.seq !== this.seq || r.iteration !== this.iteration) {
      const what = r.runId !== this.run.runId ? `run ${String(r.runId)}` : r.seq !== this.seq ? `step ${String(r.seq)}` : `iteration ${Number(r.iteration) + 1}`;
      this.reject(`a chunk of ${what} during step ${this.seq} (iteration ${this.iteration + 1}) of run ${this.run.runId}`);
      return;
    }
    const p = this.pending?.get(r.hostId);
    // a repeat of a chunk already taken, or one from a host not asked
    if (!p || p.settled || p.rows) return;
    const why = checkResult(f, this.layout, p.groups, this.dims);
    if (why) {
      this.reject(`a chunk of host ${this.members.get(r.hostId).name}: ${why}`);
      p.bad = why;
    } else {
      p.rows = f.arrays as unknown as StepRows;
      p.computeS = Number(r.computeS) || 0;
      p.arrivedMs = performance.now();
    }
    this.wake?.();
  }

  private reject(what: string): void {
    // a few lines per iteration say what; the metrics row counts them all
    if (++this.counts.rejected <= 3) this.cfg.log(`cluster: rejected ${what}`);
  }

  // -- state

  async saveState(): Promise<VecEnvState> {
    const workers = await this.members.saveAll(this.cfg.numGroups, `${this.run.runId}/save${this.seq}`);
    return { format: ENV_STATE_FORMAT, version: ENV_STATE_VERSION, header: this.stateHeader(), workers };
  }

  async loadState(state: unknown): Promise<void> {
    const what = 'cannot load the cluster run\'s env state';
    checkStateHeader(what, state, this.stateHeader());
    const s = state as VecEnvState;
    if (!Array.isArray(s.workers) || s.workers.length !== this.cfg.numGroups) throw new Error(`${what}: it holds ${s.workers?.length} group states, the run has ${this.cfg.numGroups}`);
    await this.members.loadAll(s.workers, this.seq + 1);
    for (const [g, w] of s.workers.entries()) {
      const spec = this.layout[g] as GroupSpec;
      this.buf.obs.set(w.buffers.obs, spec.first * this.dims.obsDim);
      this.episode.load(spec, w.runner.steps, w.runner.ret);
    }
    this.cfg.log(`cluster: run ${this.run.runId} continues from the saved state of its ${this.cfg.numGroups} env groups`);
  }

  /** The header of the local vec env with the run's worker groups: states go both ways. */
  private stateHeader(): VecEnvState['header'] {
    return {
      task: this.names.task, robot: this.names.robot, numEnvs: this.numEnvs, numWorkers: this.cfg.numGroups, seed: this.cfg.seed,
      dims: { ...this.dims }, dr: copyRanges(this.cfg.dr),
    };
  }

  iterationMetrics(): SourceMetrics {
    const busy = this.members.list.filter((m) => m.groups.length > 0);
    const envs = (ms: Member[]) => ms.reduce((n, m) => n + m.groups.reduce((k, g) => k + (this.layout[g] as GroupSpec).count, 0), 0);
    const c = this.counts;
    return {
      cluster_hosts: busy.filter((m) => !m.local).length, cluster_envs_remote: envs(busy.filter((m) => !m.local)), cluster_envs_local: envs(busy.filter((m) => m.local)),
      cluster_time_transfer_s: c.transferS, cluster_bytes: c.bytes, cluster_faults: c.faults, cluster_envs_reset: c.envsReset,
      cluster_lost_env_steps: c.lostEnvSteps, cluster_rejected_chunks: c.rejected, cluster_groups_moved: c.moved,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    for (const c of this.closers) c();
    // hosts go back to waiting for the next run
    await this.members.end();
    await this.members.local?.clear();
    await this.link.close();
  }
}

function zeroCounts(): IterationCounts {
  return { transferS: 0, bytes: 0, faults: 0, envsReset: 0, lostEnvSteps: 0, rejected: 0, moved: 0 };
}

