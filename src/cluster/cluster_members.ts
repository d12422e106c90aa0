/**
 * The members of a cluster run as the learner keeps them — the rollout hosts admitted, and the
 * learner's local workers — and what it asks of them between steps: build groups (from a reset
 * or from a saved state), release them, save them, move one from a member to another with its
 * state. A host that fails a request is dropped from the run for good.
 */
import type { EnvDims } from '../sim/env_buffers.ts';
import type { EnvGroupState } from '../sim/env_state.ts';
import type { SignalNames } from '../rl/rollout_source.ts';
import type { Move } from './assignment.ts';
import type { Frame } from './frame.ts';
import type { GroupSet } from './group_set.ts';
import { HostRefused, type ClusterLink } from './learner_link.ts';
import type { CtlReply, GroupSpec, Hello, RunSpec } from './protocol.ts';
import { decodeState, encodeState } from './state_codec.ts';

/** A member of the run: a host, or the learner's local workers (`local`). */
export interface Member {
  id: string;
  name: string;
  workers: number;
  local: boolean;
  groups: number[];
}

/** A saved group state: an object-store name (a host saved it), or the state itself. */
export type SavedGroup = string | EnvGroupState;

const LOCAL = 'local';
/** Building groups can take a while (robots, worlds); saving them too. */
const BUILD_TIMEOUT_MS = 120_000;

/** The run's members and the requests made of them. */
export class ClusterMembers {
  readonly list: Member[] = [];
  /** Hosts dropped from this run (lost, too slow, bad chunks, refused): never given groups again. */
  readonly excluded = new Set<string>();
  private readonly refusedVersion = new Set<string>();

  constructor(
    private readonly link: ClusterLink, private readonly run: RunSpec, private readonly layout: readonly GroupSpec[],
    readonly local: GroupSet | null, localWorkers: number, private readonly task: { dims: EnvDims; signals: SignalNames },
    private readonly log: (line: string) => void,
  ) {
    if (local) this.list.push({ id: LOCAL, name: 'local workers', workers: localWorkers, local: true, groups: [] });
  }

  /** The member `id`. */
  get(id: string): Member {
    const m = this.list.find((x) => x.id === id);
    if (!m) throw new Error(`cluster: ${id} is not a member of the run`);
    return m;
  }

  /** Members that can take groups: the local workers, and hosts heard from within the host timeout. */
  alive(): Member[] {
    return this.list.filter((m) => m.local || this.link.silentMs(m.id) <= this.link.hostTimeoutMs);
  }

  /** Takes host `id` out of the run for good. */
  remove(id: string): void {
    const i = this.list.findIndex((m) => m.id === id);
    if (i >= 0) this.list.splice(i, 1);
    this.excluded.add(id);
  }

  /** Adds a host that said hello, unless refused (another version) or dropped before. */
  admit(h: Hello): Member | null {
    if (this.excluded.has(h.hostId)) return null;
    const known = this.list.find((m) => m.id === h.hostId);
    if (known) return known;
    if (h.version !== this.run.version) {
      if (!this.refusedVersion.has(h.hostId)) this.log(`cluster: host ${h.name} runs sim2real ${h.version}, this learner sim2real ${this.run.version}: refused (hosts need the learner's version and task files)`);
      this.refusedVersion.add(h.hostId);
      return null;
    }
    const m: Member = { id: h.hostId, name: h.name, workers: h.workers, local: false, groups: [] };
    this.list.push(m);
    this.log(`cluster: host ${h.name} joined (${h.workers} worker${h.workers === 1 ? '' : 's'})`);
    return m;
  }

  /** Admits the hosts heard from; forgets idle ones gone silent. */
  admitLive(): void {
    for (const h of this.link.liveHosts()) this.admit(h);
    for (const m of [...this.list]) {
      if (!m.local && m.groups.length === 0 && this.link.silentMs(m.id) > this.link.hostTimeoutMs) this.list.splice(this.list.indexOf(m), 1);
    }
  }

  /** Waits until a host that can be admitted, and holds nothing yet, says hello. */
  async waitForHost(what: string, closed: () => boolean): Promise<Member> {
    this.log(`cluster: waiting for a rollout host to take ${what} (start one: sim2real worker --cluster URL …; docs/cluster.md)`);
    for (;;) {
      for (const h of this.link.liveHosts()) {
        const m = this.admit(h);
        if (m && m.groups.length === 0 && !m.local) return m;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.link.heartbeatMs);
        this.link.onHello = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.link.onHello = null;
      if (closed()) throw new Error('cluster source closed');
    }
  }

