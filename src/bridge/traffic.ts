/**
 * The bridge's fairness and back-pressure, server-wide: the traffic limits, the inference
 * scheduler every connection's observations take turns in, a guard per socket, a periodic
 * sweep that closes connections which stopped reading, and the totals for `stats()`.
 */
import type { WebSocket } from 'ws';
import { ConnectionGuard, type GuardCloseCause } from './connection_guard.ts';
import type { BridgePolicy } from './control.ts';
import type { Clock } from './safety.ts';
import { InferenceScheduler } from './scheduler.ts';
import { trafficLimits, type TrafficLimits } from './traffic_limits.ts';

/** Traffic totals over every connection the server has had. */
export interface TrafficStats {
  /** Frames dropped unread because their connection was over its budget. */
  dropped_frames: number;
  /** Replies dropped because their connection's send buffer was full. */
  dropped_replies: number;
  /** Connections closed (1008) for staying over their frame budget. */
  rate_limit_closes: number;
  /** Connections closed (1008) for not reading their replies. */
  slow_reader_closes: number;
  /** The most unsent bytes any connection had right after a send. */
  peak_buffered_bytes: number;
  /** Policy runs started. */
  policy_runs: number;
  /** Server log lines left out because their connection was over its share of the log. */
  suppressed_log_lines: number;
}

/** Fairness and back-pressure for one server. */
export class TrafficControl {
  readonly limits: TrafficLimits;
  private readonly scheduler: InferenceScheduler;
  private readonly guards = new Set<ConnectionGuard>();
  private readonly closed: TrafficStats = { dropped_frames: 0, dropped_replies: 0, rate_limit_closes: 0, slow_reader_closes: 0, peak_buffered_bytes: 0, policy_runs: 0, suppressed_log_lines: 0 };

  constructor(policy: BridgePolicy, overrides: Readonly<Partial<TrafficLimits>> | undefined, private readonly clock: Clock) {
    this.limits = trafficLimits(overrides);
    this.scheduler = new InferenceScheduler(policy, this.limits.maxConcurrentRuns);
  }

  /** How often `sweep` should run (ms). */
  get sweepMs(): number {
    return Math.max(10, Math.min(1000, this.limits.slowReaderMs / 4));
  }

  /** A guard for the socket of `peer` (remote address:port); `log` is the server log. */
  open(ws: WebSocket, peer: string, log: (line: string) => void): ConnectionGuard {
    const g = new ConnectionGuard(ws, peer, this.scheduler.lane(), this.limits, this.clock, {
      log,
      closing: (cause: GuardCloseCause) => {
        if (cause === 'rate_limit') this.closed.rate_limit_closes++;
        else this.closed.slow_reader_closes++;
      },
    });
    this.guards.add(g);
    return g;
  }

  /** Forgets a guard whose socket closed, keeping its counts. */
  release(g: ConnectionGuard): void {
    if (!this.guards.delete(g)) return;
    g.dispose();
    this.closed.dropped_frames += g.budget.dropped;
    this.closed.dropped_replies += g.gate.dropped;
    this.closed.peak_buffered_bytes = Math.max(this.closed.peak_buffered_bytes, g.gate.peakBytes);
    this.closed.suppressed_log_lines += g.logs.suppressedTotal;
  }

  /** Closes every connection that has stopped reading its replies. */
  sweep(): void {
    for (const g of this.guards) g.check();
  }

  /** Totals, including closed connections. */
  stats(): TrafficStats {
    const s = { ...this.closed, policy_runs: this.scheduler.runs };
    for (const g of this.guards) {
      s.dropped_frames += g.budget.dropped;
      s.dropped_replies += g.gate.dropped;
      s.peak_buffered_bytes = Math.max(s.peak_buffered_bytes, g.gate.peakBytes);
      s.suppressed_log_lines += g.logs.suppressedTotal;
    }
    return s;
  }
}
