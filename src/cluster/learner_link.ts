/**
 * The learner's side of the connection: the cluster's lease (one learner per nats-server, held
 * in the JetStream key-value bucket and renewed every heartbeat, so a killed learner's lease
 * lapses by itself), the learner's heartbeat, the hosts heard from (their hellos) and whether
 * each is still alive, control requests to a host, and the object store.
 */
import os from 'node:os';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { connectCluster, type ClusterConnectConfig } from './connection.ts';
import { decodeFrame, encodeFrame, type Frame, type FrameArray } from './frame.ts';
import { robotCopy } from '../robot/robot_files.ts';
import { KV_BUCKET, LEASE_KEY, LEASE_TTL_S, OBJ_BUCKET, randomId, SUBJECTS, type CtlReply, type CtlRequest, type Hello, type LearnerAlive, type ShippedRobot } from './protocol.ts';

/** What the learner connects with. */
export interface ClusterLinkConfig {
  connection: Omit<ClusterConnectConfig, 'name' | 'log'>;
  /** The sim2real version the learner runs; hosts of another version are refused. */
  version: string;
  /** Milliseconds between heartbeats (default 500). */
  heartbeatMs?: number;
  /** A host silent this long (ms) is taken for gone (default 5000). */
  hostTimeoutMs?: number;
  /** Milliseconds to collect hellos after taking the lease, before the hosts present are used (default 1000). */
  discoverMs?: number;
  log: (line: string) => void;
}

/** A host heard from: its last hello and when it came. */
interface HeardHost {
  hello: Hello;
  seenMs: number;
}

/** A host's error reply to a control request. */
export class HostRefused extends Error {
  constructor(readonly hostId: string, message: string) {
    super(message);
    this.name = 'HostRefused';
  }
}

/** The learner's connection to the cluster; `open` waits for the lease. */
export class ClusterLink {
  readonly runId = randomId();
  readonly name = `${os.hostname()}:${process.pid}`;
  readonly heartbeatMs: number;
  readonly hostTimeoutMs: number;
  private readonly hosts = new Map<string, HeardHost>();
  private readonly subs: Subscription[] = [];
  private timer: NodeJS.Timeout | null = null;
  private disconnectedAt: number | null = null;
  /** When the connection last came back (hosts reconnect too: none is judged gone by a probe for a host timeout). */
  private reconnectedMs = -Infinity;
  private closed = false;
  private leaseTrouble = false;
  /** Called on every hello (host joins are noticed here). */
  onHello: ((h: Hello) => void) | null = null;
  /** Called when the connection comes back, with how long it was down (ms). */
  onReconnect: ((downMs: number) => void) | null = null;

  private constructor(readonly cfg: ClusterLinkConfig, readonly nc: NatsConnection, readonly kv: KV, readonly obj: ObjectStore) {
    this.heartbeatMs = cfg.heartbeatMs ?? 500;
    this.hostTimeoutMs = cfg.hostTimeoutMs ?? 5000;
  }

  /** Connects, opens the buckets, takes the lease (waiting while another live learner holds it) and starts the heartbeat. */
  static async open(cfg: ClusterLinkConfig): Promise<ClusterLink> {
    let link: ClusterLink | null = null;
    const nc = await connectCluster({ ...cfg.connection, name: `sim2real learner ${os.hostname()}:${process.pid}`, log: cfg.log }, (e) => link?.connectionEvent(e));
    let kv: KV, obj: ObjectStore;
    try {
      kv = await new Kvm(nc).create(KV_BUCKET, { ttl: LEASE_TTL_S * 1000 });
      obj = await new Objm(nc).create(OBJ_BUCKET);
    } catch (e) {
      await nc.close();
      throw new Error(`${cfg.connection.url}: JetStream is not available (${(e as Error).message}); start nats-server with -js (docs/cluster.md)`);
    }
    link = new ClusterLink(cfg, nc, kv, obj);
    link.subs.push(nc.subscribe(SUBJECTS.hello, { callback: (_e, m) => link?.heard(m) }));
    try {
      await link.takeLease();
    } catch (e) {
      await nc.close();
      throw e;
    }
    link.timer = setInterval(() => link?.beat(), link.heartbeatMs);
    link.beat();
    await link.discover(cfg.discoverMs ?? 1000);
    return link;
  }

  /** Whether the connection is up now. */
  get connected(): boolean {
    return this.disconnectedAt === null;
  }

  /** Asks every host to say hello and collects hellos for `waitMs`; returns the hosts alive then. */
  async discover(waitMs: number): Promise<Hello[]> {
    this.nc.publish(SUBJECTS.discover);
    await new Promise((r) => setTimeout(r, waitMs));
    return this.liveHosts();
  }

