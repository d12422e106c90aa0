/**
 * The config layer calibration writes for `sim2real train --config`: a `dr` section whose ranges
 * are centred on the fitted values, so the next training run randomizes around the robot as it
 * is rather than around a guess. The half-width of each range is the larger of
 * `CALIBRATED_WIDTH.uncertainties` × the fit's uncertainty and `CALIBRATED_WIDTH.relative` × the
 * value's magnitude (at least `CALIBRATED_WIDTH.floor`), kept inside the parameter's limits;
 * an integer parameter's range is whole numbers around its value, [v, v] when the folds agreed.
 */
import { DR_PARAMS, type DrParam } from '../task/randomization_params.ts';
import type { FittedParam } from './fit.ts';

/** How wide the calibrated ranges are (see the file comment). */
export const CALIBRATED_WIDTH = { uncertainties: 2, relative: 0.05, floor: 1e-3 } as const;

/** The range `[lo, hi]` centred on a fitted value. */
export function calibratedRange(p: DrParam, f: Pick<FittedParam, 'value' | 'uncertainty'>): [number, number] {
  const d = DR_PARAMS[p];
  const W = CALIBRATED_WIDTH;
  if (d.integer) {
    const v = Math.round(f.value), half = Math.ceil(W.uncertainties * f.uncertainty - 1e-9);
    return [Math.max(d.limits[0], v - half), Math.min(d.limits[1], v + half)];
  }
  const half = Math.max(W.uncertainties * f.uncertainty, W.relative * Math.abs(f.value), W.floor);
  const lo = Math.max(d.limits[0], f.value - half), hi = Math.min(d.limits[1], f.value + half);
  return [round6(lo), round6(hi)];
}

/** The layer `{ "dr": { <param>: [lo, hi], … } }` for the fitted parameters. */
export function calibrationLayer(fitted: Readonly<Record<string, Pick<FittedParam, 'value' | 'uncertainty'>>>): { dr: Record<string, [number, number]> } {
  const dr: Record<string, [number, number]> = {};
  for (const [p, f] of Object.entries(fitted)) dr[p] = calibratedRange(p as DrParam, f);
  return { dr };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
