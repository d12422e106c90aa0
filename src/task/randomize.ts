/**
 * Domain randomization: the ranges a task trains under, and the per-env sample drawn from the
 * env's seeded RNG at every reset. The parameters are declared once, in `DR_PARAMS`
 * (`randomization_params.ts`); the types, key lists, limits and nominal values here are derived
 * from it. Ranges come from the task file and can be overridden from a JSON config or
 * `--set dr.friction=0.4,1.2`; `--no-randomize` replaces every range by its nominal value
 * (`effectiveRanges`, the one place that choice is made). Samples are flat numbers in `DR_KEYS`
 * order so they fit a shared buffer and the viewer and eval can read what each env got.
 */
import type { Rng } from './rng.ts';
import { DR_PARAMS, type DrKey, type DrParam, type DrParamDecl } from './randomization_params.ts';

export { DR_PARAMS, type DrKey, type DrParam, type DrParamDecl } from './randomization_params.ts';

/** An inclusive `[lo, hi]` range; `lo === hi` fixes the value. */
export type Range = [number, number];

/** The randomization ranges of a task: one range per declared parameter. */
export type DomainRandomization = Record<DrParam, Range>;

/** What one env got at its last reset. */
export type DrSample = Record<DrKey, number>;

/** The declarations seen through their common shape (optional fields readable on every entry). */
const DECLS: Readonly<Record<DrParam, DrParamDecl>> = DR_PARAMS;

/** The range keys in declaration (draw) order, for listing and for closed-config checks. */
export const DR_RANGE_KEYS: readonly DrParam[] = Object.keys(DR_PARAMS) as DrParam[];

/** One sample key as a display labels it. */
export interface DrSampleLabel {
  name: DrKey;
  unit: string;
  description: string;
  /** The range key the value is drawn from, or null for a value derived from several (gravity's components). */
  drawnFrom: DrParam | null;
}

/** The sample keys parameter `p` writes, in packing order: its own draw unless `sampled: false`, then its derived values. */
function labelsOf(p: DrParam): DrSampleLabel[] {
  const d = DECLS[p];
  const own: DrSampleLabel[] = d.sampled === false ? [] : [{ name: p as DrKey, unit: d.unit, description: d.description, drawnFrom: p }];
  const derived = d.derived;
  if (!derived) return own;
  return [...own, ...derived.keys.map((k) => ({ name: k as DrKey, unit: derived.unit, description: derived.description, drawnFrom: null }))];
}

const LABELS: readonly DrSampleLabel[] = DR_RANGE_KEYS.flatMap(labelsOf);

/** Sample keys in their flat (packing) order. */
export const DR_KEYS: readonly DrKey[] = LABELS.map((l) => l.name);

/** Labels of the sample keys, in `DR_KEYS` order (the viewer's DR panel shows these). */
export function sampleLabels(): DrSampleLabel[] {
  return LABELS.map((l) => ({ ...l }));
}

/** Nominal values (what `--no-randomize` uses). Copy it before changing anything. */
export const NOMINAL: DomainRandomization = nominalRanges();

/** A fresh copy of the nominal ranges. */
export function nominalRanges(): DomainRandomization {
  return Object.fromEntries(DR_RANGE_KEYS.map((k) => [k, [DECLS[k].nominal, DECLS[k].nominal]])) as DomainRandomization;
}

/**
 * Validates a full or partial set of ranges; unknown keys and out-of-bounds values are errors
 * naming the key and its limits. Returns the ranges merged over `base`.
 */
export function resolveRandomization(base: DomainRandomization, overrides: Record<string, unknown> = {}): DomainRandomization {
  const out: DomainRandomization = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(DR_PARAMS, key)) throw new Error(`dr.${key}: unknown randomization key (known: ${DR_RANGE_KEYS.join(', ')})`);
    out[key as DrParam] = parseRange(`dr.${key}`, value);
  }
  for (const key of DR_RANGE_KEYS) checkRange(`dr.${key}`, out[key], DECLS[key]);
  return out;
}

/**
 * The ranges envs sample from: `overrides` validated and merged over `base` (also when
 * randomization is off, so a typo is an error either way), or, when `randomize` is false,
 * every parameter at its nominal value. The one place the `--no-randomize` choice is made.
 */
export function effectiveRanges(base: DomainRandomization, opts: { randomize: boolean; overrides?: Record<string, unknown> }): DomainRandomization {
  const ranges = resolveRandomization(base, opts.overrides ?? {});
  return opts.randomize ? ranges : nominalRanges();
}