  /** Hosts heard from within the host timeout, by name. */
  liveHosts(): Hello[] {
    const now = performance.now();
    return [...this.hosts.values()].filter((h) => now - h.seenMs <= this.hostTimeoutMs).map((h) => h.hello)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.hostId < b.hostId ? -1 : 1));
  }

  /** Host `id`'s last hello if it came after `sinceMs` (a `performance.now()` time), else null. */
  helloSince(id: string, sinceMs: number): Hello | null {
    const h = this.hosts.get(id);
    return h && h.seenMs > sinceMs ? h.hello : null;
  }

  /** Renews the lease now (hosts check it before taking groups; a long pause may have let it lapse). */
  async renewLease(): Promise<void> {
    await this.kv.put(LEASE_KEY, JSON.stringify(this.alive()));
  }

  /** Milliseconds since host `id` was last heard from (Infinity if never). */
  silentMs(id: string): number {
    const h = this.hosts.get(id);
    return h ? performance.now() - h.seenMs : Infinity;
  }

  /** Whether host `id` is gone: silent past the host timeout, or (`probe`) its subscription vanished while it was silent. */
  async gone(id: string, probe: boolean): Promise<boolean> {
    if (!this.connected) return false;
    if (this.silentMs(id) > this.hostTimeoutMs) return true;
    if (!probe || this.silentMs(id) < 2 * this.heartbeatMs || performance.now() - this.reconnectedMs < this.hostTimeoutMs) return false;
    try {
      await this.nc.request(SUBJECTS.ctl(id), encodeFrame({ op: 'ping' }), { timeout: 1000 });
      return false;
    } catch (e) {
      // the server answers "no responders" at once when the host's connection has closed
      return /no responders/i.test((e as Error).message) && this.connected;
    }
  }

  /** Sends control request `req` to host `id`; resolves to its reply frame, throws `HostRefused` on an error reply. */
  async request(id: string, req: CtlRequest, timeoutMs: number, arrays: Record<string, FrameArray> = {}): Promise<Frame<CtlReply>> {
    const m = await this.nc.request(SUBJECTS.ctl(id), encodeFrame(req, arrays), { timeout: timeoutMs });
    const reply = decodeFrame<CtlReply>(m.data);
    if (!reply.header.ok) throw new HostRefused(id, reply.header.error);
    return reply;
  }

  /** A robot's files put into the object store for the hosts (data they check against the copy's digest). */
  async shipRobot(contract: string): Promise<ShippedRobot> {
    const copy = robotCopy(contract);
    const files: ShippedRobot['files'] = [];
    for (const f of copy.files) {
      const object = `robot/${copy.sha256}/${f.rel}`;
      await this.obj.putBlob({ name: object }, f.bytes);
      files.push({ rel: f.rel, object });
    }
    return { name: copy.name, sha256: copy.sha256, contract: copy.contract, files };
  }

  /** Largest message the server takes. */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1 << 20;
  }

  /** Gives up the lease, stops the heartbeat and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      const lease = await this.kv.get(LEASE_KEY);
      if (lease?.operation === 'PUT' && (lease.json() as LearnerAlive).runId === this.runId) await this.kv.delete(LEASE_KEY);
    } catch {
      // it lapses by itself
    }
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close().catch(() => undefined);
    }
  }

  private alive(): LearnerAlive {
    return { runId: this.runId, name: this.name, version: this.cfg.version };
  }

  /** Creates the lease key; while another learner's lease lives, waits (saying whose it is) and tries again. */
  private async takeLease(): Promise<void> {
    let told = false;
    for (;;) {
      try {
        await this.kv.create(LEASE_KEY, JSON.stringify(this.alive()));
        return;
      } catch (e) {
        const held = await this.kv.get(LEASE_KEY).catch(() => null);
        if (held?.operation !== 'PUT') {
          if (!/exists|wrong last sequence/i.test((e as Error).message)) throw e;
        } else if (!told) {
          const h = held.json() as LearnerAlive;
          this.cfg.log(`cluster: run ${h.runId} of learner ${h.name} holds the cluster's lease; waiting for it to end (a killed learner's lease lapses within ${LEASE_TTL_S} s)`);
          told = true;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Every heartbeat: the learner's heartbeat and the lease renewed. */
  private beat(): void {
    if (this.closed || !this.connected) return;
    const alive = JSON.stringify(this.alive());
    this.nc.publish(SUBJECTS.learner, alive);
    this.kv.put(LEASE_KEY, alive).then(() => {
      this.leaseTrouble = false;
    }, (e: Error) => {
      if (!this.leaseTrouble) this.cfg.log(`cluster: renewing the lease failed (${e.message}); trying again`);
      this.leaseTrouble = true;
    });
  }

  private heard(m: Msg): void {
    let h: Hello;
    try {
      h = m.json() as Hello;
    } catch {
      return;
    }
    if (typeof h?.hostId !== 'string' || !/^[0-9a-f]{16}$/.test(h.hostId) || !Number.isInteger(h.workers) || h.workers < 1) return;
    this.hosts.set(h.hostId, { hello: h, seenMs: performance.now() });
    this.onHello?.(h);
  }

  private connectionEvent(e: 'disconnect' | 'reconnect'): void {
    const now = performance.now();
    if (e === 'disconnect') {
      this.disconnectedAt ??= now;
      return;
    }
    const down = this.disconnectedAt === null ? 0 : now - this.disconnectedAt;
    this.disconnectedAt = null;
    this.reconnectedMs = now;
    // nothing could be heard while the connection was down: every host gets a fresh timeout
    for (const h of this.hosts.values()) h.seenMs = Math.max(h.seenMs, now);
    this.onReconnect?.(down);
    this.beat();
  }
}
