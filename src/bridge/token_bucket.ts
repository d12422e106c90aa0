/**
 * A token bucket on an injected milliseconds clock: it holds at most `burst` tokens and gains
 * `ratePerS` per second; taking more than it holds fails and takes nothing. Pure: no timers.
 */
import type { Clock } from './safety.ts';

/** One rate limit (frames, bytes, attempts …). */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(readonly ratePerS: number, readonly burst: number, private readonly clock: Clock) {
    if (!(ratePerS > 0) || !(burst > 0)) throw new RangeError(`token bucket: rate and burst must be positive, got ${ratePerS}/s, ${burst}`);
    this.tokens = burst;
    this.lastMs = clock();
  }

  /** Tokens available now. */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  /** Takes `n` tokens when the bucket holds them; otherwise takes none and returns false. */
  take(n = 1): boolean {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  private refill(): void {
    const now = this.clock();
    const dt = now - this.lastMs;
    if (dt <= 0) return;
    this.lastMs = now;
    this.tokens = Math.min(this.burst, this.tokens + (dt * this.ratePerS) / 1000);
  }
}
