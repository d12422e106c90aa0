/**
 * Native bridge protocol v1 (docs/bridge-protocol.md): the JSON messages a robot controller and
 * the bridge exchange, with a decoder that validates every field of what a client sends and
 * names the field at fault. Pure: no sockets, no policy, usable by an on-robot agent as well.
 */
import type { EstopRecord } from './estop.ts';

/** Protocol version this code speaks; `hello` must name it. */
export const PROTOCOL_VERSION = 1;

/**
 * Largest WebSocket message the bridge accepts (bytes). The largest native message of a
 * 48-observation policy is under 2 KiB (JSON) and 216 B (binary); rosbridge JointState messages
 * with names are a few KiB at most. Anything larger is a fault: the socket is closed with 1009.
 */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** How observation replies are encoded on a connection. */
export type Encoding = 'json' | 'binary';

/**
 * Why the bridge sent the safe command instead of a policy action: the watchdog, the e-stop, or
 * no policy to run (an on-robot agent whose stored policy cannot be loaded).
 */
export type SafeReason = 'watchdog' | 'estop' | 'no_policy';

/** Machine-readable error classes of an `error` message. */
export type ErrorCode =
  | 'bad_json' | 'bad_frame' | 'unknown_op' | 'bad_field' | 'no_hello' | 'version'
  | 'obs_rejected' | 'stale' | 'busy' | 'rosbridge_disabled' | 'wrong_protocol' | 'rate_limited';

/** One signal of the policy as the bridge describes it in `welcome`. */
export interface SignalInfo {
  name: string;
  unit: string;
  scale: number;
}

/** What the server tells a client about the policy and the safety layer in `welcome`. */
export interface PolicyInfo {
  task: string;
  robot: string;
  obs_dim: number;
  act_dim: number;
  observations: SignalInfo[];
  actions: SignalInfo[];
  /** Unit of each `command` number (the actions' physical units). */
  command_units: string[];
  control_mode: 'position' | 'effort';
  joint_order: string[];
  control_dt_s: number;
  action_clip: number;
  action_offsets: number[];
  /** Command limits applied by the safety layer, per joint, in command units. */
  command_lower: number[];
  command_upper: number[];
  /** Largest command change per observation (one control period), per joint. */
  max_command_step: number[];
  max_abs_observation: number;
  timeout_ms: number;
  safe_command: SafeCommand;
  dr_ranges: Record<string, [number, number]>;
}

/** The robot's safe command: hold `command` (default pose or zero effort) with damping gain `kd`. */
export interface SafeCommand {
  type: 'hold_default' | 'damping';
  kd: number;
  command: number[];
}

/** Counters of every safety intervention on one connection. */
export interface SafetyCounters {
  rejected_obs: number;
  stale_obs: number;
  clamped_commands: number;
  rate_limited_commands: number;
  watchdog_trips: number;
  estops: number;
  safe_commands: number;
}

/** State of the safety layer of one connection. */
export type SafetyState = 'idle' | 'running' | 'watchdog' | 'estopped';

// -- client → server

/** `hello`: protocol version, client name, the observation names it sends, reply encoding. */
export interface HelloMessage {
  op: 'hello';
  v: number;
  client: string;
  observations: string[];
  encoding: Encoding;
}

/** `obs`: one observation vector (observed units), its sequence number and robot timestamp (ms). */
export interface ObsMessage {
  op: 'obs';
  seq: number;
  t_ms: number;
  obs: Float32Array;
}

/** A message a client may send. */
export type ClientMessage =
  | HelloMessage
  | ObsMessage
  | { op: 'estop'; reason: string }
  | { op: 'reset' }
  | { op: 'status' };

// -- server → client

/** `welcome`: the answer to `hello`. */
export interface WelcomeMessage {
  op: 'welcome';
  v: number;
  session: string;
  encoding: Encoding;
  policy: PolicyInfo;
}

/** `action`: motor commands answering observation `seq`, after the safety layer. */
export interface ActionMessage {
  op: 'action';
  seq: number;
  t_ms: number;
  command: number[];
  raw: number[];
  /** Server time from receiving the observation to computing this reply (ms). */
  latency_ms: number;
  /** True when the safety layer clamped or rate-limited a number of `command`. */
  limited: boolean;
}

/** `safe`: hold the safe command (watchdog or e-stop); `seq` is the observation it answers, or -1. */
export interface SafeMessage {
  op: 'safe';
  seq: number;
  reason: SafeReason;
  command: number[];
  mode: SafeCommand['type'];
  kd: number;
}

/** `status`: the connection's safety state and counters, and the process-wide e-stop. */
export interface StatusMessage {
  op: 'status';
  state: SafetyState;
  interventions: SafetyCounters;
  observations: number;
  actions: number;
  /** Who latched the process-wide e-stop, when and why; null when not latched. */
  estop: EstopRecord | null;
}

/** `error`: what was wrong, which field, and the observation it concerns (seq) when known. */
export interface ErrorMessage {
  op: 'error';
  code: ErrorCode;
  field?: string;
  message: string;
  seq?: number;
}

/** A message the server may send. */
export type ServerMessage = WelcomeMessage | ActionMessage | SafeMessage | StatusMessage | ErrorMessage;

