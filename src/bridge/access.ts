/**
 * Who may open a WebSocket on the bridge, decided in the HTTP upgrade before any WebSocket
 * exists: an address blocked for failed token attempts is refused (429); a browser (a request
 * with an `Origin` header) only from an allowed origin (403); with a token, only with it (401,
 * counted against the address); and nobody beyond the connection cap (503). Robot controllers
 * and roslib on Node send no `Origin` and are not affected by the allow-list.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { requestToken, tokenMatches } from './auth.ts';
import { AuthThrottle, DEFAULT_AUTH_THROTTLE, type AuthThrottleConfig } from './auth_throttle.ts';

/** Open connections allowed by default; the upgrade past it gets HTTP 503. */
export const DEFAULT_MAX_CONNECTIONS = 64;
/** The largest `--max-connections` accepted. */
export const MAX_CONNECTIONS_LIMIT = 10_000;

/** The upgrade checks' settings. */
export interface AccessConfig {
  /** Token every upgrade must carry; null: none (loopback only). */
  token: string | null;
  /** Browser origins allowed (`scheme://host[:port]`); a request with any other `Origin` is refused. */
  allowOrigins: readonly string[];
  /** Open connections at most (1 … MAX_CONNECTIONS_LIMIT). */
  maxConnections: number;
  /** Failed token attempts per address. */
  authThrottle: AuthThrottleConfig;
}

/** Why an upgrade is refused: the HTTP status, a one-line reason, and for 429 when to retry. */
export interface Refusal {
  status: 401 | 403 | 429 | 503;
  reason: string;
  retryAfterS?: number;
}

/** The upgrade gate of one server. */
export class AccessControl {
  /** Failed token attempts per address. */
  readonly throttle: AuthThrottle;
  private readonly origins: ReadonlySet<string>;

  constructor(private readonly cfg: AccessConfig, clock: () => number) {
    if (!Number.isInteger(cfg.maxConnections) || cfg.maxConnections < 1 || cfg.maxConnections > MAX_CONNECTIONS_LIMIT) {
      throw new RangeError(`max connections must be an integer from 1 to ${MAX_CONNECTIONS_LIMIT}, got ${cfg.maxConnections}`);
    }
    this.origins = new Set(cfg.allowOrigins.map(parseAllowedOrigin));
    this.throttle = new AuthThrottle(cfg.authThrottle, clock);
  }

  /** Decides one upgrade request while `open` connections are open: null admits it. */
  admit(req: IncomingMessage, open: number): Refusal | null {
    const address = req.socket.remoteAddress ?? 'unknown';
    const blockedMs = this.throttle.blockedForMs(address);
    if (blockedMs > 0) {
      const retryAfterS = Math.ceil(blockedMs / 1000);
      return { status: 429, reason: `too many failed token attempts from ${address}: refused for ${retryAfterS} s more`, retryAfterS };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.has(normalizeOrigin(origin))) {
      return { status: 403, reason: `origin ${JSON.stringify(origin.slice(0, 100))} is not allowed (browser pages need --allow-origin)` };
    }
    if (this.cfg.token !== null) {
      if (!tokenMatches(requestToken(req), this.cfg.token)) {
        const blocks = this.throttle.fail(address);
        return { status: 401, reason: `missing or wrong token${blocks ? `: ${address} blocked for ${this.cfg.authThrottle.blockMs / 1000} s after ${this.cfg.authThrottle.maxFailures} failures` : ''}` };
      }
      this.throttle.succeed(address);
    }
    if (open >= this.cfg.maxConnections) return { status: 503, reason: `connection limit reached (${this.cfg.maxConnections} open; --max-connections)` };
    return null;
  }
}

/** The upgrade gate's defaults for a token (or none). */
export function defaultAccess(token: string | null): AccessConfig {
  return { token, allowOrigins: [], maxConnections: DEFAULT_MAX_CONNECTIONS, authThrottle: { ...DEFAULT_AUTH_THROTTLE } };
}

/** The raw HTTP response that refuses an upgrade and closes the socket. */
export function refusalResponse(r: Refusal): string {
  const body = `sim2real bridge: ${r.reason}\n`;
  const retry = r.retryAfterS !== undefined ? `Retry-After: ${r.retryAfterS}\r\n` : '';
  return `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status]}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retry}Connection: close\r\n\r\n${body}`;
}

/**
 * An `--allow-origin` value as browsers send it (`https://ops.example:8443`: scheme, host, port
 * only, default port dropped); throws a message naming the value when it is not an origin.
 */
export function parseAllowedOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--allow-origin ${text}: expected an origin such as https://ops.example:8443`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    throw new Error(`--allow-origin ${text}: expected http(s)://host[:port] with no path, query or credentials`);
  }
  return url.origin;
}

/** An `Origin` header compared the way browsers write origins (case of scheme and host, default port). */
function normalizeOrigin(header: string): string {
  try {
    const url = new URL(header);
    return url.origin === 'null' ? header : url.origin;
  } catch {
    return header;
  }
}
