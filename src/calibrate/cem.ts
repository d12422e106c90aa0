/**
 * The cross-entropy method over a box of continuous parameters and ranges of whole numbers: a
 * derivative-free optimizer that suits fitting a simulator, where one evaluation is a batch of
 * rollouts run together and the loss has no gradient. Each generation samples a population —
 * continuous dimensions from a diagonal Gaussian over the box, clipped to it; integer dimensions
 * from a categorical distribution over their values — and moves the distribution towards the
 * elite fraction with the lowest losses. Integers are never rounded from a continuous draw, so
 * a latency of 1 step and one of 2 are separate categories whose probabilities the elites set.
 */
import { Rng } from '../task/rng.ts';

/** One dimension of the search: a continuous interval or the whole numbers in `[lo, hi]`. */
export interface CemDim {
  lo: number;
  hi: number;
  integer: boolean;
}

/** Settings of the method; the defaults suit a handful of dimensions. */
export interface CemConfig {
  /** Candidates per generation. */
  population: number;
  /** Fraction of the population kept as elites (at least 2 candidates). */
  eliteFraction: number;
  /** Initial standard deviation of the continuous dimensions, as a fraction of the box width. */
  initialStd: number;
  /** Weight of the elites' statistics in each update (1: replace). */
  smoothing: number;
  /** Extra variance (fraction of the box width, squared) added at generation 0, decaying as 1/(g+1)² so the search does not collapse early. */
  extraNoise: number;
  /** Share of each integer dimension's probability spread uniformly over its values at every update. */
  integerFloor: number;
  seed: number;
}

/** Defaults for `CemConfig`. */
export const CEM_DEFAULTS: CemConfig = { population: 16, eliteFraction: 0.25, initialStd: 0.3, smoothing: 0.8, extraNoise: 0.01, integerFloor: 0.1, seed: 1 };

/** A cross-entropy-method search: `ask` a population, `tell` its losses, repeat; `best()` is the current estimate. */
export class CrossEntropySearch {
  readonly cfg: CemConfig;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  /** Per integer dimension: probability of each value lo..hi. */
  private readonly probs: Float64Array[];
  private readonly rng: Rng;
  private asked: number[][] = [];
  private generation = 0;
  /** The lowest loss told so far and its candidate. */
  bestSeen: { x: number[]; loss: number } = { x: [], loss: Infinity };

  constructor(readonly dims: readonly CemDim[], cfg: Partial<CemConfig> = {}) {
    this.cfg = { ...CEM_DEFAULTS, ...cfg };
    if (!(this.cfg.population >= 4)) throw new Error(`cem: population must be at least 4, got ${this.cfg.population}`);
    for (const d of dims) {
      if (!(d.hi >= d.lo) || !Number.isFinite(d.lo) || !Number.isFinite(d.hi)) throw new Error(`cem: bad interval [${d.lo}, ${d.hi}]`);
      if (d.integer && (!Number.isInteger(d.lo) || !Number.isInteger(d.hi))) throw new Error(`cem: integer dimension needs whole bounds, got [${d.lo}, ${d.hi}]`);
    }
    this.rng = new Rng(this.cfg.seed, 0);
    this.mean = Float64Array.from(dims, (d) => (d.integer ? 0 : (d.lo + d.hi) / 2));
    this.std = Float64Array.from(dims, (d) => (d.integer ? 0 : this.cfg.initialStd * (d.hi - d.lo)));
    this.probs = dims.map((d) => (d.integer ? new Float64Array(d.hi - d.lo + 1).fill(1 / (d.hi - d.lo + 1)) : new Float64Array(0)));
  }

  /** Starts the continuous dimensions' mean at `x` (e.g. the nominal values) instead of the box centre. */
  startAt(x: readonly number[]): void {
    this.dims.forEach((d, j) => {
      if (!d.integer) this.mean[j] = Math.min(d.hi, Math.max(d.lo, x[j] as number));
    });
  }

