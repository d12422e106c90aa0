/** `--shift key=value` parsing shared by `eval` and `robot`, and `eval`'s `--command name=value`. */
import { SHIFT_ALIASES, SHIFT_KEYS } from '../task/shift.ts';
import { describeRanges, NOMINAL } from '../task/randomize.ts';
import { parseNumberPairs } from './overrides.ts';

/** `--shift k=v` pairs as numbers by key (later pairs win); malformed pairs are usage errors. */
export function parseShifts(pairs: string[]): Record<string, number> {
  return parseNumberPairs('--shift', pairs, `key=value (keys: ${shiftKeysHelp()})`);
}

/** The `--shift` keys with the unit of their value where they have one (`latency_steps [steps]`), from the declarations. */
export function shiftKeysHelp(): string {
  const units = new Map<string, string>(describeRanges(NOMINAL).map((p) => [p.name, p.unit]));
  return SHIFT_KEYS.map((k) => {
    const unit = units.get(SHIFT_ALIASES[k] ?? k);
    return unit ? `${k} [${unit}]` : k;
  }).join(', ');
}

/** `--command name=value` pairs as numbers by name (later pairs win); the names are checked against the task later. */
export function parseCommands(pairs: string[]): Record<string, number> {
  return parseNumberPairs('--command', pairs, 'name=value, e.g. vx=0.8');
}
