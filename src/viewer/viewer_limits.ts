/**
 * The viewer's resource limits: how big a page's message may be, how many pages may connect,
 * and how much the server holds for a page that does not read what it is sent. Every limit has
 * a default (documented in docs/viewer.md); tests may lower them.
 */

/** Bounds on what one page can make the server hold or do. */
export interface ViewerLimits {
  /** Largest WebSocket message a page may send (bytes); a larger one closes its connection with code 1009. */
  maxMessageBytes: number;
  /** Most pages connected at once; the next upgrade is refused with HTTP 503. */
  maxClients: number;
  /** Longest task name a `load` message may carry (characters). */
  maxNameChars: number;
  /** Above this many unsent bytes for a page, its frames are skipped (only the newest is kept, sent once it drains). */
  frameSkipBytes: number;
  /** A message that would take a page's unsent bytes above this is not queued: the page is resynced once it drains. */
  maxBufferedBytes: number;
  /** A page that could not take a message and has not drained for this long is disconnected (ms). */
  stallMs: number;
}

/** The defaults `sim2real view` runs with. */
export const DEFAULT_VIEWER_LIMITS: Readonly<ViewerLimits> = Object.freeze({
  maxMessageBytes: 64 * 1024,
  maxClients: 16,
  maxNameChars: 128,
  frameSkipBytes: 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  stallMs: 10_000,
});

/** The defaults with `over` applied; an unknown key or a value that is not a positive integer is an error naming it. */
export function resolveViewerLimits(over: Partial<ViewerLimits> = {}): ViewerLimits {
  const out: ViewerLimits = { ...DEFAULT_VIEWER_LIMITS };
  for (const [key, value] of Object.entries(over)) {
    if (!Object.hasOwn(DEFAULT_VIEWER_LIMITS, key)) throw new Error(`viewer limits: unknown key "${key}"`);
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`viewer limits: ${key} must be a positive integer, got ${String(value)}`);
    out[key as keyof ViewerLimits] = value;
  }
  if (out.frameSkipBytes > out.maxBufferedBytes) throw new Error('viewer limits: frameSkipBytes must not exceed maxBufferedBytes');
  return out;
}
