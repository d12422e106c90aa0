/**
 * The ranges the bridge's timers accept. Node turns a timer delay above 2³¹−1 ms into 1 ms, so
 * an unchecked `--heartbeat-ms 3000000000` would ping (and drop) every client each millisecond;
 * values outside these ranges are refused where they enter, the CLI and `BridgeServer.start`.
 */

/** An inclusive range of whole milliseconds. */
export interface MsRange {
  readonly min: number;
  readonly max: number;
}

/** Watchdog timeout: 1 ms … 10 minutes. */
export const TIMEOUT_MS_RANGE: MsRange = { min: 1, max: 600_000 };
/** Heartbeat (ping) interval: 100 ms … 10 minutes. */
export const HEARTBEAT_MS_RANGE: MsRange = { min: 100, max: 600_000 };

/** `--timeout-ms must be from 1 to 600000 ms (10 min)`. */
export function describeRange(name: string, r: MsRange): string {
  return `${name} must be from ${r.min} to ${r.max} ms (${r.max / 60_000} min)`;
}

/** Throws a RangeError stating the range unless `value` (ms) lies inside it. */
export function checkMs(name: string, value: number, r: MsRange): void {
  if (!Number.isFinite(value) || value < r.min || value > r.max) throw new RangeError(`${describeRange(name, r)}, got ${value}`);
}
