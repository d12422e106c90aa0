/**
 * What stands between one socket and the rest of the bridge: its inbound frame budget, its
 * bounded send buffer, its lane in the inference scheduler, its share of the server log, and
 * closing it (1008, with the reason) when it floods past its budget for too long or does not
 * read its replies.
 */
import type { WebSocket } from 'ws';
import { FrameBudget } from './frame_budget.ts';
import { LogThrottle } from './log_throttle.ts';
import { encodeServerMessage } from './protocol.ts';
import type { Clock } from './safety.ts';
import type { Lane } from './scheduler.ts';
import { SendGate } from './send_gate.ts';
import type { TrafficLimits } from './traffic_limits.ts';

/**
 * Whether an outgoing frame is an error reply: a native `error` message or a rosbridge `status`
 * of level `error`. Both are written by `JSON.stringify` with `op` first (and `level` next), so
 * the prefix tells, without parsing what the server itself wrote.
 */
export function isErrorReply(data: string | Uint8Array): boolean {
  return typeof data === 'string' && (data.startsWith('{"op":"error"') || data.startsWith('{"op":"status","level":"error"'));
}

/** WebSocket close code for a connection closed by a traffic limit (RFC 6455: policy violation). */
export const TRAFFIC_CLOSE_CODE = 1008;
/** How long a closed connection gets to take its close frame before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** Why the guard closed its connection. */
export type GuardCloseCause = 'rate_limit' | 'slow_reader';

/** What the guard tells its server. */
export interface GuardEvents {
  /** The server log (lines come prefixed with the peer). */
  log: (line: string) => void;
  /** The guard decided to close its connection (once). */
  closing: (cause: GuardCloseCause) => void;
}

/** One connection's traffic guard. */
export class ConnectionGuard {
  readonly budget: FrameBudget;
  readonly gate: SendGate;
  /** The connection's share of the server log. */
  readonly logs: LogThrottle;
  private closingCause: GuardCloseCause | null = null;

  /** `peer` prefixes the guard's own log lines. */
  constructor(private readonly ws: WebSocket, private readonly peer: string, readonly lane: Lane, limits: Readonly<TrafficLimits>, clock: Clock, private readonly events: GuardEvents) {
    this.budget = new FrameBudget(limits, clock);
    this.gate = new SendGate(ws, limits, clock);
    this.logs = new LogThrottle(events.log, peer, limits.logLinesPerS, 5 * limits.logLinesPerS, clock);
  }

  /** Logs a line of the connection (already prefixed with its peer) within its share of the log. */
  log(line: string): void {
    this.logs.line(line);
  }

  /** Why it is closing, or null while open. */
  get closing(): GuardCloseCause | null {
    return this.closingCause;
  }

  /** Sends a reply through the bounded buffer (nothing once closing); an error reply is charged to the error budget. */
  send(data: string | Uint8Array): void {
    if (this.closingCause) return;
    if (isErrorReply(data)) this.budget.chargeError();
    this.gate.send(data);
    this.check();
  }

  /**
   * Whether a received frame of `byteLength` bytes may be handled. A frame over budget is
   * dropped; the first drop of each second is answered with a `rate_limited` error; a
   * connection over budget for `abuseCloseMs` is closed.
   */
  admit(byteLength: number): boolean {
    if (this.closingCause) return false;
    const a = this.budget.admit(byteLength);
    if (a === 'accept') return true;
    if (a === 'close') this.close('rate_limit', `rate limit: over ${this.budget.describe()} for too long`);
    else if (a === 'report') {
      this.send(encodeServerMessage({ op: 'error', code: 'rate_limited', field: 'frame', message: `over ${this.budget.describe()}: frames dropped unread (${this.budget.dropped} so far); staying over the frame or byte rate closes the connection` }));
    }
    return false;
  }

  /** Closes the connection when it has stopped reading its replies. */
  check(): void {
    if (this.closingCause) return;
    const why = this.gate.stalled();
    if (why) this.close('slow_reader', why);
  }

  /** Frees its queued policy runs and logs what it left out (call when the socket has closed). */
  dispose(): void {
    this.lane.close();
    this.logs.flush();
  }

  private close(cause: GuardCloseCause, reason: string): void {
    this.closingCause = cause;
    this.lane.close();
    this.events.closing(cause);
    this.events.log(`${this.peer}: closing (${TRAFFIC_CLOSE_CODE}): ${reason}`);
    // the close frame waits behind unsent replies; a peer that does not read never takes it
    this.ws.close(TRAFFIC_CLOSE_CODE, reason.slice(0, 120));
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}
