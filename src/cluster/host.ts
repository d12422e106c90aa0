/**
 * A rollout host (`sim2real worker`): connects to the cluster's nats-server, says hello every
 * heartbeat, takes the env groups a learner assigns it, steps them on its own worker threads
 * with the actions each step request carries, and publishes the results. It serves one run at
 * a time — the run holding the cluster's lease — and, when that run ends or its learner falls
 * silent, waits for the next, until closed. It runs no code it is sent: the task is named and
 * looked up here, a robot arrives as data files checked against their digest.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { checkRobotCopy } from '../robot/robot_files.ts';
import type { EnvGroupState } from '../sim/vec/vec_env.ts';
import { connectCluster, type ClusterConnectConfig } from './connection.ts';
import { decodeFrame, encodeFrame, PartsCollector, splitParts } from './frame.ts';
import { GroupSet, type StepRows } from './group_set.ts';
import { decodeState, encodeState } from './state_codec.ts';
import {
  KV_BUCKET, LEASE_KEY, LEASE_TTL_S, OBJ_BUCKET, randomId, SUBJECTS, type AssignRequest, type CtlReply, type CtlRequest, type Hello, type LearnerAlive,
  type RunSpec, type ShippedRobot, type StepRequest, type StepResult,
} from './protocol.ts';

/** What a host is started with. */
export interface RolloutHostConfig {
  connection: Omit<ClusterConnectConfig, 'name' | 'log'>;
  /** Worker threads offered: the host's fair share is this many env groups. */
  workers: number;
  /** Shown in the learner's log lines (default: host name and process id). */
  name?: string;
  /** The sim2real version this host runs; a learner of another version is refused. */
  version: string;
  /** Milliseconds between hellos (heartbeats). */
  heartbeatMs?: number;
  /** A learner silent this long (ms) is taken for gone: its groups are released. */
  learnerTimeoutMs?: number;
  /** Folder for robot files a run ships (default: the system's temp folder). */
  cacheDir?: string;
  log: (line: string) => void;
}

/** A run being served: its spec, its groups, and the step sequence. */
interface Serving {
  run: RunSpec;
  groups: GroupSet;
  learnerSeen: number;
  /** The last step answered, and its result parts (sent again if the learner asks again). */
  lastSeq: number;
  lastParts: Uint8Array[] | null;
  inFlight: number;
}

