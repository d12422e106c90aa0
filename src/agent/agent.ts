/**
 * `sim2real agent`, the long-running process on the robot computer: it serves the robot's
 * controller through the bridge (native protocol, rosbridge on request, the safety layer) from a
 * policy slot, runs inference locally, and takes signed policies on its own management port. A
 * push is verified (signature, SHA-256, onnxruntime, the contract against the robot), stored as a
 * new version, optionally run in shadow, and activated between two control steps; a rollback —
 * asked for, or automatic when a new version trips the safety layer too often in its first
 * seconds — returns to the version before. Every control step goes to telemetry. It starts with
 * the store's active version, or the safe command when that version cannot run.
 */
import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { checkBindAllowed } from '../bridge/auth.ts';
import type { ControlStep } from '../bridge/control.ts';
import { serveBridge, type ServedBridge } from '../bridge/deploy.ts';
import type { PolicyContract } from '../onnx/metadata.ts';
import type { RobotModel } from '../robot/robot_model.ts';
import { loadRobotSpec, type LoadedRobotSpec } from '../robot/robot_spec.ts';
import { loadUrdf } from '../robot/urdf/urdf_loader.ts';
import { agentStatus, Happenings } from './agent_status.ts';
import { contractMismatch } from './contract_fit.ts';
import { LoadedVersion } from './loaded_version.ts';
import type { ManageHandler } from './manage_server.ts';
import { ManageServer } from './manage_server.ts';
import type { Activation, ManageReply, PushRequest } from './manage_protocol.ts';
import { PolicySlot } from './policy_slot.ts';
import { PolicyStore, type StoreEvent } from './policy_store.ts';
import { RollbackGuard, type RollbackRule } from './rollback_guard.ts';
import { ShadowRun } from './shadow.ts';
import { TrustedKeys } from './signing.ts';
import { Telemetry } from './telemetry.ts';
import { TelemetryLayout } from './telemetry_layout.ts';
import { Refusal, verifyPolicy } from './verify.ts';

/** How the agent runs (the command line's options, parsed). */
export interface AgentOptions {
  /** `robots/<name>.json` path or bare robot name. */
  robot: string;
  /** The store directory. */
  store: string;
  /** Where the controller connects (bridge rules: a token off loopback). */
  listen: { host: string; port: number };
  controllerToken: string | null;
  rosbridge: boolean;
  timeoutMs?: number;
  heartbeatMs?: number;
  /** The management port, its token (required) and TLS (required off loopback). */
  manage: { host: string; port: number };
  token: string;
  tls: { cert: Buffer; key: Buffer } | null;
  /** Public keys whose signatures are accepted. */
  trust: readonly string[];
  maxPolicyBytes: number;
  uploadTimeoutMs: number;
  /** Versions kept in the store. */
  keep: number;
  rollback: RollbackRule;
  /** Where telemetry goes and the directory's bound; null: none. */
  telemetry: { dir: string; maxBytes: number } | null;
  log: (line: string) => void;
}

/** A running agent. */
export class Agent implements ManageHandler {
  manage!: ManageServer;
  private slot: PolicySlot | null = null;
  private bridge: ServedBridge | null = null;
  private telemetry: Telemetry | null = null;
  /** The version replaced last, kept loaded so a rollback to it is instant. */
  private warm: LoadedVersion | null = null;
  private uploading = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly guard: RollbackGuard;
  private readonly happenings = new Happenings();
  private readonly startedMs = performance.now();
  private readonly startedAt = new Date().toISOString();
  private steps = 0;
  /** Why the active version is not running (the safe command is served instead), or null. */
  private notRunning: string | null = null;

  private constructor(private readonly o: AgentOptions, readonly spec: LoadedRobotSpec, private readonly model: RobotModel, readonly store: PolicyStore, private readonly trust: TrustedKeys) {
    this.guard = new RollbackGuard(o.rollback, () => performance.now());
  }

  /** Loads the robot, the keys and the store, serves the active version (if any) and opens the management port. */
  static async start(o: AgentOptions): Promise<Agent> {
    checkBindAllowed(o.listen.host, o.controllerToken); // before a push would find out
    const spec = loadRobotSpec(o.robot);
    const model = loadUrdf(spec.urdfPath);
    const trust = new TrustedKeys(o.trust);
    const store = PolicyStore.open(o.store, spec.name, { maxBytes: o.maxPolicyBytes, keep: o.keep });
    const agent = new Agent(o, spec, model, store, trust);
    try {
      if (store.active !== null) await agent.resume(store.active);
      agent.manage = await ManageServer.start({ host: o.manage.host, port: o.manage.port, token: o.token, tls: o.tls, handler: agent, maxPolicyBytes: o.maxPolicyBytes, uploadTimeoutMs: o.uploadTimeoutMs, log: o.log });
    } catch (e) {
      await agent.close();
      throw e;
    }
    return agent;
  }

