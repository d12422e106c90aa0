/**
 * Configuration from the command line: a JSON file (`--config f.json`) and repeated
 * `--set key.path=value` flags layered on top. Values from `--set` stay strings; the part that
 * owns a key parses and range-checks it (e.g. `dr.friction=0.4,1.2` → the range [0.4, 1.2]).
 * Config is closed: a key nobody owns is an error naming it.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './common.ts';

/** commander collector for a repeatable `--set k=v` option. */
export function collectSet(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Reads `--config` (if given) and applies `--set` pairs over it. */
export function resolveOverrides(configFile: string | undefined, sets: string[] = []): Record<string, unknown> {
  const cfg: Record<string, unknown> = configFile ? readConfigFile(configFile) : {};
  for (const pair of sets) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${pair}: expected key=value`);
    const keys = pair.slice(0, eq).trim().split('.');
    if (keys.some((k) => k === '')) throw new UsageError(`--set ${pair}: empty key segment`);
    let node = cfg;
    for (const k of keys.slice(0, -1)) {
      const next = node[k];
      if (next === undefined) node[k] = {};
      else if (!isObject(next)) throw new UsageError(`--set ${pair}: ${k} is not a section`);
      node = node[k] as Record<string, unknown>;
    }
    node[keys.at(-1) as string] = pair.slice(eq + 1).trim();
  }
  return cfg;
}

/** Fails on any top-level key outside `allowed`, naming it. */
export function checkKeys(cfg: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(cfg)) {
    if (!allowed.includes(k)) throw new UsageError(`${where}: unknown config key "${k}" (known: ${allowed.join(', ')})`);
  }
}

/** The `dr` section as a plain object (or empty). */
export function drSection(cfg: Record<string, unknown>): Record<string, unknown> {
  const dr = cfg.dr ?? {};
  if (!isObject(dr)) throw new UsageError('dr: must be an object of ranges, e.g. {"friction": [0.4, 1.2]}');
  return dr;
}

function readConfigFile(file: string): Record<string, unknown> {
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
  return cfg;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
