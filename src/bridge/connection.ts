/**
 * One client connection of the bridge: asks the protocol table which protocol each frame
 * belongs to, commits the connection to the protocol of the first frame that opens one, hands
 * frames to that protocol's session, runs the watchdog, and answers anything malformed or
 * misplaced with an error instead of throwing. It names no protocol: adding one is an entry in
 * the table (protocol_table.ts), not a change here.
 */
import { randomUUID } from 'node:crypto';
import { ControlChannel, type BridgePolicy, type ChannelStats, type ControlStep, type Decision } from './control.ts';
import type { EstopEvent, EstopLatch } from './estop.ts';
import { encodeServerMessage, parseJsonFrame, ProtocolError, type PolicyInfo } from './protocol.ts';
import type { Claim, Frame, ProtocolSession, ProtocolTable, Send, SessionDetails } from './protocol_session.ts';
import type { Clock, SafetyLimits } from './safety.ts';

/** Everything a connection shares with the server. */
export interface ConnectionContext {
  policy: BridgePolicy;
  info: PolicyInfo;
  limits: SafetyLimits;
  clock: Clock;
  /** The protocols a connection may speak, in the order they are asked to recognize a frame. */
  protocols: ProtocolTable;
  /** Settings per protocol name; a protocol is served when its entry is neither missing nor null. */
  settings: Readonly<Record<string, unknown>>;
  log: (line: string) => void;
  /** The e-stop every connection of the server shares (estop.ts). */
  estop: EstopLatch;
  /** Told of every control step of every connection (`BridgeServerConfig.onStep`). */
  onStep?: ConnectionStepListener;
}

/** A control step and the connection it came on (its id and remote address:port). */
export type ConnectionStepListener = (connection: { id: string; peer: string }, step: ControlStep) => void;

/** A connection's status: the protocol it speaks, its channel's safety state and counts, its session's own report. */
export interface ConnectionStatus extends ChannelStats {
  /** The protocol table's name for what the connection speaks, or null until a frame opens one. */
  protocol: string | null;
  /** What that protocol's session reports (null until then). */
  session: SessionDetails | null;
}

/** Which protocol a frame belongs to, and whether this server serves it. */
interface Owner {
  name: string;
  claim: Claim;
  served: boolean;
}

/** A connection and the protocol it turned out to speak. */
export class Connection {
  readonly id = randomUUID();
  readonly channel: ControlChannel;
  private readonly sessions = new Map<string, ProtocolSession>();
  private committed: { name: string; session: ProtocolSession } | null = null;

  constructor(private readonly ctx: ConnectionContext, private readonly send: Send, readonly peer: string) {
    const origin = () => ({ connection: this.id, peer, protocol: this.protocol });
    const me = { id: this.id, peer }, onStep = ctx.onStep;
    this.channel = new ControlChannel(ctx.policy, ctx.limits, ctx.clock, (line) => ctx.log(`${peer}: ${line}`), { latch: ctx.estop, origin }, onStep && ((s) => onStep(me, s)));
  }

  /** The protocol in use (a name from the protocol table), or null until a frame opens one. */
  get protocol(): string | null {
    return this.committed?.name ?? null;
  }

  /**
   * Handles one WebSocket message; never throws. Errors found before any waiting are answered
   * synchronously, so replies to malformed frames come in the order the frames came.
   */
  onMessage(data: Uint8Array, isBinary: boolean): Promise<void> {
    try {
      const pending = this.dispatch(data, isBinary, this.ctx.clock());
      return pending.catch((e: unknown) => this.fail(e));
    } catch (e) {
      this.fail(e);
      return Promise.resolve();
    }
  }

  /** Runs the watchdog of this connection; its safe command goes out in the connection's protocol. */
  onTick(): void {
    const d = this.channel.tick();
    if (d) this.deliver(d);
  }

  /** Follows the shared e-stop latched or reset on another connection: the safe command goes out unsolicited. */
  onEstop(event: EstopEvent): void {
    const d = this.channel.follow(event);
    if (d) this.deliver(d);
  }