/**
 * A range from typed values: `[lo, hi]`, `[v]` or a single number `v` (the command line types
 * its `"lo,hi"` strings before they get here).
 */
export function parseRange(field: string, value: unknown): Range {
  const v = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(v) || v.length === 0 || v.length > 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${field}: expected a number or a range [lo, hi], got ${JSON.stringify(value)}`);
  }
  const lo = v[0] as number;
  const hi = (v.length === 2 ? v[1] : v[0]) as number;
  return [lo, hi];
}

function checkRange(field: string, r: Range, d: DrParamDecl): void {
  const [lo, hi] = r;
  const [min, max] = d.limits;
  const unit = d.unit ? ` ${d.unit}` : '';
  if (!(lo <= hi)) throw new Error(`${field}: lower bound ${lo} is above upper bound ${hi}`);
  if (lo < min || hi > max) throw new Error(`${field}: [${lo}, ${hi}] is outside the allowed [${min}, ${max}]${unit}`);
  if (d.integer && (!Number.isInteger(lo) || !Number.isInteger(hi))) throw new Error(`${field}: must be whole numbers, got [${lo}, ${hi}]`);
}

/**
 * Draws one env's sample: each parameter in declaration order (a fixed range draws nothing),
 * then its derived values. The draw order is fixed, so a seed always gives the same sample.
 */
export function sampleRandomization(dr: DomainRandomization, rng: Rng): DrSample {
  const drawn: Record<string, number> = {};
  const out: Record<string, number> = {};
  for (const key of DR_RANGE_KEYS) {
    const d = DECLS[key];
    const [lo, hi] = dr[key];
    const v = lo === hi ? lo : d.integer ? rng.int(lo, hi) : rng.uniform(lo, hi);
    drawn[key] = v;
    if (d.sampled !== false) out[key] = v;
    if (d.derived) {
      const values = d.derived.compute(drawn, rng);
      d.derived.keys.forEach((k, i) => (out[k] = values[i] as number));
    }
  }
  return out as DrSample;
}

/**
 * Throws naming the key when a sample value is not finite, or a drawn value lies outside its
 * parameter's limits or is fractional where whole numbers are declared: what the simulator
 * checks before applying a sample that may not come from `sampleRandomization`.
 */
export function checkSample(s: DrSample): void {
  const bad = (key: string, v: number, why: string) => new Error(`randomization sample: ${key} = ${v}: ${why}`);
  for (const key of DR_KEYS) if (!Number.isFinite(s[key])) throw bad(key, s[key], 'must be finite');
  for (const key of DR_RANGE_KEYS) {
    const d = DECLS[key];
    if (d.sampled === false) continue;
    const v = s[key as DrKey];
    const [min, max] = d.limits;
    if (v < min || v > max) throw bad(key, v, `outside the allowed [${min}, ${max}]${d.unit ? ` ${d.unit}` : ''}`);
    if (d.integer && !Number.isInteger(v)) throw bad(key, v, 'must be a whole number');
  }
}

/** One parameter as `sim2real envs --json` lists it: its declaration and a task's range. */
export interface DrParamInfo {
  name: DrParam;
  unit: string;
  description: string;
  /** The range envs sample from. */
  range: Range;
  /** Bounds any range must stay inside. */
  limits: Range;
  /** The value with `--no-randomize`. */
  nominal: number;
  integer: boolean;
}

/** Every parameter's declaration with its range in `dr`, in declaration order. */
export function describeRanges(dr: DomainRandomization): DrParamInfo[] {
  return DR_RANGE_KEYS.map((name) => {
    const d = DECLS[name];
    return { name, unit: d.unit, description: d.description, range: [dr[name][0], dr[name][1]], limits: [d.limits[0], d.limits[1]], nominal: d.nominal, integer: d.integer };
  });
}

/** Writes a sample into `out` at `offset` in `DR_KEYS` order. */
export function packSample(s: DrSample, out: Float64Array | Float32Array, offset: number): void {
  for (let i = 0; i < DR_KEYS.length; i++) out[offset + i] = s[DR_KEYS[i] as DrKey];
}

/** Reads a sample written by `packSample`. */
export function unpackSample(buf: Float64Array | Float32Array, offset: number): DrSample {
  const s = {} as DrSample;
  for (let i = 0; i < DR_KEYS.length; i++) s[DR_KEYS[i] as DrKey] = buf[offset + i] as number;
  return s;
}
