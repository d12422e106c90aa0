/**
 * The bridge's network side (`sim2real deploy`): an HTTP or HTTPS server whose upgrade handler
 * admits a request (access.ts: failed-token throttle, Origin allow-list, token, connection cap)
 * and hands its socket to a `ws` server (noServer), one `Connection` per robot controller, the
 * e-stop latch all of them share (estop.ts), each socket's traffic guard (traffic.ts: frame
 * budget, bounded send buffer, round-robin inference), ping/pong heartbeats that drop dead
 * peers, and a watchdog timer. Bad input is answered by the connection; nothing a peer sends can
 * stop the server or starve the other connections.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { AccessControl, defaultAccess, refusalResponse } from './access.ts';
import { checkBindAllowed } from './auth.ts';
import type { AuthThrottleConfig } from './auth_throttle.ts';
import { Connection, type ConnectionContext, type ConnectionStatus, type ConnectionStepListener } from './connection.ts';
import type { BridgePolicy } from './control.ts';
import { describeEstop, describeOrigin, EstopLatch, type EstopEvent, type EstopRecord } from './estop.ts';
import { MAX_PAYLOAD_BYTES, type PolicyInfo, type SafetyCounters } from './protocol.ts';
import type { ProtocolSettings, ProtocolTable } from './protocol_session.ts';
import { DEFAULT_PROTOCOL_SETTINGS, PROTOCOLS } from './protocol_table.ts';
import type { Clock, SafetyLimits } from './safety.ts';
import { checkMs, HEARTBEAT_MS_RANGE, TIMEOUT_MS_RANGE } from './timer_ranges.ts';
import { TrafficControl, type TrafficStats } from './traffic.ts';
import { trafficLimits, type TrafficLimits } from './traffic_limits.ts';

/** How to run the bridge; `T` is the protocol table (default: the shipped protocols). */
export interface BridgeServerConfig<T extends ProtocolTable = typeof PROTOCOLS> {
  policy: BridgePolicy;
  info: PolicyInfo;
  limits: SafetyLimits;
  /** Address to bind (default 127.0.0.1); anything but loopback requires `token`. */
  host?: string;
  /** Port (0: any free one). */
  port: number;
  token?: string | null;
  /** PEM certificate and key: serve wss:// instead of ws://. */
  tls?: { cert: string | Buffer; key: string | Buffer } | null;
  /** The protocols a connection may speak (default `PROTOCOLS`: native v1, rosbridge v2). */
  protocols?: T;
  /** The protocols served, with their settings (default: native only); missing or null: not served. */
  settings?: ProtocolSettings<T>;
  /** Ping interval; a peer that has not answered the previous ping is dropped (default 5000 ms; HEARTBEAT_MS_RANGE). */
  heartbeatMs?: number;
  /** Browser origins allowed to connect (an upgrade with any other `Origin` header gets 403; default none). */
  allowOrigins?: readonly string[];
  /** Open connections at most; the upgrade past it gets 503 (default DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
  /** Failed token attempts per address (default DEFAULT_AUTH_THROTTLE). */
  authThrottle?: AuthThrottleConfig;
  /** The e-stop latch (default: one of this server's own; share one to latch several servers together). */
  estop?: EstopLatch;
  /** Per-connection frame and byte rates, send-buffer bound, fair inference (traffic_limits.ts; default DEFAULT_TRAFFIC_LIMITS). */
  traffic?: Partial<TrafficLimits>;
  /** Milliseconds clock (default `performance.now`). */
  clock?: Clock;
  /** Run the watchdog on a timer (default true); tests call `tick()` with a fake clock instead. */
  watchdogTimer?: boolean;
  /** Told of every control step of every connection, before its reply goes out (the agent's telemetry; keep it cheap). */
  onStep?: ConnectionStepListener;
  log?: (line: string) => void;
}

/** Totals over every connection the server has had. */
export interface BridgeStats {
  connections: number;
  open: number;
  refused: number;
  interventions: SafetyCounters;
  /** The process-wide e-stop: who latched it, when and why; null when not latched. */
  estop: EstopRecord | null;
  /** Frames and replies dropped, connections closed for flooding or not reading (traffic.ts). */
  traffic: TrafficStats;
}

/** A running bridge. */
export class BridgeServer {
  private readonly wss: WebSocketServer;
  private readonly conns = new Map<WebSocket, Connection>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly ctx: ConnectionContext;
  private readonly access: AccessControl;
  private readonly unsubscribeEstop: () => void;
  private readonly traffic: TrafficControl;
  private readonly closedCounters: SafetyCounters = zeroCounters();
  private total = 0;
  private refused = 0;

