/**
 * One connection's inbound budget: every frame it sends — valid, malformed or of a protocol
 * not served — takes one frame token and its payload's bytes before anything parses it, and
 * every error it is answered with takes a token of its error budget. A frame over the frame or
 * byte budget, or sent while the error budget is spent, is dropped unread; the first drop in
 * each second is reported to the sender. A connection that stays over its frame or byte budget
 * for `abuseCloseMs` is to be closed; one that only spends its error budget is throttled, not
 * closed (a controller whose sensor fails keeps its connection and its watchdog).
 */
import type { Clock } from './safety.ts';
import { TokenBucket } from './token_bucket.ts';
import type { TrafficLimits } from './traffic_limits.ts';

/**
 * What to do with one frame: `accept` it; `drop` it silently; `report` — drop it and tell the
 * sender (once a second); `close` — the connection has been over budget too long.
 */
export type Admission = 'accept' | 'drop' | 'report' | 'close';

/** A drop streak ends after this long without a dropped frame; reports go out at most this often. */
const STREAK_GAP_MS = 1000;

/** Frame, byte and error token buckets of one connection, with its drop streak. */
export class FrameBudget {
  /** Frames dropped since the connection opened. */
  dropped = 0;
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly errors: TokenBucket;
  private streakStartMs: number | null = null;
  private lastDropMs = -Infinity;
  private lastReportMs = -Infinity;

  constructor(private readonly limits: Readonly<TrafficLimits>, private readonly clock: Clock) {
    this.frames = new TokenBucket(limits.framesPerS, limits.frameBurst, clock);
    this.bytes = new TokenBucket(limits.bytesPerS, limits.byteBurst, clock);
    this.errors = new TokenBucket(limits.errorsPerS, limits.errorBurst, clock);
  }

  /** Decides one frame of `byteLength` payload bytes; tokens are taken only when it is accepted. */
  admit(byteLength: number): Admission {
    const now = this.clock();
    // every frame within the rate takes its tokens, even one then dropped for the error budget
    const withinRate = this.frames.available >= 1 && this.bytes.available >= byteLength;
    if (withinRate) {
      this.frames.take(1);
      this.bytes.take(byteLength);
    }
    if (withinRate && this.errors.available >= 1) {
      if (now - this.lastDropMs >= STREAK_GAP_MS) this.streakStartMs = null;
      return 'accept';
    }
    this.dropped++;
    if (!withinRate) {
      if (this.streakStartMs === null || now - this.lastDropMs >= STREAK_GAP_MS) this.streakStartMs = now;
      this.lastDropMs = now;
      if (now - this.streakStartMs >= this.limits.abuseCloseMs) return 'close';
    }
    if (now - this.lastReportMs < STREAK_GAP_MS) return 'drop';
    this.lastReportMs = now;
    return 'report';
  }

  /** Counts an error reply against the error budget. */
  chargeError(): void {
    this.errors.take(1);
  }

  /** The budget in words, for the error reply and the close reason. */
  describe(): string {
    const mib = (b: number) => `${+(b / 1048576).toFixed(2)} MiB`;
    const l = this.limits;
    return `${l.framesPerS} frames/s (burst ${l.frameBurst}), ${mib(l.bytesPerS)}/s (burst ${mib(l.byteBurst)}) or ${l.errorsPerS} error replies/s (burst ${l.errorBurst})`;
  }
}
