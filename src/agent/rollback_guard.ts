/**
 * Automatic rollback: for the first seconds after a version is activated, count how often the
 * safety layer has to step in for it — a command clamped or rate-limited, or the policy failing
 * on an observation — and call for a rollback once the count passes the threshold. Interventions
 * that are not the policy's doing (watchdog, e-stop, observations rejected as sensor faults) do
 * not count.
 */
import type { Decision } from '../bridge/control.ts';
import type { Clock } from '../bridge/safety.ts';

/** When to roll back on its own. */
export interface RollbackRule {
  /** How long after an activation its interventions are watched (s); 0 turns automatic rollback off. */
  windowS: number;
  /** More interventions than this within the window roll back. */
  maxTrips: number;
}

/** The agent's defaults: more than 10 interventions in the first 5 s. */
export const DEFAULT_ROLLBACK_RULE: Readonly<RollbackRule> = { windowS: 5, maxTrips: 10 };

/** A rollback the guard calls for. */
export interface RollbackCall {
  version: number;
  trips: number;
  afterS: number;
}

/** Watches one activation at a time. */
export class RollbackGuard {
  private watched: { version: number; sinceMs: number; trips: number } | null = null;

  constructor(readonly rule: Readonly<RollbackRule>, private readonly clock: Clock) {
    if (!(rule.windowS >= 0) || !Number.isInteger(rule.maxTrips) || rule.maxTrips < 0) throw new RangeError(`rollback rule: window ≥ 0 s and an integer threshold ≥ 0 expected, got ${rule.windowS} s, ${rule.maxTrips}`);
  }

  /** Starts watching `version` (just activated); replaces what was watched. */
  arm(version: number): void {
    this.watched = this.rule.windowS > 0 ? { version, sinceMs: this.clock(), trips: 0 } : null;
  }

  /** Stops watching (a rollback or another activation happened). */
  disarm(): void {
    this.watched = null;
  }

  /** What is watched now: version, interventions so far, seconds left. */
  state(): { version: number; trips: number; left_s: number } | null {
    const w = this.live();
    return w && { version: w.version, trips: w.trips, left_s: Math.max(0, this.rule.windowS - (this.clock() - w.sinceMs) / 1000) };
  }

  /** One control step answered by `version`; returns the rollback to make when this step passed the threshold. */
  onStep(version: number | null, d: Decision): RollbackCall | null {
    const w = this.live();
    if (!w || version !== w.version || !policyTrip(d)) return null;
    w.trips++;
    if (w.trips <= this.rule.maxTrips) return null;
    this.watched = null;
    return { version: w.version, trips: w.trips, afterS: (this.clock() - w.sinceMs) / 1000 };
  }

  private live(): { version: number; sinceMs: number; trips: number } | null {
    const w = this.watched;
    if (w && (this.clock() - w.sinceMs) / 1000 > this.rule.windowS) this.watched = null;
    return this.watched;
  }
}

/** The safety layer changed the policy's command, or the policy failed on a valid observation. */
function policyTrip(d: Decision): boolean {
  if (d.kind === 'action') return d.limited;
  return d.kind === 'error' && d.error.code === 'obs_rejected' && d.error.field === 'obs';
}
