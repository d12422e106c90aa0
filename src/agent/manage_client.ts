/**
 * The client side of the agent's management protocol, as `sim2real push` uses it: connect with
 * the token (`wss://`, or `ws://` to a loopback address only), push a signed file in chunks with
 * at most a few unacknowledged, and ask for an activation, a rollback or the status. Replies come
 * in order; a refusal rejects with a `PushRefused` carrying the agent's code and message.
 */
import { isLoopback } from '../bridge/auth.ts';
import WebSocket from 'ws';
import { CHUNK_BYTES, MANAGE_VERSION, type Activation, type ManageReply } from './manage_protocol.ts';
import type { ShadowReport } from './shadow.ts';
import type { PolicySignature } from './signing.ts';

/** Chunks in flight (sent, not acknowledged) at most. */
const WINDOW = 8;

/** How to reach the agent. */
export interface ManageClientOptions {
  token: string;
  /** CA certificate(s) to trust for wss:// (a self-signed agent certificate). */
  ca?: Buffer | string;
}

/** What a push did. */
export interface PushResult {
  version: number;
  sha256: string;
  task: string;
  shadow: ShadowReport | null;
  activated: Activation | null;
}

/** The agent refused a request (the policy, a rollback …): its code and reason. */
export class PushRefused extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'PushRefused';
  }
}

/** A connection to an agent's management endpoint. */
export class ManageClient {
  private readonly inbox: ManageReply[] = [];
  private waiter: (() => void) | null = null;
  private closed: string | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData, binary: boolean) => {
      if (binary) return;
      try {
        this.inbox.push(JSON.parse(String(data)) as ManageReply);
      } catch {
        this.closed ??= 'the agent sent something that is not JSON';
      }
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed ??= `the agent closed the connection (${code}${reason.length ? `: ${reason.toString()}` : ''})`;
      this.wake();
    });
    ws.on('error', () => {});
  }

  /** Connects to `url` (refuses plain ws:// to anything but loopback: the token would cross the network in the clear). */
  static async connect(url: string, o: ManageClientOptions): Promise<ManageClient> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`--to ${url}: expected wss://host:port (or ws://127.0.0.1:port)`);
    }
    if (u.protocol !== 'wss:' && u.protocol !== 'ws:') throw new Error(`--to ${url}: expected wss://host:port (or ws://127.0.0.1:port)`);
    if (u.protocol === 'ws:' && !isLoopback(u.hostname)) throw new Error(`--to ${url}: ws:// is for loopback only (the token and the policy would cross the network in the clear): use wss://`);
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${o.token}` }, ...(o.ca ? { ca: o.ca } : {}), maxPayload: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => {
        ws.terminate();
        reject(e);
      };
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => fail(new Error(`agent ${url} refused the connection: HTTP ${res.statusCode}${res.statusCode === 401 ? ' (missing or wrong token)' : ''}`)));
      ws.once('error', (e) => fail(new Error(`agent ${url}: ${e.message}`)));
    });
    return new ManageClient(ws);
  }

  /** The agent's status. */
  async status(): Promise<Record<string, unknown>> {
    this.request({ op: 'status' });
    const m = await this.reply();
    if (m.op !== 'status') throw unexpected(m, 'status');
    const { op: _op, ...status } = m;
    return status;
  }

  /** Makes stored version `version` active. */
  activate(version: number): Promise<Activation> {
    this.request({ op: 'activate', version });
    return this.activation();
  }

  /** Returns to the version active before the current one. */
  rollback(): Promise<Activation> {
    this.request({ op: 'rollback' });
    return this.activation();
  }

  /**
   * Uploads a signed policy; the agent verifies and stores it, runs it in shadow for
   * `shadowS` seconds when asked, and activates it when asked. `onReply` sees every reply.
   */
  async push(bytes: Uint8Array, sig: PolicySignature, o: { name: string; shadowS?: number; activate?: boolean; onReply?: (m: ManageReply) => void }): Promise<PushResult> {
    this.request({ op: 'push', name: o.name, bytes: bytes.length, sha256: sig.sha256, key_id: sig.keyId, signature: sig.signature, shadow_s: o.shadowS ?? 0, activate: o.activate ?? false });
    const first = await this.reply();
    o.onReply?.(first);
    if (first.op !== 'ready') throw unexpected(first, 'ready');
    let sent = 0, acked = 0;
    const result: PushResult = { version: 0, sha256: '', task: '', shadow: null, activated: null };
    for (;;) {
      while (sent < bytes.length && sent - acked < WINDOW * CHUNK_BYTES) {
        const end = Math.min(bytes.length, sent + CHUNK_BYTES);
        this.ws.send(bytes.subarray(sent, end), { binary: true });
        sent = end;
      }
      const m = await this.reply();
      o.onReply?.(m);
      if (m.op === 'received') acked = m.bytes;
      else if (m.op === 'stored') Object.assign(result, { version: m.version, sha256: m.sha256, task: m.task });
      else if (m.op === 'shadow_report') result.shadow = m.report;
      else if (m.op === 'activated') {
        const { op: _op, ...a } = m;
        result.activated = a;
      } else if (m.op === 'done') return result;
      else if (m.op !== 'shadow_started') throw unexpected(m, 'the push to go on');
    }
  }

  /** Closes the connection. */
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  private async activation(): Promise<Activation> {
    const m = await this.reply();
    if (m.op !== 'activated') throw unexpected(m, 'activated');
    const done = await this.reply();
    if (done.op !== 'done') throw unexpected(done, 'done');
    const { op: _op, ...a } = m;
    return a;
  }

  private request(m: Record<string, unknown>): void {
    if (this.closed) throw new Error(this.closed);
    this.ws.send(JSON.stringify({ ...m, v: MANAGE_VERSION }));
  }

  /** The next reply; a refusal or an error rejects. */
  private async reply(): Promise<ManageReply> {
    while (this.inbox.length === 0) {
      if (this.closed) throw new Error(this.closed);
      await new Promise<void>((r) => (this.waiter = r));
    }
    const m = this.inbox.shift()!;
    if (m.op === 'refused' || m.op === 'error') throw new PushRefused(m.code, m.message);
    return m;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

function unexpected(m: ManageReply, wanted: string): Error {
  return new Error(`the agent answered ${m.op} where ${wanted} was expected`);
}