/** A rollout host; `start` connects and serves until `close`. */
export class RolloutHost {
  readonly hostId = randomId();
  readonly name: string;
  private nc!: NatsConnection;
  private kv!: KV;
  private obj!: ObjectStore;
  private serving: Serving | null = null;
  private readonly subs: Subscription[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly stepParts = new PartsCollector();
  private closed = false;
  /** Runs of learners of another version, refused (said once each). */
  private readonly refused = new Set<string>();
  private readonly heartbeatMs: number;
  private readonly learnerTimeoutMs: number;
  /** Test hook: replaces a step's results before they are sent (a host gone wrong). */
  protected tamper: ((result: StepResult, rows: StepRows) => void) | null = null;

  constructor(readonly cfg: RolloutHostConfig) {
    this.name = cfg.name ?? `${os.hostname()}:${process.pid}`;
    this.heartbeatMs = cfg.heartbeatMs ?? 500;
    this.learnerTimeoutMs = cfg.learnerTimeoutMs ?? 5000;
  }

  /** Connects, opens the buckets, subscribes, and says hello. */
  async start(): Promise<void> {
    const log = this.cfg.log;
    this.nc = await connectCluster({ ...this.cfg.connection, name: `sim2real host ${this.name}`, log }, (e) => {
      // nothing arrived while the connection was down: the learner gets a fresh timeout
      if (e === 'reconnect' && this.serving) this.serving.learnerSeen = performance.now();
    });
    try {
      this.kv = await new Kvm(this.nc).create(KV_BUCKET, { ttl: LEASE_TTL_S * 1000 });
      this.obj = await new Objm(this.nc).create(OBJ_BUCKET);
    } catch (e) {
      await this.nc.close();
      throw new Error(`${this.cfg.connection.url}: JetStream is not available (${(e as Error).message}); start nats-server with -js (docs/cluster.md)`);
    }
    this.subs.push(this.nc.subscribe(SUBJECTS.discover, { callback: () => this.hello() }));
    this.subs.push(this.nc.subscribe(SUBJECTS.learner, { callback: (_e, m) => this.onLearner(m) }));
    this.serve(this.nc.subscribe(SUBJECTS.ctl(this.hostId)), (m) => this.onCtl(m));
    this.serve(this.nc.subscribe(SUBJECTS.step(this.hostId)), (m) => this.onStep(m));
    this.timer = setInterval(() => this.tick(), this.heartbeatMs);
    this.hello();
    log(`host ${this.name} (${this.hostId}) connected to ${this.cfg.connection.url} (nats-server ${this.nc.info?.version ?? '?'}), offering ${this.cfg.workers} worker${this.cfg.workers === 1 ? '' : 's'}; waiting for a learner`);
  }

  /** Releases every group, stops serving and closes the connection (drained). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.leave(null);
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close().catch(() => undefined);
    }
  }

  /** Resolves when the connection closes (after `close`, or when the server refuses it for good). */
  closedPromise(): Promise<void | Error> {
    return this.nc.closed();
  }

  /** Handles each message of `sub` in turn (errors reported, never fatal). */
  private serve(sub: Subscription, handle: (m: Msg) => Promise<void>): void {
    this.subs.push(sub);
    void (async () => {
      for await (const m of sub) {
        try {
          await handle(m);
        } catch (e) {
          this.cfg.log(`host ${this.name}: ${(e as Error).message}`);
        }
      }
    })();
  }

  private hello(): void {
    if (this.closed) return;
    const s = this.serving;
    const h: Hello = { hostId: this.hostId, name: this.name, version: this.cfg.version, workers: this.cfg.workers, runId: s?.run.runId ?? null, groups: s?.groups.indices ?? [] };
    this.nc.publish(SUBJECTS.hello, JSON.stringify(h));
  }

  /** Every heartbeat: hello, and let go of a run whose learner fell silent. */
  private tick(): void {
    this.hello();
    const s = this.serving;
    if (s && performance.now() - s.learnerSeen > this.learnerTimeoutMs) {
      void this.leave(`learner of run ${s.run.runId} silent for ${(this.learnerTimeoutMs / 1000).toFixed(1)} s: released its groups; waiting for a learner`);
    }
  }

  private onLearner(m: Msg): void {
    let alive: LearnerAlive;
    try {
      alive = m.json() as LearnerAlive;
    } catch {
      return;
    }
    const s = this.serving;
    if (s && alive.runId === s.run.runId) s.learnerSeen = performance.now();
    if (alive.version !== this.cfg.version && !this.refused.has(alive.runId)) {
      this.refused.add(alive.runId);
      this.cfg.log(`host ${this.name}: not serving run ${alive.runId}: its learner ${alive.name} runs sim2real ${alive.version}, this host runs sim2real ${this.cfg.version} (hosts need the learner's version and task files)`);
    }
  }

  /** Stops serving the current run (releasing its groups), saying why when `why` is given. */
  private async leave(why: string | null): Promise<void> {
    const s = this.serving;
    if (!s) return;
    this.serving = null;
    await s.groups.clear().catch(() => undefined);
    if (why) this.cfg.log(`host ${this.name}: ${why}`);
    this.hello();
  }

  // -- control

  private async onCtl(m: Msg): Promise<void> {
    let req: CtlRequest;
    try {
      req = decodeFrame<CtlRequest>(m.data).header;
    } catch (e) {
      this.reply(m, { ok: false, hostId: this.hostId, error: `bad request: ${(e as Error).message}` });
      return;
    }
    try {
      if (req.op === 'ping') this.reply(m, { ok: true, hostId: this.hostId });
      else if (req.op === 'assign') await this.assign(m, req);
      else {
        const s = this.serving;
        if (!s || s.run.runId !== req.runId) throw new Error(`not serving run ${req.runId}`);
        s.learnerSeen = performance.now();
        if (req.op === 'end') {
          await this.leave(`run ${s.run.runId} ended; waiting for the next run`);
          this.reply(m, { ok: true, hostId: this.hostId });
        } else if (req.op === 'release') {
          await s.groups.remove(req.groups);
          this.cfg.log(`host ${this.name}: run ${s.run.runId}: released group${req.groups.length === 1 ? '' : 's'} ${req.groups.join(', ')}`);
          this.reply(m, { ok: true, hostId: this.hostId, groups: s.groups.indices });
        } else if (req.op === 'save') {
          const objects: Record<string, string> = {};
          for (const g of req.groups) {
            const name = `${req.prefix}/g${g}`;
            await this.obj.putBlob({ name }, encodeState(await s.groups.save(g)));
            objects[g] = name;
          }
          this.reply(m, { ok: true, hostId: this.hostId, objects });
        } else if (req.op === 'reset') {
          await s.groups.reset(req.groups);
          this.reply(m, { ok: true, hostId: this.hostId, groups: req.groups }, { obs: s.groups.obs(req.groups) });
        }
      }
    } catch (e) {
      this.reply(m, { ok: false, hostId: this.hostId, error: (e as Error).message });
    }
  }

  private reply(m: Msg, r: CtlReply, arrays: Record<string, Float32Array> = {}): void {
    m.respond(encodeFrame(r, arrays));
  }

  /**
   * Takes groups of a run: refuses a learner of another version or one not holding the
   * cluster's lease; a new run replaces the one served before.
   */
  private async assign(m: Msg, req: AssignRequest): Promise<void> {
    const run = req.run;
    if (run.version !== this.cfg.version) {
      const why = `version mismatch: the learner of run ${run.runId} runs sim2real ${run.version}, this host runs sim2real ${this.cfg.version} (hosts need the learner's version and task files)`;
      this.cfg.log(`host ${this.name}: refused: ${why}`);
      throw new Error(why);
    }
    const lease = await this.kv.get(LEASE_KEY);
    const holder = lease && lease.operation === 'PUT' ? (lease.json() as LearnerAlive) : null;
    if (!holder || holder.runId !== run.runId) throw new Error(`run ${run.runId} does not hold the cluster's lease${holder ? ` (run ${holder.runId} of ${holder.name} does)` : ''}`);
    let s = this.serving;
    if (!s || s.run.runId !== run.runId) {
      await this.leave(s ? `run ${s.run.runId} replaced by run ${run.runId}` : null);
      const robot = run.robot ? await this.fetchRobot(run.robot) : undefined;
      s = {
        run, groups: new GroupSet({ task: run.task, ...(robot !== undefined ? { robot } : {}), seed: run.seed, dr: run.dr }),
        learnerSeen: performance.now(), lastSeq: req.nextSeq - 1, lastParts: null, inFlight: -1,
      };
      this.serving = s;
      this.cfg.log(`host ${this.name}: joined run ${run.runId}: task ${run.task}${run.robot ? ` on robot ${run.robot.name}` : ''}, ${run.numEnvs} envs in ${run.numGroups} groups`);
    }
    s.learnerSeen = performance.now();
    for (const g of req.groups) {
      const state = g.state === null ? null : await this.fetchState(g.state);
      await s.groups.add(g, state);
    }
    s.lastSeq = req.nextSeq - 1;
    s.lastParts = null;
    const indices = req.groups.map((g) => g.index);
    const how = req.groups.every((g) => g.state !== null) ? 'continuing from saved states' : 'from a reset';
    this.cfg.log(`host ${this.name}: run ${run.runId}: took ${req.groups.map((g) => `group ${g.index} (envs ${g.first}–${g.first + g.count - 1})`).join(', ')} ${how}`);
    this.reply(m, { ok: true, hostId: this.hostId, groups: indices, ...(s.groups.describe() ?? {}) }, { obs: s.groups.obs(indices) });
    this.hello();
  }

  private async fetchState(name: string): Promise<EnvGroupState> {
    const bytes = await this.obj.getBlob(name);
    if (!bytes) throw new Error(`saved state ${name} is not in the object store`);
    return decodeState(bytes) as EnvGroupState;
  }

  /** The run's robot files into the cache folder, checked against the run's digest; returns the contract's path. */
  private async fetchRobot(robot: ShippedRobot): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(robot.sha256)) throw new Error(`robot ${robot.name}: malformed digest`);
    const dir = path.join(this.cfg.cacheDir ?? os.tmpdir(), 'sim2real-cluster', 'robots', robot.sha256);
    for (const f of robot.files) {
      const file = path.resolve(dir, f.rel);
      if (path.isAbsolute(f.rel) || !file.startsWith(dir + path.sep)) throw new Error(`robot ${robot.name}: file ${f.rel} lies outside its folder`);
      const bytes = await this.obj.getBlob(f.object);
      if (!bytes) throw new Error(`robot ${robot.name}: ${f.object} is not in the object store`);
      mkdirSync(path.dirname(file), { recursive: true });
      // other hosts on this machine may be writing the same files: each writes whole files, by rename
      const tmp = `${file}.${process.pid}.${this.hostId}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, file);
    }
    return checkRobotCopy(dir, robot.contract, robot.sha256);
  }

  // -- steps

  private async onStep(m: Msg): Promise<void> {
    const whole = this.stepParts.add(m.data);
    if (!whole) return;
    const { header: req, arrays } = decodeFrame<StepRequest>(whole.message);
    const s = this.serving;
    if (!s || req.runId !== s.run.runId) return;
    s.learnerSeen = performance.now();
    if (req.seq === s.lastSeq && s.lastParts) {
      for (const p of s.lastParts) this.nc.publish(s.run.chunkSubject, p);
      return;
    }
    if (req.seq <= s.lastSeq || req.seq === s.inFlight) return;
    const actions = arrays.actions;
    if (!(actions instanceof Float32Array)) throw new Error(`run ${s.run.runId} step ${req.seq}: no actions`);
    s.inFlight = req.seq;
    const t0 = performance.now();
    let rows: StepRows;
    try {
      rows = await s.groups.step(req.groups, actions);
    } finally {
      s.inFlight = -1;
    }
    if (this.serving !== s) return;
    const result: StepResult = { runId: s.run.runId, hostId: this.hostId, iteration: req.iteration, seq: req.seq, groups: req.groups, computeS: (performance.now() - t0) / 1000 };
    const honest = this.encodeResult(result, rows);
    s.lastSeq = req.seq;
    s.lastParts = honest;
    let parts = honest;
    if (this.tamper) {
      const bad = { ...result };
      const badRows = { ...rows, obs: rows.obs.slice(), rewards: rows.rewards.slice() };
      this.tamper(bad, badRows);
      parts = this.encodeResult(bad, badRows);
    }
    for (const p of parts) this.nc.publish(s.run.chunkSubject, p);
  }

  private encodeResult(result: StepResult, rows: StepRows): Uint8Array[] {
    const frame = encodeFrame(result, { ...rows });
    return splitParts(`${this.hostId}:${result.seq}`, frame, this.nc.info?.max_payload ?? 1 << 20);
  }
}
