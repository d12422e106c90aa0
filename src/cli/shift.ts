/** `--shift key=value` parsing shared by `eval` and `robot`, and `eval`'s `--command name=value`. */
import { SHIFT_KEYS } from '../rl/evaluate.ts';
import { UsageError } from './common.ts';

/** `--shift k=v` pairs as numbers by key (later pairs win); malformed pairs are usage errors. */
export function parseShifts(pairs: string[]): Record<string, number> {
  return parseNumberPairs('--shift', pairs, `key=value (keys: ${SHIFT_KEYS.join(', ')})`);
}

/** `--command name=value` pairs as numbers by name (later pairs win); the names are checked against the task later. */
export function parseCommands(pairs: string[]): Record<string, number> {
  return parseNumberPairs('--command', pairs, 'name=value, e.g. vx=0.8');
}

/** `flag k=v` pairs as numbers by key; `expected` says what a pair looks like in the error. */
function parseNumberPairs(flag: string, pairs: string[], expected: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} ${pair}: expected ${expected}`);
    const key = pair.slice(0, eq).trim();
    const text = pair.slice(eq + 1).trim();
    const value = text === '' ? NaN : Number(text);
    if (!Number.isFinite(value)) throw new UsageError(`${flag} ${pair}: value must be a number`);
    out[key] = value;
  }
  return out;
}
