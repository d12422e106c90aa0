/**
 * What one connection may cost the bridge: how many frames and bytes it may send per second
 * (token buckets), how long it may stay over that budget before it is closed, how many unsent
 * bytes the server holds for it before replies are dropped and how long before it is closed as
 * a client that does not read, and how many policy runs the server starts at once across all
 * connections. docs/bridge-protocol.md ("Fairness and back-pressure") states the bounds these
 * give; docs/security.md lists them with the other limits.
 */
import { MAX_PAYLOAD_BYTES } from './protocol.ts';

/** Per-connection traffic limits (defaults: `DEFAULT_TRAFFIC_LIMITS`). */
export interface TrafficLimits {
  /** Frames a connection may send per second, sustained (token bucket refill rate). */
  framesPerS: number;
  /** Frames it may send at once beyond that rate (bucket size). */
  frameBurst: number;
  /** Payload bytes a connection may send per second, sustained. */
  bytesPerS: number;
  /** Payload bytes it may send at once (bucket size; at least one largest message). */
  byteBurst: number;
  /** Error replies a connection may cause per second, sustained; past it its frames are dropped unread (throttled, not closed). */
  errorsPerS: number;
  /** Error replies it may cause at once (bucket size). */
  errorBurst: number;
  /** A connection that keeps exceeding its budget this long (no second without a dropped frame) is closed with 1008. */
  abuseCloseMs: number;
  /** Unsent bytes the server holds for one connection; a reply that would go past this is dropped. */
  maxBufferedBytes: number;
  /** A connection whose unsent bytes stay above half of `maxBufferedBytes` this long after a dropped reply is closed with 1008. */
  slowReaderMs: number;
  /** Policy runs the server starts at once, taken round-robin from the connections' queues. */
  maxConcurrentRuns: number;
  /** Server log lines one connection may cause per second (burst 5 s worth); the rest are counted in one line. */
  logLinesPerS: number;
}

/**
 * Defaults: 2000 frames/s (burst 2000) and 2 MiB/s (burst 1 MiB) per connection — twice what
 * a 1 kHz controller sending 48-number JSON observations needs; 200 error replies/s (burst
 * 2000) — a controller is answered with an error rarely, a flood of malformed frames always,
 * and an error reply costs the server about as much as an action; closed after 5 s over budget;
 * 256 KiB of unsent replies (thousands of replies, seconds of commands) and 1 s at that bound
 * before a client that does not read is closed; 16 policy runs started at once; 20 log lines a
 * second per connection.
 */
export const DEFAULT_TRAFFIC_LIMITS: Readonly<TrafficLimits> = {
  framesPerS: 2000,
  frameBurst: 2000,
  bytesPerS: 2 * 1024 * 1024,
  byteBurst: 1024 * 1024,
  errorsPerS: 200,
  errorBurst: 2000,
  abuseCloseMs: 5000,
  maxBufferedBytes: 256 * 1024,
  slowReaderMs: 1000,
  maxConcurrentRuns: 16,
  logLinesPerS: 20,
};

/** Smallest `maxBufferedBytes` accepted: room for several of the largest replies (a welcome). */
const MIN_BUFFERED_BYTES = 16 * 1024;

/**
 * The defaults with `overrides` applied, checked: unknown keys and values that are not positive
 * finite numbers are errors naming the key; a byte burst below one largest message, or a send
 * bound below `MIN_BUFFERED_BYTES`, would refuse legitimate traffic and is an error too.
 */
export function trafficLimits(overrides: Readonly<Partial<TrafficLimits>> = {}): TrafficLimits {
  const out: TrafficLimits = { ...DEFAULT_TRAFFIC_LIMITS };
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(DEFAULT_TRAFFIC_LIMITS, key)) throw new Error(`traffic limits: unknown key ${key} (known: ${Object.keys(DEFAULT_TRAFFIC_LIMITS).join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`traffic limits: ${key} must be a positive finite number, got ${String(value)}`);
    out[key as keyof TrafficLimits] = value;
  }
  if (!Number.isInteger(out.maxConcurrentRuns)) throw new Error(`traffic limits: maxConcurrentRuns must be an integer, got ${out.maxConcurrentRuns}`);
  for (const k of ['frameBurst', 'errorBurst'] as const) {
    if (out[k] < 1) throw new Error(`traffic limits: ${k} must be at least 1, got ${out[k]}`);
  }
  if (out.byteBurst < MAX_PAYLOAD_BYTES) throw new Error(`traffic limits: byteBurst must be at least the largest message (${MAX_PAYLOAD_BYTES} bytes), got ${out.byteBurst}`);
  if (out.maxBufferedBytes < MIN_BUFFERED_BYTES) throw new Error(`traffic limits: maxBufferedBytes must be at least ${MIN_BUFFERED_BYTES}, got ${out.maxBufferedBytes}`);
  return out;
}