  /** The controller's address, or null until a first policy is active. */
  get controllerUrl(): string | null {
    return this.bridge?.server.url ?? null;
  }

  /** The version answering the controller now (null: the safe command or nothing served). */
  get running(): number | null {
    return this.slot?.active?.version ?? null;
  }

  /** Stops serving, writes out telemetry and releases the policies. */
  async close(): Promise<void> {
    await this.manage?.close();
    await this.bridge?.server.close();
    await this.telemetry?.close();
    this.slot?.active?.retire();
    this.warm?.retire();
  }

  // -- management requests

  /** A push may send its file unless another is uploading or its key is not trusted. */
  beginPush(req: PushRequest): Refusal | null {
    let r: Refusal | null = null;
    if (this.uploading) r = new Refusal('busy', 'another push is being received; try again when it is done');
    else if (!this.trust.has(req.key_id)) r = new Refusal('untrusted_key', `${req.name} is signed by key ${req.key_id}, which this agent does not trust (trusted: ${this.trust.list().map((k) => k.keyId).join(', ') || 'none'}; add its key.pub with --trust)`);
    if (r) this.refused(req, r);
    else this.uploading = true;
    return r;
  }

  /** The upload ended (whole or not): the next push may start. */
  endPush(): void {
    this.uploading = false;
  }

  /** Verifies and stores a received file, then shadows and activates it as the push asked. */
  async push(req: PushRequest, bytes: Buffer, sha256: string, reply: (m: ManageReply) => void, signal: AbortSignal): Promise<void> {
    const candidate = await this.exclusive(() => this.verifyAndStore(req, bytes, sha256).catch((e: unknown) => {
      this.refused(req, e);
      throw e;
    }));
    reply({ op: 'stored', version: candidate.version, sha256, task: candidate.contract.task, robot: candidate.contract.robot });
    try {
      if (req.shadow_s > 0) {
        reply({ op: 'shadow_started', version: candidate.version, seconds: req.shadow_s });
        reply({ op: 'shadow_report', report: await this.shadow(candidate, req.shadow_s, signal) });
      }
      if (!req.activate || signal.aborted) {
        candidate.retire();
        return;
      }
      const a = await this.exclusive(() => this.swapIn(candidate, 'activate', `push of ${req.name}`));
      reply({ op: 'activated', ...a });
    } catch (e) {
      candidate.retire();
      throw e;
    }
  }

  /** Makes stored version `version` active (`push --to-version`). */
  activate(version: number): Promise<Activation> {
    return this.exclusive(async () => {
      if (!this.store.has(version)) throw new Refusal('no_version', `version ${version} is not in the store (stored: ${this.store.list().map((m) => m.version).join(', ') || 'none'})`);
      if (this.running === version) return { version, previous: version, kind: 'activate', reason: 'already active', swap_us: 0, at: new Date().toISOString() };
      return this.loadAndSwap(version, 'activate', `--to-version ${version}`);
    });
  }

  /** Returns to the version active before the current one. */
  rollback(kind: 'rollback' | 'auto_rollback' = 'rollback', reason = 'push --rollback'): Promise<Activation> {
    return this.exclusive(async () => {
      const prev = this.store.previous;
      if (prev === null) throw new Refusal('no_previous', `there is no version before ${this.store.active ?? 'the current one'} to roll back to (use --to-version V)`);
      return this.loadAndSwap(prev, kind, reason);
    });
  }

  /** What `push --status` shows (agent_status.ts). */
  status(): Record<string, unknown> {
    return agentStatus({
      spec: this.spec, store: this.store, bridge: this.bridge, slot: this.slot, guard: this.guard, telemetry: this.telemetry, trust: this.trust,
      manageUrl: this.manage?.url ?? null, startedAt: this.startedAt, uptimeS: (performance.now() - this.startedMs) / 1000, steps: this.steps,
      notRunning: this.notRunning, happenings: this.happenings,
    });
  }

  // -- the work behind them

  /** Logs a refused push (the active version never stopped) and lists it in status. */
  private refused(req: PushRequest, e: unknown): void {
    const line = `push of ${req.name} refused (${e instanceof Refusal ? e.code : 'error'}): ${(e as Error).message}; version ${this.running ?? 'none'} keeps running`;
    this.o.log(line);
    this.happenings.note(line);
  }

