/**
 * The safety layer between a policy and one robot's motors: it rejects observations that are
 * not finite, out of range or stale, clamps every command to the robot's limits and
 * rate-limits its changes, runs a watchdog that falls back to the robot's safe command when
 * observations stop, and latches an e-stop until an explicit reset. Every intervention is
 * counted. Pure and clock-injected: no sockets, no timers, so it can run next to the motors.
 */
import type { SafeCommand, SafetyCounters, SafetyState } from './protocol.ts';

/** What the safety layer enforces, in command units (docs/bridge-protocol.md, "Safety"). */
export interface SafetyLimits {
  /** Lowest and highest command per joint (position limits or ±effort limit; ±Infinity: none). */
  lower: readonly number[];
  upper: readonly number[];
  /** Largest change of each joint's command from one answered observation to the next. */
  maxStep: readonly number[];
  /** Observations whose magnitude exceeds this (observed units) are rejected. */
  maxAbsObservation: number;
  /** Watchdog: longest time without a valid observation before the safe command (ms). */
  timeoutMs: number;
  /** The robot's safe command. */
  safe: SafeCommand;
}

/** A milliseconds clock (monotonic in production, a fake one in tests). */
export type Clock = () => number;

/** Why an observation was refused. */
export interface ObsVerdict {
  ok: boolean;
  /** `stale` (seq not newer), `non_finite` or `out_of_range`; empty when ok. */
  reason: '' | 'stale' | 'non_finite' | 'out_of_range';
  /** Index of the offending number (−1 for stale or ok). */
  index: number;
}

/** Result of `limitCommand`. */
export interface LimitResult {
  /** True when any number was changed. */
  limited: boolean;
}

/** One connection's safety state machine: idle → running ⇄ watchdog, any → estopped → (reset) idle. */
export class SafetyLayer {
  private mode: SafetyState = 'idle';
  private lastValidMs = 0;
  private lastSeq = -1;
  private readonly last: Float64Array;
  private hasLast = false;
  /** Counters of every intervention since creation. */
  readonly counters: SafetyCounters = {
    rejected_obs: 0, stale_obs: 0, clamped_commands: 0, rate_limited_commands: 0, watchdog_trips: 0, estops: 0, safe_commands: 0,
  };

  constructor(readonly limits: SafetyLimits, private readonly clock: Clock) {
    const n = limits.safe.command.length;
    if (limits.lower.length !== n || limits.upper.length !== n || limits.maxStep.length !== n) {
      throw new Error(`safety limits: lower, upper, maxStep and the safe command must have one entry per joint (${n})`);
    }
    this.last = new Float64Array(n);
  }

  /** Current state. */
  get state(): SafetyState {
    return this.mode;
  }

  /** Total interventions (the sum of the counters). */
  get interventions(): number {
    return Object.values(this.counters).reduce((a, b) => a + b, 0);
  }

  /**
   * Checks an observation with sequence number `seq` (must increase); a refusal is counted.
   * A valid one feeds the watchdog; whether to act on it is `mayAct`'s decision.
   */
  checkObservation(obs: ArrayLike<number>, seq: number): ObsVerdict {
    if (seq <= this.lastSeq) {
      this.counters.stale_obs++;
      return { ok: false, reason: 'stale', index: -1 };
    }
    const lim = this.limits.maxAbsObservation;
    for (let i = 0; i < obs.length; i++) {
      const v = obs[i] as number;
      if (!Number.isFinite(v)) return this.reject('non_finite', i);
      if (Math.abs(v) > lim) return this.reject('out_of_range', i);
    }
    this.lastSeq = seq;
    this.lastValidMs = this.clock();
    if (this.mode === 'idle' || this.mode === 'watchdog') this.mode = 'running';
    return { ok: true, reason: '', index: -1 };
  }

  /** True when a policy action may be sent now (not e-stopped). */
  mayAct(): boolean {
    return this.mode === 'running';
  }

  /**
   * Clamps `command` in place to the joint limits and to at most `maxStep` away from the last
   * command sent (the safe command after a watchdog trip or reset); a non-finite number becomes
   * the safe command's. Counts what it changed.
   * Call only for commands about to be sent.
   */
  limitCommand(command: Float64Array | number[]): LimitResult {
    const { lower, upper, maxStep } = this.limits;
    let clamped = false, rated = false;
    for (let j = 0; j < command.length; j++) {
      let v = command[j] as number;
      if (!Number.isFinite(v)) {
        v = this.limits.safe.command[j] as number;
        clamped = true;
      }
      const lo = lower[j] as number, hi = upper[j] as number;
      if (v < lo || v > hi) {
        v = v < lo ? lo : hi;
        clamped = true;
      }
      if (this.hasLast) {
        const prev = this.last[j] as number, step = maxStep[j] as number;
        if (v > prev + step || v < prev - step) {
          v = v > prev + step ? prev + step : prev - step;
          rated = true;
        }
      }
      command[j] = v;
      this.last[j] = v;
    }
    this.hasLast = true;
    if (clamped) this.counters.clamped_commands++;
    if (rated) this.counters.rate_limited_commands++;
    return { limited: clamped || rated };
  }

  /** The safe command, recorded as the last command sent (rate limiting restarts from it); counted. */
  safeCommand(): number[] {
    this.counters.safe_commands++;
    this.last.set(this.limits.safe.command);
    this.hasLast = true;
    return [...this.limits.safe.command];
  }

  /**
   * Watchdog check at the current time: true exactly once per trip, when the connection was
   * running and no valid observation came within `timeoutMs`; the caller then sends the safe command.
   */
  tick(): boolean {
    if (this.mode !== 'running') return false;
    if (this.clock() - this.lastValidMs <= this.limits.timeoutMs) return false;
    this.mode = 'watchdog';
    this.counters.watchdog_trips++;
    return true;
  }

  /**
   * Latches the e-stop: no policy action until `reset`. `count` is false when this layer follows
   * an e-stop another connection sent (counted there, once).
   */
  estop(count = true): void {
    if (this.mode !== 'estopped' && count) this.counters.estops++;
    this.mode = 'estopped';
  }

  /** Clears an e-stop (or a watchdog trip): back to idle, waiting for a fresh valid observation. */
  reset(): void {
    if (this.mode === 'estopped' || this.mode === 'watchdog') this.mode = 'idle';
  }

  private reject(reason: 'non_finite' | 'out_of_range', index: number): ObsVerdict {
    this.counters.rejected_obs++;
    return { ok: false, reason, index };
  }
}
