/** `--shift key=value` parsing shared by `eval` and `robot`. */
import { SHIFT_KEYS } from '../rl/evaluate.ts';
import { UsageError } from './common.ts';

/** `--shift k=v` pairs as numbers by key (later pairs win); malformed pairs are usage errors. */
export function parseShifts(pairs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--shift ${pair}: expected key=value (keys: ${SHIFT_KEYS.join(', ')})`);
    const key = pair.slice(0, eq).trim();
    const text = pair.slice(eq + 1).trim();
    const value = text === '' ? NaN : Number(text);
    if (!Number.isFinite(value)) throw new UsageError(`--shift ${pair}: value must be a number`);
    out[key] = value;
  }
  return out;
}
