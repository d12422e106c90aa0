/**
 * Configuration from the command line, typed once, here: a JSON file (`--config f.json`) and
 * repeated `--set key.path=value` flags become layers of typed values. A string is read by the
 * JSON type its key is declared with (`ConfigShape`): `--set ppo.learning_rate=3e-4` → 3e-4,
 * `--set ppo.actor_hidden=64,64` → [64, 64], `--set dr.friction=0.4,1.2` → [0.4, 1.2]. The
 * owners of the keys (PPO config, training config, randomization) then check typed values only:
 * an unknown key, a string that does not read as its type, or an out-of-range value is their
 * error, naming the key. Names that reach an object's prototype are refused here.
 */
import { readFileSync } from 'node:fs';
import { TRAIN_KEY_KINDS } from '../rl/config.ts';
import { PPO_PARAMS, type ValueKind } from '../rl/ppo_config.ts';
import { UsageError } from './common.ts';

/** A config layer: plain JSON objects, typed values at the leaves. */
export type Layer = Record<string, unknown>;

/** The JSON type of every key of a config: a kind per leaf, a nested shape per section; `'*'` stands for any key of its section. */
export interface ConfigShape {
  readonly [key: string]: ValueKind | ConfigShape;
}

/** Every randomization parameter is a range: `v` or `lo,hi` on the command line. */
export const DR_SHAPE: ConfigShape = { '*': 'numbers' };

/** The training config's shape: top-level keys, the `ppo` hyperparameters and the `dr` ranges. */
export const TRAIN_SHAPE: ConfigShape = {
  ...TRAIN_KEY_KINDS,
  ppo: Object.fromEntries(Object.entries(PPO_PARAMS).map(([k, spec]) => [k, spec.kind])),
  dr: DR_SHAPE,
};

/** Key names that would reach an object's prototype instead of a config key: never config keys. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** commander collector for a repeatable `--set k=v` option. */
export function collectSet(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--config` (if given) and the `--set` pairs as two typed layers, lowest first. */
export function configLayers(configFile: string | undefined, sets: readonly string[] = [], shape: ConfigShape): Layer[] {
  return [configFile ? readConfigFile(configFile, shape) : {}, parseSets(sets, shape)];
}

/** `--set key.path=value` pairs as one nested layer typed by `shape` (later pairs win). */
export function parseSets(sets: readonly string[], shape: ConfigShape): Layer {
  const cfg: Layer = {};
  for (const pair of sets) {
    const { key, value } = splitPair('--set', pair, 'key=value');
    const keys = key.split('.');
    if (keys.some((k) => k === '')) throw new UsageError(`--set ${pair}: empty key segment`);
    const reserved = keys.find((k) => RESERVED.has(k));
    if (reserved !== undefined) throw new UsageError(`--set ${pair}: "${reserved}" is a reserved name, not a config key`);
    let node = cfg;
    for (const k of keys.slice(0, -1)) {
      if (!Object.hasOwn(node, k)) node[k] = {};
      const next = node[k];
      if (!isObject(next)) throw new UsageError(`--set ${pair}: ${k} is not a section`);
      node = next;
    }
    node[keys.at(-1) as string] = value;
  }
  return typeLayer(cfg, shape);
}

/**
 * Types the strings of `layer` by `shape`: a string at a leaf of kind `integer` or `number`
 * that reads as a finite number becomes it, `true`/`false` at a `boolean` leaf a boolean, a
 * comma list of numbers at a `numbers` leaf an array. Anything else is left as it is, for the
 * owner of the key to refuse by name (e.g. `num_workers: "auto"` is the owner's to read).
 */
function typeLayer(layer: Layer, shape: ConfigShape): Layer {
  const out: Layer = {};
  for (const [key, value] of Object.entries(layer)) {
    const sub = Object.hasOwn(shape, key) ? shape[key] : shape['*'];
    if (sub === undefined) out[key] = value;
    else if (typeof sub === 'string') out[key] = typeof value === 'string' ? typeString(sub, value) : value;
    else out[key] = isObject(value) ? typeLayer(value, sub) : value;
  }
  return out;
}

/** `text` read as `kind`, or `text` itself when it does not read as one. */
export function typeString(kind: ValueKind, text: string): unknown {
  const t = text.trim();
  switch (kind) {
    case 'integer':
    case 'number':
      return t !== '' && Number.isFinite(Number(t)) ? Number(t) : text;
    case 'boolean':
      return t === 'true' ? true : t === 'false' ? false : text;
    case 'numbers': {
      const xs = t.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
      return xs.every(Number.isFinite) ? xs : text;
    }
    case 'string':
      return text;
  }
}

/**
 * `flag k=v` pairs as numbers by key (later pairs win), for flags such as `--shift` whose
 * values are all numbers; `expected` says what a pair looks like in the error.
 */
export function parseNumberPairs(flag: string, pairs: readonly string[], expected: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const { key, value } = splitPair(flag, pair, expected);
    if (RESERVED.has(key)) throw new UsageError(`${flag} ${pair}: "${key}" is a reserved name, not a key`);
    const n = typeString('number', value);
    if (typeof n !== 'number') throw new UsageError(`${flag} ${pair}: value must be a number`);
    out[key] = n;
  }
  return out;
}

/** Fails on any top-level key outside `allowed`, naming it. */
export function checkKeys(cfg: Layer, allowed: string[], where: string): void {
  for (const k of Object.keys(cfg)) {
    if (!allowed.includes(k)) throw new UsageError(`${where}: unknown config key "${k}" (known: ${allowed.join(', ')})`);
  }
}

/** The `dr` section as a plain object (or empty). */
export function drSection(cfg: Layer): Layer {
  const dr = cfg.dr ?? {};
  if (!isObject(dr)) throw new UsageError('dr: must be an object of ranges, e.g. {"friction": [0.4, 1.2]}');
  return dr;
}

/** `key=value` with both sides trimmed; a pair without a key is a usage error. */
function splitPair(flag: string, pair: string, expected: string): { key: string; value: string } {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} ${pair}: expected ${expected}`);
  return { key: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
}

function readConfigFile(file: string, shape: ConfigShape): Layer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`--config ${file}: file not found or unreadable`);
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config ${file}: invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(cfg)) throw new UsageError(`--config ${file}: must hold a JSON object`);
  const reserved = reservedPath(cfg);
  if (reserved !== undefined) throw new UsageError(`--config ${file}: "${reserved}" holds a reserved name, not a config key`);
  return typeLayer(cfg, shape);
}

/** The dotted path of the first reserved key anywhere in `obj`, if any (JSON.parse keeps `"__proto__"` as an own key). */
export function reservedPath(obj: Layer, prefix = ''): string | undefined {
  for (const [k, v] of Object.entries(obj)) {
    if (RESERVED.has(k)) return `${prefix}${k}`;
    const inner = isObject(v) ? reservedPath(v, `${prefix}${k}.`) : undefined;
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function isObject(v: unknown): v is Layer {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