  private constructor(private readonly httpServer: http.Server, cfg: BridgeServerConfig<ProtocolTable>, readonly url: string) {
    const log = cfg.log ?? (() => {});
    this.ctx = {
      policy: cfg.policy, info: cfg.info, limits: cfg.limits, clock: cfg.clock ?? (() => performance.now()),
      protocols: cfg.protocols ?? PROTOCOLS, settings: cfg.settings ?? DEFAULT_PROTOCOL_SETTINGS, log,
      estop: cfg.estop ?? new EstopLatch(),
      ...(cfg.onStep ? { onStep: cfg.onStep } : {}),
    };
    this.access = accessFor(cfg, this.ctx.clock);
    this.traffic = new TrafficControl(cfg.policy, cfg.traffic, this.ctx.clock);
    this.unsubscribeEstop = this.ctx.estop.subscribe((e) => this.onEstop(e));
    // one message per connection per event-loop turn: a flooding socket cannot starve the others
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES, allowSynchronousEvents: false });
    httpServer.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const refusal = this.access.admit(req, this.conns.size);
      if (refusal) {
        this.refused++;
        log(`refused ${req.socket.remoteAddress} (HTTP ${refusal.status}): ${refusal.reason}`);
        socket.end(refusalResponse(refusal));
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
    });
    httpServer.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('sim2real bridge: connect with a WebSocket (docs/bridge-protocol.md)\n');
    });
    const hb = cfg.heartbeatMs ?? 5000;
    this.timers.push(setInterval(() => this.heartbeat(), hb).unref());
    this.timers.push(setInterval(() => this.traffic.sweep(), this.traffic.sweepMs).unref());
    if (cfg.watchdogTimer !== false) {
      this.timers.push(setInterval(() => this.tick(), Math.max(2, cfg.limits.timeoutMs / 4)).unref());
    }
  }

  /** Binds and starts serving; refuses a non-loopback address without a token. */
  static async start<T extends ProtocolTable = typeof PROTOCOLS>(cfg: BridgeServerConfig<T>): Promise<BridgeServer> {
    const host = cfg.host ?? '127.0.0.1';
    checkBindAllowed(host, cfg.token ?? null);
    checkMs('the watchdog timeout (--timeout-ms)', cfg.limits.timeoutMs, TIMEOUT_MS_RANGE);
    checkMs('the heartbeat (--heartbeat-ms)', cfg.heartbeatMs ?? 5000, HEARTBEAT_MS_RANGE);
    accessFor(cfg, () => 0); // refuses bad origins, caps and throttles before binding
    trafficLimits(cfg.traffic);
    const server = cfg.tls ? https.createServer({ cert: cfg.tls.cert, key: cfg.tls.key }) : http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const shown = host.includes(':') ? `[${host}]` : host;
    return new BridgeServer(server, cfg, `${cfg.tls ? 'wss' : 'ws'}://${shown}:${port}`);
  }

  /** The bound port. */
  get port(): number {
    return (this.httpServer.address() as AddressInfo).port;
  }

  /** Runs every connection's watchdog once at the clock's current time. */
  tick(): void {
    for (const c of this.conns.values()) c.onTick();
  }

  /** Totals, including closed connections. */
  stats(): BridgeStats {
    const sum = { ...this.closedCounters };
    for (const c of this.conns.values()) addCounters(sum, c.channel.safety.counters);
    return { connections: this.total, open: this.conns.size, refused: this.refused, interventions: sum, estop: this.ctx.estop.record, traffic: this.traffic.stats() };
  }

  /** The e-stop latch every connection of this server shares. */
  get estop(): EstopLatch {
    return this.ctx.estop;
  }

  /** The status of every open connection, with the protocol each speaks. */
  connections(): ConnectionStatus[] {
    return [...this.conns.values()].map((c) => c.status());
  }

  /** Closes every connection and the listener. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.unsubscribeEstop();
    for (const ws of this.conns.keys()) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
  }

  private accept(ws: WebSocket, peer: string): void {
    const guard = this.traffic.open(ws, peer, this.ctx.log);
    const conn = new Connection({ ...this.ctx, policy: guard.lane, log: (line) => guard.log(line) }, (data) => guard.send(data), peer);
    this.conns.set(ws, conn);
    this.alive.add(ws);
    this.total++;
    const log = this.ctx.log;
    ws.on('pong', () => this.alive.add(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = toBytes(data);
      if (guard.admit(bytes.byteLength)) void conn.onMessage(bytes, isBinary);
    });
    ws.on('error', (e) => log(`${peer}: ${e.message}`));
    ws.on('close', (code) => {
      this.conns.delete(ws);
      this.traffic.release(guard);
      addCounters(this.closedCounters, conn.channel.safety.counters);
      const s = conn.status();
      log(`${peer}: closed (${code}) after ${s.observations} observations, ${s.actions} actions, ${conn.channel.safety.interventions} safety interventions (protocol ${s.protocol ?? 'none'})`);
    });
  }

  /** The shared e-stop changed: every connection follows it, and the log says who, when and why. */
  private onEstop(e: EstopEvent): void {
    if (e.kind === 'latched') this.ctx.log(`E-STOP: ${describeEstop(e.record)}; every session gets the safe command until a reset`);
    else this.ctx.log(`e-stop reset by ${describeOrigin(e.by)} (${describeEstop(e.record)})`);
    for (const c of this.conns.values()) c.onEstop(e);
  }

  private heartbeat(): void {
    for (const ws of this.conns.keys()) {
      if (!this.alive.has(ws)) {
        this.ctx.log('dropping a peer that did not answer the last ping');
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}

/** The upgrade gate for a server's settings (throws on bad origins or caps). */
function accessFor(cfg: BridgeServerConfig<ProtocolTable>, clock: Clock): AccessControl {
  const d = defaultAccess(cfg.token ?? null);
  return new AccessControl({
    ...d, allowOrigins: cfg.allowOrigins ?? d.allowOrigins, maxConnections: cfg.maxConnections ?? d.maxConnections, authThrottle: cfg.authThrottle ?? d.authThrottle,
  }, clock);
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

function zeroCounters(): SafetyCounters {
  return { rejected_obs: 0, stale_obs: 0, clamped_commands: 0, rate_limited_commands: 0, watchdog_trips: 0, estops: 0, safe_commands: 0 };
}

function addCounters(into: SafetyCounters, c: SafetyCounters): void {
  for (const k of Object.keys(into) as (keyof SafetyCounters)[]) into[k] += c[k];
}
