/** Shared pieces of the bridge tests: a deployment of the shipped cartpole policy and a raw WebSocket peer that queues what it receives. */
import WebSocket from 'ws';
import { startDeployment, type DeployOptions, type Deployment } from '../../src/bridge/deploy.ts';

/** The policy every bridge test serves. */
export const CARTPOLE_POLICY = 'policies/cartpole.onnx';
/** Its observation names. */
export const CARTPOLE_OBS = ['cart_pos', 'cart_vel', 'pole_angle', 'pole_angvel'];

/** Starts the cartpole policy on a free loopback port. */
export function deployCartpole(extra: Partial<DeployOptions> = {}): Promise<Deployment> {
  return startDeployment({ policyFile: CARTPOLE_POLICY, host: '127.0.0.1', port: 0, rosbridge: false, ...extra });
}

/** One received WebSocket message. */
export interface Received {
  binary: boolean;
  data: Buffer;
  /** Parsed JSON for text frames. */
  json?: Record<string, unknown>;
}

/** A raw WebSocket peer: sends anything, and hands out received messages in order. */
export class RawPeer {
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];
  closeCode: number | null = null;
  private readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => {
      const r: Received = { binary, data };
      if (!binary) r.json = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      this.received.push(r);
      this.wake();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
      resolve(code);
    }));
  }

  /** Opens a connection (rejects on refusal with the HTTP status). */
  static open(url: string, opts: WebSocket.ClientOptions = {}): Promise<RawPeer> {
    const ws = new WebSocket(url, opts);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawPeer(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends a text (string or object as JSON) or binary frame. */
  send(m: string | object | Uint8Array): void {
    this.ws.send(m instanceof Uint8Array || typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Waits until `n` messages in total have arrived (or the socket closed) and returns them all. */
  async atLeast(n: number): Promise<Received[]> {
    while (this.received.length < n && this.closeCode === null) await new Promise<void>((r) => this.waiters.push(r));
    return this.received;
  }

  private taken = 0;
  /** The next message after the ones already taken with `take`. */
  async take(): Promise<Received> {
    await this.atLeast(this.taken + 1);
    const r = this.received[this.taken];
    if (!r) throw new Error(`connection closed (${this.closeCode}) before message ${this.taken + 1}`);
    this.taken++;
    return r;
  }

  /** The next message, as JSON. */
  async takeJson(): Promise<Record<string, unknown>> {
    const r = await this.take();
    if (!r.json) throw new Error('expected a text frame, got a binary one');
    return r.json;
  }

  /** Resolves with the close code. */
  waitClosed(): Promise<number> {
    return this.closed;
  }

  /** Closes and waits for the close. */
  async close(): Promise<void> {
    if (this.closeCode === null) this.ws.close();
    await this.closed;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** hello for the cartpole policy. */
export function hello(encoding: 'json' | 'binary' = 'json'): object {
  return { op: 'hello', v: 1, client: 'test', observations: CARTPOLE_OBS, encoding };
}
