/**
 * The server side of native protocol v1 on one connection: the hello exchange, observations in
 * JSON or binary frames, e-stop, reset and status, each answered per docs/bridge-protocol.md.
 */
import { decodeFrame, encodeFrame, FrameType, SAFE_REASON_CODES } from './binary.ts';
import type { ControlChannel, Decision } from './control.ts';
import {
  decodeClientMessage, encodeServerMessage, MAX_SEQ, PROTOCOL_VERSION, ProtocolError,
  type Encoding, type PolicyInfo, type ServerMessage, type StatusMessage,
} from './protocol.ts';

/** Sends one frame to the peer (text or binary). */
export type Send = (data: string | Uint8Array) => void;

/** One native-protocol connection. */
export class NativeSession {
  private encoding: Encoding | null = null;

  constructor(
    private readonly channel: ControlChannel,
    private readonly info: PolicyInfo,
    private readonly sessionId: string,
    private readonly send: Send,
    private readonly clock: () => number,
  ) {}

  /** True once `hello` was accepted. */
  get ready(): boolean {
    return this.encoding !== null;
  }

  /** Handles a parsed JSON message; protocol errors are answered, never thrown. */
  async onJson(m: Record<string, unknown> & { op: string }, receivedMs: number): Promise<void> {
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
        this.reply({ op: 'welcome', v: PROTOCOL_VERSION, session: this.sessionId, encoding: msg.encoding, policy: this.info });
        return;
      }
      if (msg.op === 'status') return this.reply(this.status());
      if (!this.ready) throw new ProtocolError('no_hello', `send hello (v${PROTOCOL_VERSION}) before ${msg.op}`, 'op');
      if (msg.op === 'estop') {
        this.channel.safety.estop();
        this.answer(this.channel.safe(-1, 'estop'));
        this.reply(this.status());
      } else if (msg.op === 'reset') {
        this.channel.safety.reset();
        this.reply(this.status());
      } else {
        const d = this.channel.observe(msg.obs, msg.seq, msg.t_ms, receivedMs);
        this.answer(d instanceof Promise ? await d : d);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** Handles a binary frame (only observation frames are valid from a client). */
  async onBinary(bytes: Uint8Array, receivedMs: number): Promise<void> {
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

  /** Sends the watchdog's safe command when it trips. */
  onTick(): void {
    const d = this.channel.tick();
    if (d && this.ready) {
      this.answer(d);
      this.reply(this.status());
    }
  }

  /** The connection's status message. */
  status(): StatusMessage {
    const s = this.channel.safety;
    return { op: 'status', state: s.state, interventions: { ...s.counters }, observations: this.channel.observations, actions: this.channel.actions };
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
      this.send(encodeFrame({ type: FrameType.safe, flags: SAFE_REASON_CODES[d.reason], seq: d.seq >>> 0, tMs: this.clock(), latencyMs: 0, values: Float32Array.from(d.command) }));
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