  /** Drops the host a failed request came from (errors are tagged with `hostId`); a local failure is rethrown. */
  dropFailed(reason: unknown): void {
    const id = reason instanceof HostRefused ? reason.hostId : (reason as { hostId?: string }).hostId;
    const m = this.list.find((x) => x.id === id);
    this.log(`cluster: ${m ? `host ${m.name}` : 'a host'} could not take its groups: ${(reason as Error).message}; not used in this run`);
    if (!m || m.local) throw reason;
    this.remove(m.id);
  }

  /**
   * Has `m` build `groups` (from a reset where the state is null, else continuing from the saved
   * state), the next step being `nextSeq`; resolves to their observations, rows in order. Errors
   * are tagged with the host (`hostId`).
   */
  async assign(m: Member, groups: number[], states: (SavedGroup | null)[], nextSeq: number): Promise<Float32Array> {
    const specs = groups.map((g) => this.layout[g] as GroupSpec);
    if (m.local) {
      const local = this.local as GroupSet;
      for (const [i, spec] of specs.entries()) await local.add(spec, await this.stateValue(states[i] ?? null));
      m.groups = local.indices;
      return local.obs(groups);
    }
    try {
      // a long pause (the learner's) may have let the lease lapse: hosts check it
      await this.link.renewLease();
      const names = await Promise.all(states.map((s, i) => this.stateObject(s ?? null, `${this.run.runId}/move${nextSeq}/g${groups[i]}`)));
      const reply = await this.link.request(m.id, { op: 'assign', run: this.run, groups: specs.map((s, i) => ({ ...s, state: names[i] ?? null })), nextSeq }, BUILD_TIMEOUT_MS);
      this.checkHostTask(m, reply);
      m.groups = [...new Set([...m.groups, ...groups])].sort((a, b) => a - b);
      const obs = reply.arrays.obs;
      const rows = specs.reduce((n, s) => n + s.count, 0);
      if (!(obs instanceof Float32Array) || obs.length !== rows * this.task.dims.obsDim || !obs.every(Number.isFinite)) throw new Error(`host ${m.name} sent bad observations for groups ${groups.join(', ')}`);
      return obs;
    } catch (e) {
      throw Object.assign(e instanceof Error ? e : new Error(String(e)), { hostId: m.id });
    }
  }

  /** Throws unless host `m` built the learner's task (same row widths and signal names). */
  private checkHostTask(m: Member, reply: Frame<CtlReply>): void {
    const h = reply.header.ok ? reply.header : {};
    const theirs = JSON.stringify({ dims: 'dims' in h ? h.dims : undefined, signals: 'signals' in h ? h.signals : undefined });
    if (theirs !== JSON.stringify(this.task)) {
      throw new HostRefused(m.id, `host ${m.name} built task ${this.run.task} with other observations, actions or reward terms than the learner (hosts need the learner's version and task files)`);
    }
  }

  /** `m` lets go of `groups` (a host told so, as far as it still listens). */
  async release(m: Member, groups: number[]): Promise<void> {
    m.groups = m.groups.filter((g) => !groups.includes(g));
    if (m.local) await (this.local as GroupSet).remove(groups);
    else await this.link.request(m.id, { op: 'release', runId: this.run.runId, groups }, 5000).catch(() => undefined);
  }

  /** Resets every env of `m`'s groups; resolves to their observations, rows in order. */
  async reset(m: Member): Promise<Float32Array> {
    if (m.local) {
      const local = this.local as GroupSet;
      await local.reset(m.groups);
      return local.obs(m.groups);
    }
    const reply = await this.link.request(m.id, { op: 'reset', runId: this.run.runId, groups: m.groups }, BUILD_TIMEOUT_MS);
    const obs = reply.arrays.obs;
    if (!(obs instanceof Float32Array) || !obs.every(Number.isFinite)) throw new HostRefused(m.id, `host ${m.name} sent bad observations after a reset`);
    return obs;
  }