/** A protocol violation, as the `error` message that reports it. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly seq?: number;

  constructor(code: ErrorCode, message: string, field?: string, seq?: number) {
    // an answer to a peer, not a bug: no stack trace, which cost more than the rest of an error reply under a flood
    const depth = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = depth;
    this.name = 'ProtocolError';
    this.code = code;
    if (field !== undefined) this.field = field;
    if (seq !== undefined) this.seq = seq;
  }

  /** The `error` message reporting this violation. */
  toMessage(): ErrorMessage {
    const m: ErrorMessage = { op: 'error', code: this.code, message: this.message };
    if (this.field !== undefined) m.field = this.field;
    if (this.seq !== undefined) m.seq = this.seq;
    return m;
  }
}

/** Ops of the native protocol a client may send. */
export const NATIVE_CLIENT_OPS: readonly string[] = ['hello', 'obs', 'estop', 'reset', 'status'];

/** Parses a text frame as a JSON object with a string `op`; anything else is a ProtocolError. */
export function parseJsonFrame(text: string): Record<string, unknown> & { op: string } {
  let v: unknown;
  const depth = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // JSON.parse's SyntaxError is dropped: its stack would only cost time under a flood
  try {
    v = JSON.parse(text);
  } catch {
    throw new ProtocolError('bad_json', 'frame is not valid JSON');
  } finally {
    Error.stackTraceLimit = depth;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError('bad_json', 'frame must be a JSON object', '(root)');
  const op = (v as { op?: unknown }).op;
  if (typeof op !== 'string') throw new ProtocolError('bad_field', 'op must be a string', 'op');
  return v as Record<string, unknown> & { op: string };
}

/** Validates a parsed native client message; `obsDim` is the policy's observation length. */
export function decodeClientMessage(m: Record<string, unknown> & { op: string }, obsDim: number): ClientMessage {
  switch (m.op) {
    case 'hello':
      return decodeHello(m);
    case 'obs': {
      const seq = seqField(m.seq);
      return { op: 'obs', seq, t_ms: finiteField(m, 't_ms', seq), obs: numberList(m.obs, 'obs', obsDim, seq) };
    }
    case 'estop':
      if (m.reason !== undefined && typeof m.reason !== 'string') throw new ProtocolError('bad_field', 'reason must be a string', 'reason');
      return { op: 'estop', reason: (m.reason as string | undefined)?.slice(0, 200) ?? 'client request' };
    case 'reset':
    case 'status':
      return { op: m.op };
    default:
      throw new ProtocolError('unknown_op', `unknown op ${JSON.stringify(m.op.slice(0, 40))} (native ops: ${NATIVE_CLIENT_OPS.join(', ')})`, 'op');
  }
}

function decodeHello(m: Record<string, unknown>): HelloMessage {
  if (m.v !== PROTOCOL_VERSION) throw new ProtocolError('version', `protocol version ${JSON.stringify(m.v)} is not supported (this bridge speaks v${PROTOCOL_VERSION})`, 'v');
  const client = m.client === undefined ? 'unnamed' : m.client;
  if (typeof client !== 'string') throw new ProtocolError('bad_field', 'client must be a string', 'client');
  const obs = m.observations;
  if (!Array.isArray(obs) || !obs.every((x) => typeof x === 'string')) throw new ProtocolError('bad_field', 'observations must list the observation names the client sends', 'observations');
  const enc = m.encoding === undefined ? 'json' : m.encoding;
  if (enc !== 'json' && enc !== 'binary') throw new ProtocolError('bad_field', 'encoding must be "json" or "binary"', 'encoding');
  return { op: 'hello', v: PROTOCOL_VERSION, client: client.slice(0, 100), observations: obs as string[], encoding: enc };
}

/** Largest observation sequence number; 2^32 − 1 marks unsolicited safe frames. */
export const MAX_SEQ = 0xfffffffe;

/** An observation sequence number: an integer in [0, MAX_SEQ]. */
function seqField(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SEQ) throw new ProtocolError('bad_field', `seq must be an integer in [0, ${MAX_SEQ}]`, 'seq');
  return v;
}

function finiteField(m: Record<string, unknown>, key: string, seq: number): number {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProtocolError('bad_field', `${key} must be a finite number`, key, seq);
  return v;
}

/**
 * A list of exactly `len` JSON numbers as float32. Non-numbers are errors here; non-finite
 * values (1e309 parses as Infinity) are left for the safety layer to reject and count.
 */
function numberList(v: unknown, field: string, len: number, seq: number): Float32Array {
  if (!Array.isArray(v)) throw new ProtocolError('bad_field', `${field} must be an array of ${len} numbers`, field, seq);
  if (v.length !== len) throw new ProtocolError('bad_field', `${field} has ${v.length} numbers, the policy takes ${len}`, field, seq);
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    const x = v[i];
    if (typeof x !== 'number') throw new ProtocolError('bad_field', `${field}[${i}] must be a number, got ${x === null ? 'null' : typeof x}`, `${field}[${i}]`, seq);
    out[i] = x;
  }
  return out;
}

/** Serializes a server message as a JSON text frame (typed arrays as plain lists). */
export function encodeServerMessage(m: ServerMessage): string {
  return JSON.stringify(m);
}

/** Serializes a client message as a JSON text frame. */
export function encodeClientMessage(m: ClientMessage): string {
  return m.op === 'obs' ? JSON.stringify({ ...m, obs: Array.from(m.obs) }) : JSON.stringify(m);
}

/** Parses a server text frame (the client side's decoder); throws on anything that is not a server message. */
export function decodeServerMessage(text: string): ServerMessage {
  const m = parseJsonFrame(text);
  if (!['welcome', 'action', 'safe', 'status', 'error'].includes(m.op)) throw new ProtocolError('unknown_op', `unknown server op ${m.op}`, 'op');
  return m as unknown as ServerMessage;
}
