/**
 * The robot side of native protocol v1: connects to a bridge, says hello, sends observations
 * (JSON or binary) and matches each reply to the observation it answers. Used by
 * `sim2real robot`, the benchmark and the tests; a real robot controller does the same in its
 * own language (docs/bridge-protocol.md).
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { decodeFrame, encodeObsFrame, FrameType, SAFE_REASON_CODES } from './binary.ts';
import {
  decodeServerMessage, encodeClientMessage, PROTOCOL_VERSION,
  type Encoding, type ErrorMessage, type SafeReason, type StatusMessage, type WelcomeMessage,
} from './protocol.ts';

/** The answer to one observation. */
export type Reply =
  | { kind: 'action'; seq: number; command: number[]; raw: number[]; latencyMs: number; limited: boolean; rttMs: number }
  | { kind: 'safe'; seq: number; reason: SafeReason; command: number[]; rttMs: number }
  | { kind: 'error'; seq: number; code: string; field?: string; message: string; rttMs: number }
  | { kind: 'timeout'; seq: number; rttMs: number };

/** Connection settings. */
export interface BridgeClientOptions {
  /** Observation names in the order the client sends them (must match the policy's). */
  observations: readonly string[];
  encoding?: Encoding;
  client?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** CA certificate(s) to trust for wss:// (a self-signed bridge certificate). */
  ca?: Buffer | string;
  /** A reply later than this counts as lost (default 2000 ms). */
  replyTimeoutMs?: number;
}

const REASONS = Object.fromEntries(Object.entries(SAFE_REASON_CODES).map(([k, v]) => [v, k])) as Record<number, SafeReason>;

/**
 * A connected robot controller. Emits `safe` (unsolicited safe commands: watchdog, e-stop),
 * `status`, `error` (error messages that answer no observation) and `close`.
 */
export class BridgeClient extends EventEmitter {
  private seq = 0;
  private readonly pending = new Map<number, { sentMs: number; resolve: (r: Reply) => void; timer: NodeJS.Timeout }>();
  private readonly statusWaiters: ((s: StatusMessage) => void)[] = [];
  private readonly replyTimeoutMs: number;

