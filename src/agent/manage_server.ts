/**
 * The agent's management endpoint: its own WebSocket port for `sim2real push`, separate from the
 * controller's. Every upgrade passes the bridge's gate (access.ts: failed-token throttle, no
 * browser origins, the token, a small connection cap); the port needs a token always, and TLS
 * anywhere but loopback. Peers are assumed hostile: messages are bounded, a push's size is
 * declared and capped before a byte is taken, one upload runs at a time, an upload must finish
 * within a time limit, and a file that did not arrive whole is dropped and never reaches the
 * store. What a request means is the handler's business (agent.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AccessControl, defaultAccess, refusalResponse } from '../bridge/access.ts';
import { isLoopback } from '../bridge/auth.ts';
import { TokenBucket } from '../bridge/token_bucket.ts';
import { ManageError, MAX_MANAGE_MESSAGE_BYTES, parseRequest, type Activation, type ManageReply, type ManageRequest, type PushRequest } from './manage_protocol.ts';
import { Refusal } from './verify.ts';

/** Management connections open at once, at most. */
const MAX_MANAGE_CONNECTIONS = 4;
/** Frames per second a management connection may send (a 64 MiB push is 1,024 chunks), and its burst. */
const FRAMES_PER_S = 500;
const FRAME_BURST = 1000;
/** Ping interval; a peer that misses a ping is dropped. */
const HEARTBEAT_MS = 10_000;

/** What the endpoint asks the agent to do. */
export interface ManageHandler {
  /** Whether a push may start sending its file: null reserves the one upload slot; a `Refusal` refuses it. */
  beginPush(req: PushRequest): Refusal | null;
  /** Frees the upload slot, however the upload ended. */
  endPush(): void;
  /** Verifies, stores, shadows and activates a file that arrived whole; progress goes through `reply`; `signal` aborts when the client left. */
  push(req: PushRequest, bytes: Buffer, sha256: string, reply: (m: ManageReply) => void, signal: AbortSignal): Promise<void>;
  activate(version: number): Promise<Activation>;
  rollback(): Promise<Activation>;
  status(): Record<string, unknown>;
}

/** How the endpoint is served. */
export interface ManageServerConfig {
  host: string;
  port: number;
  /** Required, at least 8 characters. */
  token: string;
  /** PEM certificate and key: wss:// (required off loopback). */
  tls: { cert: Buffer; key: Buffer } | null;
  handler: ManageHandler;
  /** Largest policy file taken (bytes). */
  maxPolicyBytes: number;
  /** An upload not complete this long after `ready` is dropped (ms). */
  uploadTimeoutMs: number;
  log: (line: string) => void;
}

/** A file being received on one connection. */
interface Upload {
  req: PushRequest;
  buf: Buffer;
  received: number;
  hash: Hash;
  timer: NodeJS.Timeout;
}

/** The running management endpoint. */
export class ManageServer {
  private readonly wss: WebSocketServer;
  private readonly access: AccessControl;
  private readonly conns = new Set<WebSocket>();
  /** Connections that answered the last ping (or opened since). */
  private readonly alive = new WeakSet<WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(private readonly httpServer: http.Server, private readonly cfg: ManageServerConfig, readonly url: string) {
    const clock = () => performance.now();
    this.access = new AccessControl({ ...defaultAccess(cfg.token), maxConnections: MAX_MANAGE_CONNECTIONS }, clock);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MANAGE_MESSAGE_BYTES, allowSynchronousEvents: false });
    httpServer.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const refusal = this.access.admit(req, this.conns.size);
      if (refusal) {
        cfg.log(`management: refused ${req.socket.remoteAddress} (HTTP ${refusal.status}): ${refusal.reason}`);
        socket.end(refusalResponse(refusal));
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
    });
    httpServer.on('request', (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('sim2real agent management: connect with a WebSocket (docs/agent.md)\n'));
    this.heartbeat = setInterval(() => {
      for (const ws of this.conns) {
        if (!this.alive.has(ws)) {
          ws.terminate();
          continue;
        }
        this.alive.delete(ws);
        ws.ping();
      }
    }, HEARTBEAT_MS).unref();
  }

  /** Binds; refuses a missing or short token, and plain ws:// off loopback. */
  static async start(cfg: ManageServerConfig): Promise<ManageServer> {
    if (cfg.token.length < 8) throw new Error('the management token must be at least 8 characters (--token-file)');
    if (!isLoopback(cfg.host) && !cfg.tls) throw new Error(`--manage ${cfg.host} is not loopback: the management port needs TLS there (--tls-cert, --tls-key)`);
    const server = cfg.tls ? https.createServer({ cert: cfg.tls.cert, key: cfg.tls.key }) : http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.port, cfg.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const shown = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
    return new ManageServer(server, cfg, `${cfg.tls ? 'wss' : 'ws'}://${shown}:${port}`);
  }

  /** Closes every connection and the listener. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const ws of this.conns) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
  }

  private accept(ws: WebSocket, peer: string): void {
    this.conns.add(ws);
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    const conn = new ManageConnection(ws, peer, this.cfg);
    ws.on('message', (data: RawData, isBinary: boolean) => conn.onMessage(toBuffer(data), isBinary));
    ws.on('error', (e) => this.cfg.log(`management ${peer}: ${e.message}`));
    ws.on('close', () => {
      this.conns.delete(ws);
      conn.onClose();
    });
  }
}

/** One management connection: one request at a time; a push's file in binary frames after its `ready`. */
class ManageConnection {
  private upload: Upload | null = null;
  private working = false;
  private readonly budget = new TokenBucket(FRAMES_PER_S, FRAME_BURST, () => performance.now());
  private readonly abort = new AbortController();

