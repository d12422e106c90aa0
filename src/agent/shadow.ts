/**
 * Shadow mode: a candidate version runs on the observations the active version answers, after
 * the active version's reply has gone out, and its commands go nowhere. The run counts how far
 * its commands are from the active ones per joint (mean and max absolute difference, command
 * units) and how often the safety layer would have changed them (a `SafetyLayer` of its own,
 * with the robot's limits, fed the candidate's commands). At most one candidate inference is in
 * flight: an observation arriving while it runs is skipped and counted, so the shadow can never
 * queue work in front of the control loop.
 */
import { performance } from 'node:perf_hooks';
import { SafetyLayer, type SafetyLimits } from '../bridge/safety.ts';
import { percentile } from '../bridge/stats.ts';
import type { LoadedVersion } from './loaded_version.ts';

/** Latency samples kept for the report's percentiles. */
const MAX_LATENCY_SAMPLES = 10_000;

/** What a shadow run found. */
export interface ShadowReport {
  version: number;
  /** Seconds it ran. */
  seconds: number;
  /** Observations the candidate ran on. */
  steps: number;
  /** Observations it skipped because its previous run was still going. */
  skipped: number;
  /** Candidate runs that failed. */
  errors: number;
  /** Per joint, in command units: mean and largest |candidate − active|. */
  joints: { name: string; mean_abs_diff: number; max_abs_diff: number }[];
  /** Candidate commands the safety layer would have changed (clamped or rate-limited). */
  would_intervene: number;
  would_intervene_fraction: number;
  /** Candidate inference time (ms). */
  latency_ms_p50: number;
  latency_ms_p99: number;
}

/** One candidate in shadow. */
export class ShadowRun {
  private steps = 0;
  private skipped = 0;
  private errors = 0;
  private busy = false;
  private readonly sum: Float64Array;
  private readonly max: Float64Array;
  private readonly safety: SafetyLayer;
  private readonly latencies: number[] = [];
  private readonly startMs = performance.now();
  private endMs: number | null = null;
  /** Candidate commands the safety layer changed. */
  private interventions = 0;

  constructor(readonly candidate: LoadedVersion, limits: SafetyLimits, private readonly jointNames: readonly string[]) {
    this.sum = new Float64Array(jointNames.length);
    this.max = new Float64Array(jointNames.length);
    this.safety = new SafetyLayer(limits, () => performance.now());
  }

  /** The active version answered `obs` with `active` (commands): run the candidate on it after the reply went out. */
  offer(obs: Float32Array, active: Float32Array): void {
    if (this.endMs !== null) return;
    if (this.busy) {
      this.skipped++;
      return;
    }
    this.busy = true;
    const x = Float32Array.from(obs), a = Float32Array.from(active);
    setImmediate(() => void this.compare(x, a));
  }

  /** Stops taking observations and reports. */
  finish(): ShadowReport {
    this.endMs ??= performance.now();
    const n = this.steps;
    return {
      version: this.candidate.version, seconds: (this.endMs - this.startMs) / 1000, steps: n, skipped: this.skipped, errors: this.errors,
      joints: this.jointNames.map((name, k) => ({ name, mean_abs_diff: n ? this.sum[k]! / n : 0, max_abs_diff: this.max[k]! })),
      would_intervene: this.interventions,
      would_intervene_fraction: n ? this.interventions / n : 0,
      latency_ms_p50: percentile(this.latencies, 0.5), latency_ms_p99: percentile(this.latencies, 0.99),
    };
  }

  private async compare(obs: Float32Array, active: Float32Array): Promise<void> {
    const t0 = performance.now();
    try {
      const cmd = await this.candidate.commands(obs);
      if (this.endMs !== null) return;
      if (this.latencies.length < MAX_LATENCY_SAMPLES) this.latencies.push(performance.now() - t0);
      for (let k = 0; k < cmd.length; k++) {
        const d = Math.abs(cmd[k]! - active[k]!);
        this.sum[k] = this.sum[k]! + d;
        if (!(d <= this.max[k]!)) this.max[k] = d;
      }
      if (this.safety.limitCommand(Array.from(cmd)).limited) this.interventions++;
      this.steps++;
    } catch {
      this.errors++;
    } finally {
      this.busy = false;
    }
  }
}
