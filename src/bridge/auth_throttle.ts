/**
 * Failed token attempts, counted per remote address: after `maxFailures` failures within
 * `windowMs`, every upgrade from that address is refused for `blockMs` (HTTP 429), whatever
 * token it carries, so a token cannot be guessed at network speed. A success clears the
 * address's count. The table is bounded: beyond `maxAddresses` the oldest entry goes.
 */

/** How failed token attempts are limited (defaults: `DEFAULT_AUTH_THROTTLE`). */
export interface AuthThrottleConfig {
  /** Failures from one address within `windowMs` that start a block. */
  maxFailures: number;
  /** The window failures are counted over (ms). */
  windowMs: number;
  /** How long an address is refused once blocked (ms). */
  blockMs: number;
  /** Most addresses remembered at once; the oldest is forgotten first. */
  maxAddresses: number;
}

/** 10 failures in a minute block an address for a minute; 10,000 addresses remembered. */
export const DEFAULT_AUTH_THROTTLE: Readonly<AuthThrottleConfig> = { maxFailures: 10, windowMs: 60_000, blockMs: 60_000, maxAddresses: 10_000 };

interface Entry {
  /** When the current window started. */
  sinceMs: number;
  failures: number;
  /** Refused until this time (0: not blocked). */
  blockedUntilMs: number;
}

/** Failed-attempt bookkeeping on an injected milliseconds clock. */
export class AuthThrottle {
  private readonly table = new Map<string, Entry>();

  constructor(readonly config: Readonly<AuthThrottleConfig>, private readonly clock: () => number) {
    for (const k of ['maxFailures', 'windowMs', 'blockMs', 'maxAddresses'] as const) {
      const v = config[k];
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`auth throttle ${k} must be a positive integer, got ${v}`);
    }
  }

  /** Milliseconds `address` stays refused (0: not blocked). */
  blockedForMs(address: string): number {
    const e = this.table.get(normalizeAddress(address));
    if (!e) return 0;
    return Math.max(0, e.blockedUntilMs - this.clock());
  }

  /** Records a failed attempt; true when it starts a block. */
  fail(address: string): boolean {
    const key = normalizeAddress(address), now = this.clock();
    let e = this.table.get(key);
    if (!e || now - e.sinceMs > this.config.windowMs) e = { sinceMs: now, failures: 0, blockedUntilMs: e?.blockedUntilMs ?? 0 };
    e.failures++;
    const blocks = e.failures >= this.config.maxFailures;
    if (blocks) {
      e.blockedUntilMs = now + this.config.blockMs;
      e.failures = 0;
      e.sinceMs = now;
    }
    // re-insert: the Map's order is the order of last failure, oldest first
    this.table.delete(key);
    this.table.set(key, e);
    this.prune();
    return blocks;
  }

  /** Records a successful attempt: the address starts afresh. */
  succeed(address: string): void {
    this.table.delete(normalizeAddress(address));
  }

  /** Addresses currently remembered (for tests and status). */
  get size(): number {
    return this.table.size;
  }

  /** Forgets the addresses whose last failure is oldest until the table fits. */
  private prune(): void {
    for (const key of this.table.keys()) {
      if (this.table.size <= this.config.maxAddresses) break;
      this.table.delete(key);
    }
  }
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one address. */
function normalizeAddress(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}
