/**
 * A bounded send buffer for one connection: before each reply it looks at how many bytes the
 * socket still holds unsent (`bufferedAmount`), drops a reply that would take that past
 * `maxBufferedBytes`, and reports the connection as stalled once it has stayed above half the
 * bound for `slowReaderMs` since a reply was dropped. A client that does not read its replies
 * costs the server at most the bound, never memory without limit.
 */
import type { Clock } from './safety.ts';
import type { TrafficLimits } from './traffic_limits.ts';

/** What the gate needs of a socket (a `ws` WebSocket fits). */
export interface Outlet {
  readonly bufferedAmount: number;
  readonly readyState: number;
  readonly OPEN: number;
  send(data: string | Uint8Array, opts: { binary: boolean }): void;
}

/** Outbound bookkeeping of one connection. */
export class SendGate {
  /** Replies dropped because the buffer was full. */
  dropped = 0;
  /** The most unsent bytes seen right after a send. */
  peakBytes = 0;
  private fullSinceMs: number | null = null;

  constructor(private readonly out: Outlet, private readonly limits: Readonly<Pick<TrafficLimits, 'maxBufferedBytes' | 'slowReaderMs'>>, private readonly clock: Clock) {}

  /** Sends one reply unless the connection is not open or its unsent bytes would pass the bound. */
  send(data: string | Uint8Array): void {
    if (this.out.readyState !== this.out.OPEN) return;
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (this.out.bufferedAmount + size > this.limits.maxBufferedBytes) {
      this.dropped++;
      this.fullSinceMs ??= this.clock();
      return;
    }
    this.out.send(data, { binary: typeof data !== 'string' });
    this.peakBytes = Math.max(this.peakBytes, this.out.bufferedAmount);
  }

  /** Unsent bytes now. */
  get bufferedBytes(): number {
    return this.out.bufferedAmount;
  }

  /**
   * Null while the peer keeps up; otherwise why it counts as not reading: its unsent bytes have
   * stayed above half the bound for `slowReaderMs` since a reply was first dropped.
   */
  stalled(): string | null {
    if (this.fullSinceMs === null) return null;
    const buffered = this.out.bufferedAmount;
    if (buffered <= this.limits.maxBufferedBytes / 2) {
      this.fullSinceMs = null;
      return null;
    }
    const forMs = this.clock() - this.fullSinceMs;
    if (forMs < this.limits.slowReaderMs) return null;
    return `not reading replies: ${buffered} bytes unsent for ${Math.round(forMs)} ms (bound ${this.limits.maxBufferedBytes})`;
  }
}