  /** Saves `groups` of `m`: object-store names for a host's, the states for local ones. */
  async save(m: Member, groups: number[], prefix: string): Promise<SavedGroup[]> {
    if (m.local) return Promise.all(groups.map((g) => (this.local as GroupSet).save(g)));
    const reply = await this.link.request(m.id, { op: 'save', runId: this.run.runId, groups, prefix }, BUILD_TIMEOUT_MS);
    const objects = reply.header.ok ? reply.header.objects ?? {} : {};
    return groups.map((g) => {
      const name = objects[g];
      if (typeof name !== 'string') throw new HostRefused(m.id, `host ${m.name} saved no state for group ${g}`);
      return name;
    });
  }

  /** The states of all `numGroups` groups, each saved by its member (through the object store for hosts'). */
  async saveAll(numGroups: number, prefix: string): Promise<EnvGroupState[]> {
    const states = new Array<EnvGroupState>(numGroups);
    await Promise.all(this.list.filter((m) => m.groups.length > 0).map(async (m) => {
      const saved = await this.save(m, m.groups, prefix);
      for (const [i, s] of saved.entries()) {
        states[m.groups[i] as number] = (await this.stateValue(s)) as EnvGroupState;
        if (typeof s === 'string') await this.link.obj.delete(s).catch(() => undefined);
      }
    }));
    return states;
  }

  /** Each member continues its groups from `states` (one per group, by index), the next step being `nextSeq`. */
  async loadAll(states: readonly EnvGroupState[], nextSeq: number): Promise<void> {
    await Promise.all(this.list.filter((m) => m.groups.length > 0).map(async (m) => {
      const groups = [...m.groups];
      await this.assign(m, groups, groups.map((g) => states[g] as EnvGroupState), nextSeq);
    }));
  }

  /** A saved state as the state itself (fetched when it is an object-store name). */
  async stateValue(s: SavedGroup | null): Promise<EnvGroupState | null> {
    if (s === null || typeof s !== 'string') return s;
    const bytes = await this.link.obj.getBlob(s);
    if (!bytes) throw new Error(`saved state ${s} is not in the object store`);
    return decodeState(bytes) as EnvGroupState;
  }

  /** A saved state as an object-store name for a host (put there when it is the state itself). */
  private async stateObject(s: SavedGroup | null, name: string): Promise<string | null> {
    if (s === null || typeof s === 'string') return s;
    await this.link.obj.putBlob({ name }, encodeState(s));
    return name;
  }

  /**
   * Moves a group with its state, between steps (exact: the run goes on as if it had not moved);
   * resolves to its observations, or null when the move failed and it stayed where it was.
   */
  async move(mv: Move, seq: number): Promise<Float32Array | null> {
    const from = this.get(mv.from), to = this.get(mv.to);
    try {
      const [state] = await this.save(from, [mv.group], `${this.run.runId}/move${seq}`);
      const obs = await this.assign(to, [mv.group], [state as SavedGroup], seq + 1);
      await this.release(from, [mv.group]);
      if (typeof state === 'string') await this.link.obj.delete(state).catch(() => undefined);
      this.log(`cluster: ${this.describe([mv.group])} moved from ${from.local ? 'the local workers' : `host ${from.name}`} to ${to.local ? 'the local workers' : `host ${to.name}`} with its state`);
      return obs;
    } catch (e) {
      this.log(`cluster: moving ${this.describe([mv.group])} to ${to.name} failed (${(e as Error).message}); it stays on ${from.name}`);
      if (!to.local && to.groups.length === 0) this.remove(to.id);
      return null;
    }
  }

  /** Tells every host of the run that it is over (they wait for the next). */
  async end(): Promise<void> {
    await Promise.all(this.list.filter((m) => !m.local).map((m) => this.link.request(m.id, { op: 'end', runId: this.run.runId }, 5000).catch(() => undefined)));
  }

  /** `group 1 (envs 8–15), …` */
  describe(groups: number[]): string {
    return groups.map((g) => {
      const s = this.layout[g] as GroupSpec;
      return `group ${g} (envs ${s.first}–${s.first + s.count - 1})`;
    }).join(', ');
  }

  /** Logs who steps which groups. */
  logHolders(what: string): void {
    const parts = this.list.filter((m) => m.groups.length > 0).map((m) => `${m.local ? m.name : `host ${m.name}`}: ${this.describe(m.groups)}`);
    this.log(`cluster: run ${this.run.runId} ${what}: ${parts.join('; ')}`);
  }
}
