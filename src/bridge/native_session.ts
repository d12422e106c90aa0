/**
 * The server side of native protocol v1 on one connection: the hello exchange, observations in
 * JSON or binary frames, e-stop, reset and status, each answered per docs/bridge-protocol.md.
 */
import { decodeFrame, encodeFrame, FrameType, SAFE_REASON_CODES } from './binary.ts';
import type { ControlChannel, Decision } from './control.ts';
import {
  decodeClientMessage, encodeServerMessage, MAX_SEQ, NATIVE_CLIENT_OPS, PROTOCOL_VERSION, ProtocolError,
  type Encoding, type PolicyInfo, type ServerMessage, type StatusMessage,
} from './protocol.ts';
import { frameName, type Claim, type Frame, type JsonMessage, type ProtocolSession, type Send, type SessionContext, type SessionDetails } from './protocol_session.ts';

/** Native protocol settings: none yet (present means served). */
export type NativeSettings = Readonly<Record<string, never>>;

/** One native-protocol connection. */
export class NativeSession implements ProtocolSession {
  static readonly title = `native protocol v${PROTOCOL_VERSION}`;
  static readonly opsHint = `native ops: ${NATIVE_CLIENT_OPS.join(', ')}`;

  /** `hello` opens the protocol; its other ops and every binary frame are its own before that too. */
  static recognize(frame: Frame): Claim | null {
    if (frame.kind === 'binary') return 'joins';
    if (!NATIVE_CLIENT_OPS.includes(frame.message.op)) return null;
    return frame.message.op === 'hello' ? 'opens' : 'joins';
  }

  /** A server always serves the native protocol in practice; a table without it answers so. */
  static disabled(frame: Frame): ProtocolError {
    return new ProtocolError('unknown_op', `${frameName(frame)} belongs to ${NativeSession.title}, which this bridge does not serve`, frame.kind === 'json' ? 'op' : 'frame');
  }

  private encoding: Encoding | null = null;
  private readonly channel: ControlChannel;
  private readonly info: PolicyInfo;
  private readonly send: Send;

  constructor(private readonly ctx: SessionContext<NativeSettings>) {
    this.channel = ctx.channel;
    this.info = ctx.info;
    this.send = ctx.send;
  }

  /** True once `hello` was accepted. */
  get ready(): boolean {
    return this.encoding !== null;
  }

  /** Native ops and binary frames. */
  accepts(frame: Frame): boolean {
    return NativeSession.recognize(frame) !== null;
  }

  /** Routes a frame to the JSON or the binary handler. */
  onFrame(frame: Frame, receivedMs: number): Promise<void> {
    return frame.kind === 'json' ? this.onJson(frame.message, receivedMs) : this.onBinary(frame.bytes, receivedMs);
  }

  /** The watchdog's safe command, then the status, once `hello` was accepted. */
  deliver(d: Decision): void {
    if (!this.ready) return;
    this.answer(d);
    this.reply(this.statusMessage());
  }

  /** Whether `hello` was accepted, and the reply encoding it chose. */
  details(): SessionDetails {
    return { hello: this.ready, encoding: this.encoding };
  }

  /** Handles a parsed JSON message; protocol errors are answered, never thrown. */
  private async onJson(m: JsonMessage, receivedMs: number): Promise<void> {
    try {
      const msg = decodeClientMessage(m, this.info.obs_dim);
      if (msg.op === 'hello') {
        const names = this.info.observations.map((o) => o.name);
        const bad = names.findIndex((n, i) => msg.observations[i] !== n);
        if (msg.observations.length !== names.length || bad >= 0) {
          const at = bad >= 0 ? bad : Math.min(names.length, msg.observations.length);
          throw new ProtocolError('bad_field', `observations[${at}] is ${JSON.stringify(msg.observations[at] ?? null)}, the policy expects ${JSON.stringify(names[at] ?? null)} (${names.length} observations: ${names.join(', ')})`, `observations[${at}]`);
        }
        this.encoding = msg.encoding;
        this.reply({ op: 'welcome', v: PROTOCOL_VERSION, session: this.ctx.connectionId, encoding: msg.encoding, policy: this.info });
        return;
      }
      if (msg.op === 'status') return this.reply(this.statusMessage());
      // an e-stop is obeyed from any admitted connection, hello or not; a reset needs hello
      if (msg.op === 'estop') {
        this.answer(this.channel.estop(msg.reason));
        this.reply(this.statusMessage());
        return;
      }
      if (!this.ready) throw new ProtocolError('no_hello', `send hello (v${PROTOCOL_VERSION}) before ${msg.op}`, 'op');
      if (msg.op === 'reset') {
        this.channel.reset();
        this.reply(this.statusMessage());
      } else {
        const d = this.channel.observe(msg.obs, msg.seq, msg.t_ms, receivedMs);
        this.answer(d instanceof Promise ? await d : d);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** Handles a binary frame (only observation frames are valid from a client). */
  private async onBinary(bytes: Uint8Array, receivedMs: number): Promise<void> {
    try {
      const f = decodeFrame(bytes);
      if (f.type !== FrameType.obs) throw new ProtocolError('bad_frame', `a client may only send observation frames (type 1), got type ${f.type}`, 'type');
      if (!this.ready) throw new ProtocolError('no_hello', `send hello (v${PROTOCOL_VERSION}) before observations`, 'op');
      if (f.values.length !== this.info.obs_dim) throw new ProtocolError('bad_field', `obs has ${f.values.length} numbers, the policy takes ${this.info.obs_dim}`, 'obs', f.seq);
      if (f.seq > MAX_SEQ) throw new ProtocolError('bad_field', `seq must be at most ${MAX_SEQ}`, 'seq');
      if (!Number.isFinite(f.tMs)) throw new ProtocolError('bad_field', 't_ms must be a finite number', 't_ms', f.seq);
      const d = this.channel.observe(f.values, f.seq, f.tMs, receivedMs);
      this.answer(d instanceof Promise ? await d : d);
    } catch (e) {
      this.fail(e);
    }
  }

  private statusMessage(): StatusMessage {
    return { op: 'status', ...this.channel.stats() };
  }

  private answer(d: Decision): void {
    if (d.kind === 'error') return this.reply(d.error.toMessage());
    const binary = this.encoding === 'binary';
    if (d.kind === 'action') {
      if (binary) {
        const values = Float32Array.from([...d.command, ...d.raw]);
        this.send(encodeFrame({ type: FrameType.action, flags: d.limited ? 1 : 0, seq: d.seq, tMs: d.tMs, latencyMs: d.latencyMs, values }));
      } else {
        this.reply({ op: 'action', seq: d.seq, t_ms: d.tMs, command: d.command, raw: d.raw, latency_ms: d.latencyMs, limited: d.limited });
      }
      return;
    }
    const safe = this.info.safe_command;
    if (binary) {
      this.send(encodeFrame({ type: FrameType.safe, flags: SAFE_REASON_CODES[d.reason], seq: d.seq >>> 0, tMs: this.ctx.clock(), latencyMs: 0, values: Float32Array.from(d.command) }));
    } else {
      this.reply({ op: 'safe', seq: d.seq, reason: d.reason, command: d.command, mode: safe.type, kd: safe.kd });
    }
  }

  private reply(m: ServerMessage): void {
    this.send(encodeServerMessage(m));
  }

  private fail(e: unknown): void {
    if (e instanceof ProtocolError) this.reply(e.toMessage());
    else this.reply({ op: 'error', code: 'bad_frame', message: `internal error: ${(e as Error).message}` });
  }
}