  /** Verifies a received file and stores it as a new version; the loaded candidate is the caller's. */
  private async verifyAndStore(req: PushRequest, bytes: Buffer, sha256: string): Promise<LoadedVersion> {
    const served = this.servedContract();
    const policy = await verifyPolicy(bytes, { keyId: req.key_id, signature: req.signature, sha256: req.sha256 }, { trust: this.trust, spec: this.spec, served }, req.name, sha256);
    try {
      const m = await this.store.add(bytes, { name: req.name, keyId: req.key_id, signature: req.signature, contract: policy.contract });
      this.o.log(`stored version ${m.version}: ${m.name} (task ${policy.contract.task}, sha256 ${sha256.slice(0, 16)}…, key ${req.key_id})`);
      this.happenings.note(`stored version ${m.version} (${m.name})`);
      return new LoadedVersion(m.version, policy, served ?? policy.contract);
    } catch (e) {
      await policy.dispose();
      throw new Refusal('store_failed', (e as Error).message);
    }
  }

  /** Runs `candidate` in shadow for `seconds` (or until `signal` aborts) and reports. */
  private async shadow(candidate: LoadedVersion, seconds: number, signal: AbortSignal): Promise<ReturnType<ShadowRun['finish']>> {
    const slot = this.slot, bridge = this.bridge;
    if (slot && slot.shadow) throw new Refusal('busy', `version ${slot.shadow.candidate.version} is in shadow now; try again when it is done`);
    const run = new ShadowRun(candidate, bridge?.limits ?? emptyLimits(candidate), candidate.contract.jointOrder);
    if (!slot?.active) return run.finish(); // nothing is answering the controller: nothing to shadow
    slot.shadow = run;
    this.o.log(`version ${candidate.version} in shadow for ${seconds} s beside version ${slot.active.version}`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, seconds * 1000);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
    slot.shadow = null;
    const r = run.finish();
    const worst = r.joints.reduce((a, j) => Math.max(a, j.max_abs_diff), 0);
    this.o.log(`shadow of version ${r.version}: ${r.steps} steps (${r.skipped} skipped), largest command difference ${worst.toPrecision(3)}, safety would have intervened ${r.would_intervene} times`);
    return r;
  }

  /** Version `v` loaded: the one kept warm when it is that one, else read from the store and verified again. */
  private async loadVersion(v: number): Promise<LoadedVersion> {
    if (this.warm?.version === v) return this.warm;
    const served = this.servedContract();
    let stored;
    try {
      stored = this.store.read(v);
    } catch (e) {
      throw new Refusal('no_version', (e as Error).message);
    }
    const m = stored.manifest;
    const policy = await verifyPolicy(stored.bytes, { keyId: m.keyId, signature: m.signature }, { trust: this.trust, spec: this.spec, served }, `version ${v} (${m.name})`);
    return new LoadedVersion(v, policy, served ?? policy.contract);
  }

  /** Loads stored version `v` and swaps it in; a version loaded for this and not swapped in is released. */
  private async loadAndSwap(v: number, kind: StoreEvent['kind'], reason: string): Promise<Activation> {
    const next = await this.loadVersion(v);
    try {
      return await this.swapIn(next, kind, reason);
    } catch (e) {
      if (next !== this.warm) next.retire();
      throw e;
    }
  }

  /**
   * A new version tripped the safety layer past the threshold: back to the version before it, or,
   * with none, to the safe command (the store still names the version; a push or --to-version ends it).
   */
  private async autoRollback(reason: string): Promise<void> {
    try {
      await this.rollback('auto_rollback', reason);
    } catch (e) {
      if (!(e instanceof Refusal && e.code === 'no_previous') || !this.slot) throw e;
      const old = this.slot.swap(null);
      old?.retire();
      this.notRunning = `automatic rollback with no earlier version: ${reason}`;
      const line = `AUTOMATIC ROLLBACK: no earlier version to return to: serving the safe command (${reason})`;
      this.o.log(line);
      this.happenings.note(line);
    }
  }