  constructor(private readonly ws: WebSocket, private readonly peer: string, private readonly cfg: ManageServerConfig) {}

  onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.budget.take()) {
      this.cfg.log(`management ${this.peer}: over ${FRAMES_PER_S} frames/s: closing`);
      this.ws.close(1008, 'rate limit');
      return;
    }
    try {
      if (isBinary) this.onChunk(data);
      else this.onRequest(parseRequest(data.toString('utf8')));
    } catch (e) {
      this.fail(e);
    }
  }

  onClose(): void {
    this.abort.abort();
    const u = this.upload;
    if (u) {
      this.cfg.log(`management ${this.peer}: push of ${u.req.name} cut off after ${u.received} of ${u.req.bytes} bytes: dropped, nothing stored`);
      this.endUpload();
    }
  }

  private onRequest(req: ManageRequest): void {
    if (req.op === 'status') return this.send({ op: 'status', ...this.cfg.handler.status() });
    if (this.working || this.upload) throw new ManageError('busy', `a ${this.upload ? 'push' : 'request'} is still in progress on this connection`);
    if (req.op === 'push') return this.beginUpload(req);
    this.run(async () => {
      const a = req.op === 'activate' ? await this.cfg.handler.activate(req.version) : await this.cfg.handler.rollback();
      this.send({ op: 'activated', ...a });
    });
  }

  private beginUpload(req: PushRequest): void {
    if (req.bytes > this.cfg.maxPolicyBytes) throw new Refusal('too_large', `${req.name} is ${req.bytes} bytes; this agent takes policies up to ${this.cfg.maxPolicyBytes} bytes (--max-policy-mb)`);
    const refusal = this.cfg.handler.beginPush(req);
    if (refusal) throw refusal;
    const timer = setTimeout(() => {
      this.cfg.log(`management ${this.peer}: push of ${req.name} not complete after ${this.cfg.uploadTimeoutMs} ms: dropped`);
      this.endUpload();
      this.send({ op: 'refused', code: 'timeout', message: `the file did not arrive within ${this.cfg.uploadTimeoutMs / 1000} s (${req.bytes} bytes declared)` });
    }, this.cfg.uploadTimeoutMs).unref();
    this.upload = { req, buf: Buffer.allocUnsafe(req.bytes), received: 0, hash: createHash('sha256'), timer };
    this.send({ op: 'ready' });
  }

  private onChunk(chunk: Buffer): void {
    const u = this.upload;
    if (!u) throw new ManageError('unexpected_data', 'binary frames only follow a push request and its ready reply');
    if (u.received + chunk.length > u.req.bytes) {
      this.endUpload();
      throw new Refusal('too_large', `more than the ${u.req.bytes} bytes the push declared arrived: dropped`);
    }
    chunk.copy(u.buf, u.received);
    u.hash.update(chunk);
    u.received += chunk.length;
    this.send({ op: 'received', bytes: u.received });
    if (u.received < u.req.bytes) return;
    this.endUpload();
    const digest = u.hash.digest('hex');
    this.run(() => this.cfg.handler.push(u.req, u.buf, digest, (m) => this.send(m), this.abort.signal));
  }

  /** Runs one request to its end; its refusal or failure is the reply. */
  private run(work: () => Promise<void>): void {
    this.working = true;
    void work().then(() => this.send({ op: 'done' }), (e) => this.fail(e)).finally(() => (this.working = false));
  }

  private endUpload(): void {
    const u = this.upload;
    if (!u) return;
    clearTimeout(u.timer);
    this.upload = null;
    this.cfg.handler.endPush();
  }

  private fail(e: unknown): void {
    if (e instanceof Refusal) this.send({ op: 'refused', code: e.code, message: e.message });
    else if (e instanceof ManageError) this.send({ op: 'error', code: e.code, message: e.message });
    else {
      this.cfg.log(`management ${this.peer}: ${(e as Error).message}`);
      this.send({ op: 'refused', code: 'store_failed', message: (e as Error).message });
    }
  }

  private send(m: ManageReply): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(m));
  }
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}
