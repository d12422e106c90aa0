/**
 * How high a legged robot carries its base while a policy drives it: the mean height of the
 * root link's frame above the ground over each env's first episode, after a settling time,
 * against the nominal standing height of the robot contract's `locomotion` section. A policy
 * that tracks its commands crouched (the trunk far below nominal) shows here; model cards
 * report it. Episode-loop hooks, so it runs alongside command tracking and recording.
 */
import type { AnyEnvGroup } from './env_group.ts';
import type { EpisodeHooks } from './episodes.ts';

/** What `BaseHeightMeter.result` reports; the mean and ratio are NaN when no step was measured. */
export interface BaseHeightResult {
  /** Mean base height over the measured steps of all envs, m. */
  mean_m: number;
  /** The contract's `locomotion.nominal_base_height_m`. */
  nominal_m: number;
  /** mean_m / nominal_m. */
  ratio: number;
  /** Steps within this long after a reset were not measured, s. */
  settle_s: number;
  measured_steps: number;
}

/** Measures the base height of every env still in its first episode, before each step once `settleS` has passed. */
export class BaseHeightMeter implements EpisodeHooks {
  private settleSteps = 0;
  private step = 0;
  private sum = 0;
  private count = 0;
  private nominalM = NaN;
  private readonly base = new Float64Array(13);

  constructor(private readonly settleS: number) {
    if (!(settleS >= 0) || !Number.isFinite(settleS)) throw new Error(`settling time must be a finite number of seconds >= 0, got ${settleS}`);
  }

  onStart(group: AnyEnvGroup): void {
    const loco = group.spec.locomotion;
    if (!loco) throw new Error(`robot ${group.spec.name} has no locomotion section: no nominal base height to measure against`);
    this.nominalM = loco.nominal_base_height_m;
    this.settleSteps = Math.ceil(this.settleS / group.spec.control_dt_s - 1e-9);
  }

  beforeStep(group: AnyEnvGroup, counting: Uint8Array): void {
    if (this.step++ < this.settleSteps) return;
    for (let i = 0; i < counting.length; i++) {
      if (!counting[i]) continue;
      const robot = group.robot(i);
      robot.readBase(this.base);
      // readBase is relative to the env origin; the ground's top is at world z = 0
      this.sum += (this.base[2] as number) + robot.origin[2];
      this.count++;
    }
  }

  /** The statistics of the loop that ran. */
  result(): BaseHeightResult {
    const mean = this.sum / this.count;
    return { mean_m: mean, nominal_m: this.nominalM, ratio: mean / this.nominalM, settle_s: this.settleS, measured_steps: this.count };
  }
}
