/**
 * The extension point for the bridge's wire protocols: what one protocol's session on one
 * connection does (take the frames that are its own, format the control channel's decisions,
 * report its state) and what its class tells the connection before any session exists (which
 * frames it recognizes). The protocols the bridge speaks are listed in `protocol_table.ts`;
 * `connection.ts` knows only this file.
 */
import type { ControlChannel, Decision } from './control.ts';
import type { PolicyInfo, ProtocolError } from './protocol.ts';
import type { Clock } from './safety.ts';

/** Sends one frame to the peer (text or binary). */
export type Send = (data: string | Uint8Array) => void;

/** A parsed text frame: a JSON object with a string `op` (every protocol's text frames have one). */
export type JsonMessage = Record<string, unknown> & { op: string };

/**
 * One incoming WebSocket message as the connection hands it to protocols: a text frame already
 * parsed as a JSON object with an `op` (anything else was answered `bad_json`), or a binary
 * frame's bytes.
 */
export type Frame =
  | { readonly kind: 'json'; readonly message: JsonMessage }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array };

/**
 * How a protocol claims a frame on a connection that speaks no protocol yet: `opens` — the frame
 * starts this protocol and the connection speaks it from now on (native `hello`, any rosbridge
 * op); `joins` — this protocol's session handles it, but the connection stays uncommitted
 * (native `status`, or an observation before `hello`, answered `no_hello`).
 */
export type Claim = 'opens' | 'joins';

/** What a session gets from its connection. */
export interface SessionContext<S> {
  /** The connection's safety layer and policy: observations in, decisions out. */
  readonly channel: ControlChannel;
  /** The policy as the bridge describes it to clients. */
  readonly info: PolicyInfo;
  /** The connection's id (unique per server run). */
  readonly connectionId: string;
  readonly send: Send;
  readonly clock: Clock;
  /** This protocol's settings for the deployment (`BridgeServerConfig.settings[name]`). */
  readonly settings: S;
}

/** What a session reports about itself beside the channel's counters (e.g. whether `hello` was accepted). */
export type SessionDetails = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

/** One protocol spoken on one connection. */
export interface ProtocolSession {
  /**
   * Whether this session takes `frame` once the connection speaks its protocol. Frames it
   * declines are answered by the connection: `wrong_protocol` when another protocol recognizes
   * them, that protocol's `disabled` error when it is not served, else `unknown_op`.
   */
  accepts(frame: Frame): boolean;
  /**
   * Handles one frame it accepted (or, before the connection is committed, one its class
   * recognized). Errors are answered in the protocol's own way, and those found before any
   * waiting are sent before this returns, so replies keep the frames' order; anything thrown or
   * rejected is answered by the connection with an `error` message. `receivedMs` is when the
   * frame arrived, on the connection's clock.
   */
  onFrame(frame: Frame, receivedMs: number): Promise<void>;
  /** Sends a decision the channel made with no frame to answer (the watchdog's safe command). */
  deliver(decision: Decision): void;
  /** The session's own state, for the server's view of its connections. */
  details(): SessionDetails;
}

/**
 * The static side of a protocol: a session class whose constructor takes the context, plus
 * what the connection asks before it has a session. This is what the protocol table holds.
 */
export interface ProtocolClass<S> {
  new (ctx: SessionContext<S>): ProtocolSession;
  /** Name and version for messages and the log ("native protocol v1", "rosbridge v2"). */
  readonly title: string;
  /** What this protocol accepts, for the `unknown_op` message ("native ops: hello, obs, …"). */
  readonly opsHint: string;
  /** Whether `frame` belongs to this protocol on a connection that speaks none yet. */
  recognize(frame: Frame): Claim | null;
  /** The error for a frame this protocol recognizes when the server does not serve it. */
  disabled(frame: Frame): ProtocolError;
}

/**
 * Protocol name → session class. Order matters: a frame goes to the first served protocol that
 * recognizes it.
 */
export type ProtocolTable = Readonly<Record<string, ProtocolClass<never>>>;

/** The settings type of a protocol class. */
export type SettingsOf<C> = C extends ProtocolClass<infer S> ? S : never;

/** Settings per protocol of table `T`: a protocol is served exactly when its entry is neither missing nor null. */
export type ProtocolSettings<T extends ProtocolTable> = { readonly [K in keyof T]?: SettingsOf<T[K]> | null };

/** How a frame is named in error messages: `op <op>` or `binary frames`. */
export function frameName(frame: Frame): string {
  return frame.kind === 'json' ? `op ${frame.message.op}` : 'binary frames';
}