  /** Sends a decision no frame asked for, in the protocol the connection speaks. */
  private deliver(d: Decision): void {
    const to = this.committed ? [this.committed.session] : [...this.sessions.values()];
    for (const s of to) s.deliver(d);
  }

  /** The connection's status. */
  status(): ConnectionStatus {
    return { protocol: this.protocol, ...this.channel.stats(), session: this.committed?.session.details() ?? null };
  }

  private dispatch(data: Uint8Array, isBinary: boolean, receivedMs: number): Promise<void> {
    const frame: Frame = isBinary
      ? { kind: 'binary', bytes: data }
      : { kind: 'json', message: parseJsonFrame(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) };
    const c = this.committed;
    if (c) {
      if (c.session.accepts(frame)) return c.session.onFrame(frame, receivedMs);
      throw this.refusal(frame, c.name);
    }
    const owner = this.owner(frame);
    if (!owner) throw this.unknown(frame);
    if (!owner.served) throw this.protocolClass(owner.name).disabled(frame);
    const session = this.session(owner.name);
    if (owner.claim === 'opens') this.committed = { name: owner.name, session };
    return session.onFrame(frame, receivedMs);
  }

  /** The first served protocol (other than `except`) that recognizes `frame`, else the first unserved one. */
  private owner(frame: Frame, except?: string): Owner | null {
    let unserved: Owner | null = null;
    for (const [name, cls] of Object.entries(this.ctx.protocols)) {
      if (name === except) continue;
      const claim = cls.recognize(frame);
      if (!claim) continue;
      if (this.served(name)) return { name, claim, served: true };
      unserved ??= { name, claim, served: false };
    }
    return unserved;
  }

  /** The error for a frame the protocol this connection speaks (`speaking`) does not take. */
  private refusal(frame: Frame, speaking: string): ProtocolError {
    const owner = this.owner(frame, speaking);
    if (!owner) return this.unknown(frame);
    if (!owner.served) return this.protocolClass(owner.name).disabled(frame);
    const title = this.protocolClass(speaking).title;
    return frame.kind === 'json'
      ? new ProtocolError('wrong_protocol', `op ${frame.message.op} is a ${owner.name} op, but this connection speaks ${title}`, 'op')
      : new ProtocolError('wrong_protocol', `binary frames are not part of ${title} here (send JSON)`, 'frame');
  }

  /** The error for a frame no protocol of the table recognizes. */
  private unknown(frame: Frame): ProtocolError {
    if (frame.kind === 'binary') return new ProtocolError('bad_frame', 'binary frames are not part of any protocol this bridge serves (send JSON)', 'frame');
    const hints = Object.entries(this.ctx.protocols).filter(([name]) => this.served(name)).map(([, cls]) => cls.opsHint);
    return new ProtocolError('unknown_op', `unknown op ${JSON.stringify(frame.message.op.slice(0, 40))} (${hints.join('; ')})`, 'op');
  }

  private served(name: string): boolean {
    const s = this.ctx.settings[name];
    return s !== undefined && s !== null;
  }

  private protocolClass(name: string): ProtocolTable[string] {
    const cls = this.ctx.protocols[name];
    if (!cls) throw new Error(`protocol ${name} is not in the protocol table`);
    return cls;
  }

  /** This connection's session of protocol `name`, created on its first frame. */
  private session(name: string): ProtocolSession {
    let s = this.sessions.get(name);
    if (!s) {
      const cls = this.protocolClass(name);
      const { channel, id: connectionId, send } = this;
      // settings and table are keyed alike (ProtocolSettings): entry `name` has class `name`'s settings type
      s = new cls({ channel, info: this.ctx.info, connectionId, send, clock: this.ctx.clock, settings: this.ctx.settings[name] as never });
      this.sessions.set(name, s);
    }
    return s;
  }

  private fail(e: unknown): void {
    const err = e instanceof ProtocolError ? e : new ProtocolError('bad_frame', `internal error: ${(e as Error).message}`);
    this.send(encodeServerMessage(err.toMessage()));
  }
}