  /**
   * Records `next` as the active version, then swaps it in between two control steps (or starts
   * serving the controller with it). The version it replaces stays loaded for a quick rollback.
   */
  private async swapIn(next: LoadedVersion, kind: StoreEvent['kind'], reason: string): Promise<Activation> {
    // checked again: the served interface may have appeared since `next` was verified (a first push beside it)
    const why = this.slot && contractMismatch(next.contract, this.spec, this.slot.contract);
    if (why) throw new Refusal('contract_mismatch', `version ${next.version} does not fit robot ${this.spec.name}: ${why}`);
    // the first policy opens the controller port, on the safe command until the store has recorded it
    const slot = this.slot ?? await this.serve(next.contract);
    const event = await this.store.setActive(next.version, kind, reason);
    const t0 = performance.now();
    const old = slot.swap(next);
    const swapUs = (performance.now() - t0) * 1000;
    if (this.warm === next) this.warm = null;
    if (old && old !== next) {
      this.warm?.retire();
      this.warm = old;
    }
    this.notRunning = null;
    if (kind === 'activate') this.guard.arm(next.version);
    else this.guard.disarm();
    const line = `${kind === 'activate' ? 'activated' : kind === 'rollback' ? 'rolled back to' : 'AUTOMATIC ROLLBACK to'} version ${next.version} (task ${next.contract.task}) replacing ${event.from ?? 'nothing'} between two control steps (swap ${swapUs.toFixed(1)} µs): ${reason}`;
    this.o.log(line);
    this.happenings.note(line);
    return { version: next.version, previous: event.from, kind, reason, swap_us: swapUs, at: event.at };
  }

  /** Serves version `v` of the store at start; when it cannot run, the safe command is served with its interface. */
  private async resume(v: number): Promise<void> {
    const served = this.store.manifest(v).contract;
    let loaded: LoadedVersion | null = null;
    try {
      loaded = await this.loadVersion(v);
    } catch (e) {
      this.notRunning = (e as Error).message;
      this.o.log(`the active version ${v} cannot run (${this.notRunning}): serving the safe command until a push or --to-version`);
    }
    (await this.serve(served)).swap(loaded);
  }

  /** Starts serving the controller with the interface of `served`, from a slot holding no version yet (the safe command). */
  private async serve(served: PolicyContract): Promise<PolicySlot> {
    const slot = new PolicySlot(served);
    const o = this.o;
    this.bridge = await serveBridge({
      policy: slot, contract: served, spec: this.spec, host: o.listen.host, port: o.listen.port, token: o.controllerToken, rosbridge: o.rosbridge,
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}),
      onStep: (c, step) => this.onStep(c.id, step), log: (line) => o.log(`controller ${line}`),
    });
    this.slot = slot;
    o.log(`serving the controller on ${this.bridge.server.url} (task ${served.task}: ${served.obsDim} observations → ${served.actDim} ${served.controlMode} commands at ${Math.round(1 / served.controlDtS)} Hz)`);
    if (o.telemetry) {
      mkdirSync(o.telemetry.dir, { recursive: true, mode: 0o700 });
      const layout = new TelemetryLayout(this.spec, this.model, this.bridge.info, `sim2real agent (robot ${this.spec.name}, store ${this.store.dir})`);
      this.telemetry = new Telemetry(layout, { dir: o.telemetry.dir, maxBytes: o.telemetry.maxBytes, log: o.log });
    }
    return slot;
  }

  /** Every control step: counts, the interventions list, the rollback guard, telemetry. */
  private onStep(connection: string, step: ControlStep): void {
    this.steps++;
    const version = this.slot?.versionOf(step.obs) ?? null;
    const d = step.decision;
    if ((d.kind === 'action' && d.limited) || d.kind !== 'action') {
      this.happenings.intervention({ version, seq: step.seq, what: d.kind === 'action' ? 'command limited' : d.kind === 'safe' ? `safe command (${d.reason})` : `${d.error.code}: ${d.error.message}` });
    }
    const call = this.guard.onStep(version, d);
    if (call) {
      const reason = `version ${call.version} tripped the safety layer ${call.trips} times in its first ${call.afterS.toFixed(2)} s (more than ${this.guard.rule.maxTrips} in ${this.guard.rule.windowS} s)`;
      this.o.log(`automatic rollback: ${reason}`);
      void this.autoRollback(reason).catch((e: unknown) => this.o.log(`automatic rollback failed: ${(e as Error).message}`));
    }
    this.telemetry?.record(connection, step, version);
  }

  /** The contract the controller is served (null before the first policy). */
  private servedContract(): PolicyContract | null {
    return this.slot ? this.slot.contract : null;
  }

  /** Runs store changes and activations one at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

/** Limits for a shadow report when nothing is served yet (nothing is run, so only their shape matters). */
function emptyLimits(v: LoadedVersion): ServedBridge['limits'] {
  const n = v.contract.actDim, inf = Array.from({ length: n }, () => Infinity);
  return { lower: inf.map((x) => -x), upper: inf, maxStep: inf, maxAbsObservation: Infinity, timeoutMs: 1, safe: { type: 'damping', kd: 0, command: inf.map(() => 0) } };
}