  /** The next population, `population` candidates each with one value per dimension. */
  ask(): number[][] {
    this.asked = Array.from({ length: this.cfg.population }, () => this.dims.map((d, j) => (d.integer ? this.drawInteger(j) : this.drawContinuous(j))));
    return this.asked.map((x) => [...x]);
  }

  /** The losses of the population just asked for, in its order (non-finite counts as worst). */
  tell(losses: readonly number[]): void {
    const P = this.asked.length;
    if (losses.length !== P) throw new Error(`cem: ${losses.length} losses for a population of ${P}`);
    const clean = losses.map((l) => (Number.isFinite(l) ? l : Infinity));
    const order = clean.map((_, i) => i).sort((a, b) => (clean[a] as number) - (clean[b] as number));
    const first = order[0] as number;
    if ((clean[first] as number) < this.bestSeen.loss) this.bestSeen = { x: [...(this.asked[first] as number[])], loss: clean[first] as number };
    const elites = order.slice(0, Math.max(2, Math.round(this.cfg.eliteFraction * P))).map((i) => this.asked[i] as number[]);
    const a = this.cfg.smoothing;
    const extra = this.cfg.extraNoise / (this.generation + 1) ** 2;
    this.dims.forEach((d, j) => {
      if (d.integer) {
        const p = this.probs[j] as Float64Array;
        const freq = new Float64Array(p.length);
        for (const e of elites) freq[(e[j] as number) - d.lo]! += 1 / elites.length;
        // a floor of uniform probability keeps every value in play: an integer that lost early, while the continuous dimensions were still far off, can come back
        const floor = this.cfg.integerFloor / p.length;
        for (let k = 0; k < p.length; k++) p[k] = (1 - this.cfg.integerFloor) * ((1 - a) * (p[k] as number) + a * (freq[k] as number)) + floor;
        return;
      }
      const m = elites.reduce((s, e) => s + (e[j] as number), 0) / elites.length;
      const v = elites.reduce((s, e) => s + ((e[j] as number) - m) ** 2, 0) / elites.length;
      const w = d.hi - d.lo;
      this.mean[j] = (1 - a) * (this.mean[j] as number) + a * m;
      this.std[j] = Math.sqrt((1 - a) * (this.std[j] as number) ** 2 + a * v + extra * w * w);
    });
    this.generation++;
  }

  /** The current estimate: the continuous means and each integer dimension's most probable value. */
  best(): number[] {
    return this.dims.map((d, j) => {
      if (!d.integer) return this.mean[j] as number;
      const p = this.probs[j] as Float64Array;
      let k = 0;
      for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[k] as number)) k = i;
      return d.lo + k;
    });
  }

  /** The continuous dimensions' current standard deviations (0 for integer dimensions). */
  spread(): number[] {
    return Array.from(this.std);
  }

  private drawContinuous(j: number): number {
    const d = this.dims[j] as CemDim;
    const x = (this.mean[j] as number) + (this.std[j] as number) * this.rng.normal();
    return Math.min(d.hi, Math.max(d.lo, x));
  }

  private drawInteger(j: number): number {
    const d = this.dims[j] as CemDim;
    const p = this.probs[j] as Float64Array;
    let u = this.rng.next();
    for (let k = 0; k < p.length; k++) {
      u -= p[k] as number;
      if (u < 0) return d.lo + k;
    }
    return d.hi;
  }
}

/**
 * Minimizes `f` over `dims` with `generations` generations of the cross-entropy method; returns
 * the final estimate, its loss and the best candidate seen.
 */
export async function minimizeCem(f: (xs: number[][]) => number[] | Promise<number[]>, dims: readonly CemDim[], generations: number, cfg: Partial<CemConfig> = {}): Promise<{ x: number[]; loss: number; bestSeen: { x: number[]; loss: number } }> {
  const s = new CrossEntropySearch(dims, cfg);
  for (let g = 0; g < generations; g++) s.tell(await f(s.ask()));
  const x = s.best();
  const [loss] = await f([x]);
  return { x, loss: loss as number, bestSeen: s.bestSeen };
}
