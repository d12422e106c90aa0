/**
 * The agent's management protocol (v1, docs/agent.md): what `sim2real push` and the agent say to
 * each other on the management WebSocket. Requests are JSON text frames; a push's file follows
 * its request as binary frames. Every field a client sends is checked here and the field at fault
 * named. Pure: no sockets.
 */
import type { ShadowReport } from './shadow.ts';
import type { RefusalCode } from './verify.ts';

/** Protocol version; every request carries it as `v`. */
export const MANAGE_VERSION = 1;
/** Largest WebSocket message the management endpoint takes (a request, or one chunk of a file). */
export const MAX_MANAGE_MESSAGE_BYTES = 256 * 1024;
/** The chunk size `sim2real push` sends a file in. */
export const CHUNK_BYTES = 64 * 1024;
/** Longest shadow run a push may ask for (s). */
export const MAX_SHADOW_S = 3600;

/** `push`: a signed policy file follows as binary frames, `bytes` in all. */
export interface PushRequest {
  op: 'push';
  v: number;
  /** The file's base name, for the store and the log (at most 128 characters kept). */
  name: string;
  bytes: number;
  sha256: string;
  key_id: string;
  /** ed25519 signature of the signed statement (signing.ts), base64. */
  signature: string;
  /** Run in shadow for this long before activating (0: no shadow). */
  shadow_s: number;
  activate: boolean;
}

/** What a client may ask. */
export type ManageRequest =
  | PushRequest
  | { op: 'activate'; v: number; version: number }
  | { op: 'rollback'; v: number }
  | { op: 'status'; v: number };

/** Why a request was not understood (as opposed to a policy refused: `refused`). */
export type ManageErrorCode = 'bad_json' | 'bad_field' | 'unknown_op' | 'version' | 'unexpected_data' | 'busy' | 'rate_limited';

/** An activation as the agent reports it. */
export interface Activation {
  version: number;
  previous: number | null;
  kind: 'activate' | 'rollback' | 'auto_rollback';
  reason: string;
  /** How long the control loop was held for the swap itself (µs). */
  swap_us: number;
  at: string;
}

/** What the agent sends. */
export type ManageReply =
  | { op: 'ready' }
  | { op: 'received'; bytes: number }
  | { op: 'stored'; version: number; sha256: string; task: string; robot: string }
  | { op: 'shadow_started'; version: number; seconds: number }
  | { op: 'shadow_report'; report: ShadowReport }
  | ({ op: 'activated' } & Activation)
  | { op: 'done' }
  | { op: 'refused'; code: RefusalCode; message: string }
  | { op: 'error'; code: ManageErrorCode; message: string }
  | ({ op: 'status' } & Record<string, unknown>);

/** A request that cannot be taken, and the field at fault. */
export class ManageError extends Error {
  constructor(readonly code: ManageErrorCode, message: string) {
    super(message);
    this.name = 'ManageError';
  }
}

const OPS = ['push', 'activate', 'rollback', 'status'];

/** Parses and checks one request text frame. */
export function parseRequest(text: string): ManageRequest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new ManageError('bad_json', 'a request must be a JSON object');
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new ManageError('bad_json', 'a request must be a JSON object');
  const r = m as Record<string, unknown>;
  const op = r.op;
  if (typeof op !== 'string' || !OPS.includes(op)) throw new ManageError('unknown_op', `unknown op ${JSON.stringify(typeof op === 'string' ? op.slice(0, 40) : op)} (ops: ${OPS.join(', ')})`);
  if (r.v !== MANAGE_VERSION) throw new ManageError('version', `v must be ${MANAGE_VERSION} (this agent speaks management protocol v${MANAGE_VERSION}), got ${JSON.stringify(r.v)}`);
  const bad = (field: string, what: string) => new ManageError('bad_field', `${field}: ${what}`);
  const int = (field: string, min: number, max: number): number => {
    const x = r[field];
    if (!Number.isInteger(x) || (x as number) < min || (x as number) > max) throw bad(field, `an integer from ${min} to ${max} expected, got ${JSON.stringify(x)}`);
    return x as number;
  };
  const str = (field: string, re: RegExp, what: string): string => {
    const x = r[field];
    if (typeof x !== 'string' || !re.test(x)) throw bad(field, what);
    return x;
  };
  switch (op) {
    case 'status':
    case 'rollback':
      return { op, v: MANAGE_VERSION };
    case 'activate':
      return { op, v: MANAGE_VERSION, version: int('version', 1, Number.MAX_SAFE_INTEGER) };
    default: {
      const bytes = r.bytes;
      if (!Number.isInteger(bytes) || (bytes as number) < 1) throw bad('bytes', `a positive integer expected, got ${JSON.stringify(bytes)}`);
      const name = typeof r.name === 'string' ? r.name.replace(/[^\w.+-]/g, '_').slice(0, 128) : 'policy.onnx';
      const shadow = r.shadow_s ?? 0;
      if (typeof shadow !== 'number' || !(shadow >= 0 && shadow <= MAX_SHADOW_S)) throw bad('shadow_s', `a number of seconds from 0 to ${MAX_SHADOW_S} expected`);
      if (r.activate !== undefined && typeof r.activate !== 'boolean') throw bad('activate', 'true or false expected');
      const req: PushRequest = {
        op: 'push', v: MANAGE_VERSION, name, bytes: bytes as number,
        sha256: str('sha256', /^[0-9a-f]{64}$/, '64 lowercase hex digits expected'),
        key_id: str('key_id', /^[0-9a-f]{16}$/, '16 lowercase hex digits expected'),
        signature: str('signature', /^[A-Za-z0-9+/]{86}==$/, 'an ed25519 signature in base64 expected (88 characters)'),
        shadow_s: shadow, activate: r.activate === true,
      };
      return req;
    }
  }
}
