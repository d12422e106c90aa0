/**
 * `PageConnection`: one page's WebSocket with a bounded send buffer. A page that reads slowly
 * (or not at all) never makes the server hold more than `maxBufferedBytes` for it. Messages
 * that carry a whole state (frames, status, randomization samples) are replaceable: above
 * `frameSkipBytes` only the newest of each kind is kept, and sent once the buffer drains. Any
 * other message goes out after the kept ones (the page sees everything in order); one that does
 * not fit under `maxBufferedBytes` is not queued, and the page gets the whole state again once
 * it drains. A page that stays that far behind for `stallMs` is disconnected.
 */
import type { WebSocket } from 'ws';
import type { ViewerLimits } from './viewer_limits.ts';

/** What one connection is holding, for diagnostics and tests. */
export interface PageConnectionStats {
  /** Bytes queued for the page and not yet handed to the operating system. */
  bufferedBytes: number;
  /** Replaceable messages (frames, status, samples) never sent because a newer one replaced them. */
  skippedMessages: number;
  /** Other messages not queued because the buffer was full (the page is resynced when it drains). */
  droppedMessages: number;
}

/** What {@link PageConnection.poll} found. */
export type PollResult = 'ok' | 'stalled';

/** A page's socket behind the send-buffer bounds. */
export class PageConnection {
  /** The newest unsent replaceable message of each kind, in the order the kinds were first kept. */
  private readonly kept = new Map<string, string>();
  /** Since when (ms) the page has missed a message it needs; null while in step with the server. */
  private behindSince: number | null = null;
  private skipped = 0;
  private dropped = 0;

  constructor(readonly ws: WebSocket, private readonly limits: ViewerLimits) {}

  /** Bytes waiting to go out to this page. */
  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** Counters for this connection. */
  get stats(): PageConnectionStats {
    return { bufferedBytes: this.bufferedBytes, skippedMessages: this.skipped, droppedMessages: this.dropped };
  }

  /** Sends a message of replaceable `kind`, or keeps it (replacing an older kept one) while the page is behind. */
  sendReplaceable(kind: string, text: string): void {
    if (!this.open || this.behindSince !== null) return; // a resync carries the newest state
    if (this.bufferedBytes > this.limits.frameSkipBytes) {
      if (this.kept.has(kind)) this.skipped++;
      this.kept.set(kind, text);
      return;
    }
    this.kept.delete(kind);
    this.ws.send(text);
  }

  /** Sends a message the page cannot do without (after any kept ones); one that does not fit under the bound marks the page for a resync. */
  send(text: string, nowMs: number): void {
    if (!this.open) return;
    if (this.behindSince !== null) {
      this.dropped++;
      return;
    }
    let bytes = Buffer.byteLength(text);
    for (const t of this.kept.values()) bytes += Buffer.byteLength(t);
    const queued = this.bufferedBytes;
    if (queued > 0 && queued + bytes > this.limits.maxBufferedBytes) {
      this.dropped++;
      this.behindSince = nowMs;
      this.kept.clear();
      return;
    }
    this.flushKept();
    this.ws.send(text);
  }

  /**
   * Called every loop tick: sends the kept messages once the buffer drained, resyncs a page that
   * missed messages with `greeting()` (everything a new page gets), and says 'stalled' when the
   * page has been behind for longer than `stallMs` (the caller then disconnects it).
   */
  poll(nowMs: number, greeting: () => string[]): PollResult {
    if (!this.open) return 'ok';
    const drained = this.bufferedBytes <= this.limits.frameSkipBytes;
    if (this.behindSince !== null) {
      if (!drained) return nowMs - this.behindSince > this.limits.stallMs ? 'stalled' : 'ok';
      this.behindSince = null;
      for (const text of greeting()) this.ws.send(text);
      return 'ok';
    }
    if (drained) this.flushKept();
    return 'ok';
  }

  private flushKept(): void {
    for (const text of this.kept.values()) this.ws.send(text);
    this.kept.clear();
  }

  private get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }
}
