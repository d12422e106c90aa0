/**
 * Learning-rate schedules: fixed, linear annealing over the run's planned iterations (CleanRL),
 * or adaptive on the measured KL divergence (rsl_rl: ÷1.5 above 2× the target, ×1.5 below half
 * of it, kept in [1e-5, 1e-2]).
 */

/** Which schedule (`lr_schedule` in the PPO config). */
export type LrScheduleKind = 'fixed' | 'linear' | 'adaptive';

/** Bounds of the adaptive schedule (rsl_rl's constants). */
const ADAPTIVE_LR_BOUNDS = { min: 1e-5, max: 1e-2 } as const;

/** Serializable schedule state. */
export interface LrScheduleState {
  /** The learning rate in effect (the adaptive schedule's memory). */
  lr: number;
}

/** The learning rate over a run. */
export class LrSchedule {
  private lr: number;

  constructor(readonly kind: LrScheduleKind, readonly initialLr: number, readonly totalIterations: number, readonly desiredKl: number) {
    this.lr = initialLr;
  }

  /** The rate in effect now. */
  get current(): number {
    return this.lr;
  }

  /** Sets and returns the rate for 0-based `iteration` (linear: lr₀·(1 − iteration/total), floored at 0). */
  beginIteration(iteration: number): number {
    if (this.kind === 'linear') this.lr = this.initialLr * Math.max(0, 1 - iteration / this.totalIterations);
    return this.lr;
  }

  /** Adaptive only: adjusts the rate from one minibatch's KL estimate and returns it. */
  observeKl(kl: number): number {
    if (this.kind !== 'adaptive' || !Number.isFinite(kl)) return this.lr;
    if (kl > 2 * this.desiredKl) this.lr = Math.max(ADAPTIVE_LR_BOUNDS.min, this.lr / 1.5);
    else if (kl < this.desiredKl / 2 && kl > 0) this.lr = Math.min(ADAPTIVE_LR_BOUNDS.max, this.lr * 1.5);
    return this.lr;
  }

  getState(): LrScheduleState {
    return { lr: this.lr };
  }

  setState(s: LrScheduleState): void {
    this.lr = s.lr;
  }
}
