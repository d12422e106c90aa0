/**
 * One client connection of the bridge: decides from the first meaningful message whether the
 * peer speaks the native protocol or rosbridge v2, routes every frame to that session, and
 * answers anything malformed with an error instead of throwing.
 */
import { randomUUID } from 'node:crypto';
import { ControlChannel, type BridgePolicy } from './control.ts';
import { NativeSession } from './native_session.ts';
import { encodeServerMessage, NATIVE_CLIENT_OPS, parseJsonFrame, ProtocolError, type PolicyInfo, type StatusMessage } from './protocol.ts';
import { ROSBRIDGE_OPS, RosbridgeSession, type RosbridgeConfig } from './rosbridge.ts';
import type { Clock, SafetyLimits } from './safety.ts';

/** Everything a connection shares with the server. */
export interface ConnectionContext {
  policy: BridgePolicy;
  info: PolicyInfo;
  limits: SafetyLimits;
  clock: Clock;
  /** rosbridge settings, or null when `--rosbridge` is off. */
  rosbridge: RosbridgeConfig | null;
  log: (line: string) => void;
}

/** A connection and the protocol it turned out to speak. */
export class Connection {
  readonly id = randomUUID();
  readonly channel: ControlChannel;
  private mode: 'new' | 'native' | 'rosbridge' = 'new';
  private readonly native: NativeSession;
  private ros: RosbridgeSession | null = null;

  constructor(private readonly ctx: ConnectionContext, private readonly send: (data: string | Uint8Array) => void, readonly peer: string) {
    this.channel = new ControlChannel(ctx.policy, ctx.limits, ctx.clock, (line) => ctx.log(`${peer}: ${line}`));
    this.native = new NativeSession(this.channel, ctx.info, this.id, send, ctx.clock);
  }

  /** The protocol in use (`new` until the first hello or rosbridge op). */
  get protocol(): 'new' | 'native' | 'rosbridge' {
    return this.mode;
  }

  /**
   * Handles one WebSocket message; never throws. Errors found before any waiting are answered
   * synchronously, so replies to malformed frames come in the order the frames came.
   */
  onMessage(data: Uint8Array, isBinary: boolean): Promise<void> {
    try {
      const pending = this.dispatch(data, isBinary, this.ctx.clock());
      return pending ? pending.catch((e: unknown) => this.fail(e)) : Promise.resolve();
    } catch (e) {
      this.fail(e);
      return Promise.resolve();
    }
  }

  private dispatch(data: Uint8Array, isBinary: boolean, receivedMs: number): Promise<void> | undefined {
    if (isBinary) {
      if (this.mode === 'rosbridge') throw new ProtocolError('wrong_protocol', 'binary frames are not part of rosbridge v2 here (send JSON)', 'frame');
      return this.native.onBinary(data, receivedMs);
    }
    const m = parseJsonFrame(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
    if (NATIVE_CLIENT_OPS.includes(m.op) && this.mode !== 'rosbridge') {
      if (m.op === 'hello') this.mode = 'native';
      return this.native.onJson(m, receivedMs);
    }
    if (ROSBRIDGE_OPS.includes(m.op) || this.mode === 'rosbridge') return this.onRosbridge(m, receivedMs);
    throw new ProtocolError('unknown_op', `unknown op ${JSON.stringify(m.op.slice(0, 40))} (native ops: ${NATIVE_CLIENT_OPS.join(', ')}${this.ctx.rosbridge ? '; rosbridge v2 ops' : ''})`, 'op');
  }

  private fail(e: unknown): void {
    const err = e instanceof ProtocolError ? e : new ProtocolError('bad_frame', `internal error: ${(e as Error).message}`);
    this.send(encodeServerMessage(err.toMessage()));
  }

  /** Runs the watchdog of this connection. */
  onTick(): void {
    if (this.mode === 'rosbridge') this.ros?.onTick();
    else this.native.onTick();
  }

  /** The connection's status (state and intervention counters). */
  status(): StatusMessage {
    return this.native.status();
  }

  private onRosbridge(m: Record<string, unknown> & { op: string }, receivedMs: number): Promise<void> {
    if (!this.ctx.rosbridge) throw new ProtocolError('rosbridge_disabled', `op ${m.op} is a rosbridge op: start the bridge with --rosbridge to accept rosbridge clients`, 'op');
    if (this.mode === 'native') throw new ProtocolError('wrong_protocol', `op ${m.op} is a rosbridge op, but this connection said hello in the native protocol`, 'op');
    if (!this.ros) this.ros = new RosbridgeSession(this.channel, this.ctx.info, this.ctx.rosbridge, (t) => this.send(t));
    this.mode = 'rosbridge';
    return this.ros.onMessage(m, receivedMs);
  }
}