  private constructor(private readonly ws: WebSocket, readonly welcome: WelcomeMessage, private readonly encoding: Encoding, opts: BridgeClientOptions) {
    super();
    this.replyTimeoutMs = opts.replyTimeoutMs ?? 2000;
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => {
      for (const [seq, p] of this.pending) this.settle(seq, { kind: 'timeout', seq, rttMs: performance.now() - p.sentMs });
      this.emit('close');
    });
  }

  /** Connects, says hello and waits for `welcome`; a refusal or an error reply rejects with its message. */
  static async connect(url: string, opts: BridgeClientOptions): Promise<BridgeClient> {
    const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
    const ws = new WebSocket(url, { headers, ...(opts.ca ? { ca: opts.ca } : {}) });
    const encoding = opts.encoding ?? 'binary';
    const welcome = await new Promise<WelcomeMessage>((resolve, reject) => {
      const fail = (e: Error) => {
        ws.terminate();
        reject(e);
      };
      ws.once('unexpected-response', (_req, res) => fail(new Error(`bridge ${url} refused the connection: HTTP ${res.statusCode}${res.statusCode === 401 ? ' (missing or wrong token)' : ''}`)));
      ws.once('error', (e) => fail(new Error(`bridge ${url}: ${e.message}`)));
      ws.once('open', () => ws.send(encodeClientMessage({ op: 'hello', v: PROTOCOL_VERSION, client: opts.client ?? 'sim2real-client', observations: [...opts.observations], encoding })));
      ws.once('message', (data: WebSocket.RawData) => {
        try {
          const m = decodeServerMessage(String(data));
          if (m.op === 'welcome') resolve(m);
          else fail(new Error(`bridge ${url}: ${m.op === 'error' ? `${m.field ? `${m.field}: ` : ''}${m.message}` : `expected welcome, got ${m.op}`}`));
        } catch (e) {
          fail(e as Error);
        }
      });
    });
    ws.removeAllListeners('error');
    ws.on('error', () => {});
    return new BridgeClient(ws, welcome, encoding, opts);
  }

  /** Sends one observation (observed units) and resolves with its reply. */
  request(obs: ArrayLike<number>, tMs = performance.now()): Promise<Reply> {
    const seq = this.seq++;
    return new Promise<Reply>((resolve) => {
      const sentMs = performance.now();
      const timer = setTimeout(() => this.settle(seq, { kind: 'timeout', seq, rttMs: performance.now() - sentMs }), this.replyTimeoutMs);
      this.pending.set(seq, { sentMs, resolve, timer });
      if (this.encoding === 'binary') this.ws.send(encodeObsFrame(seq, tMs, obs));
      else this.ws.send(encodeClientMessage({ op: 'obs', seq, t_ms: tMs, obs: Float32Array.from(obs) }));
    });
  }

  /** Asks for the connection's status. */
  status(): Promise<StatusMessage> {
    return this.control({ op: 'status' });
  }

  /** Latches the bridge's e-stop for this connection; resolves with the status after it. */
  estop(reason = 'client request'): Promise<StatusMessage> {
    return this.control({ op: 'estop', reason });
  }

  /** Clears an e-stop; resolves with the status after it. */
  reset(): Promise<StatusMessage> {
    return this.control({ op: 'reset' });
  }

  /** Closes the connection. */
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
    });
  }

  private control(m: { op: 'status' } | { op: 'reset' } | { op: 'estop'; reason: string }): Promise<StatusMessage> {
    return new Promise((resolve) => {
      this.statusWaiters.push(resolve);
      this.ws.send(encodeClientMessage(m));
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const now = performance.now();
    if (isBinary) {
      const f = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      const A = this.welcome.policy.act_dim;
      if (f.type === FrameType.action) {
        const v = Array.from(f.values);
        this.settleAt(f.seq, now, (rttMs) => ({ kind: 'action', seq: f.seq, command: v.slice(0, A), raw: v.slice(A, 2 * A), latencyMs: f.latencyMs, limited: (f.flags & 1) === 1, rttMs }));
      } else if (f.type === FrameType.safe) {
        const reason = REASONS[f.flags] ?? 'watchdog';
        this.safe(f.seq === 0xffffffff ? -1 : f.seq, reason, Array.from(f.values), now);
      }
      return;
    }
    const m = decodeServerMessage(String(data));
    if (m.op === 'action') {
      this.settleAt(m.seq, now, (rttMs) => ({ kind: 'action', seq: m.seq, command: m.command, raw: m.raw, latencyMs: m.latency_ms, limited: m.limited, rttMs }));
    } else if (m.op === 'safe') this.safe(m.seq, m.reason, m.command, now);
    else if (m.op === 'status') {
      const w = this.statusWaiters.shift();
      if (w) w(m);
      else this.emit('status', m);
    } else if (m.op === 'error') this.onError(m, now);
  }

  private safe(seq: number, reason: SafeReason, command: number[], now: number): void {
    if (seq >= 0 && this.pending.has(seq)) this.settleAt(seq, now, (rttMs) => ({ kind: 'safe', seq, reason, command, rttMs }));
    else this.emit('safe', { seq, reason, command });
  }

  private onError(m: ErrorMessage, now: number): void {
    const seq = m.seq;
    if (seq !== undefined && this.pending.has(seq)) {
      this.settleAt(seq, now, (rttMs) => ({ kind: 'error', seq, code: m.code, ...(m.field ? { field: m.field } : {}), message: m.message, rttMs }));
    } else this.emit('bridge-error', m);
  }

  private settleAt(seq: number, now: number, make: (rttMs: number) => Reply): void {
    const p = this.pending.get(seq);
    if (p) this.settle(seq, make(now - p.sentMs));
  }

  private settle(seq: number, r: Reply): void {
    const p = this.pending.get(seq);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    p.resolve(r);
  }
}
