/**
 * Dynamics shifted for an evaluation (`sim2real eval --shift`, `robot --shift`): chosen
 * randomization parameters held at one value, the other ranges kept, so a policy can be tried
 * on a robot that is heavier, slipperier or slower than it trained on.
 */
import { DR_RANGE_KEYS, resolveRandomization, type DomainRandomization } from './randomize.ts';

/** Short names `--shift` accepts besides the randomization keys themselves (`mass=1.3` is `mass_scale`). */
export const SHIFT_ALIASES: Readonly<Record<string, keyof DomainRandomization>> = { mass: 'mass_scale' };

/** Every key `shiftRandomization` accepts: the aliases, then the randomization keys. */
export const SHIFT_KEYS: readonly string[] = [...Object.keys(SHIFT_ALIASES), ...DR_RANGE_KEYS];

/**
 * Dynamics shift for evaluation: each key's range replaced by the fixed value [v, v] (keys or
 * aliases, e.g. `{ friction: 0.3, mass: 1.3 }`), the other ranges kept. Values may lie outside
 * the ranges trained under but not outside what the simulator allows; an unknown key is an
 * error listing the valid ones. Returns the ranges and the shift by canonical key.
 */
export function shiftRandomization(base: DomainRandomization, shifts: Readonly<Record<string, number>>): { dr: DomainRandomization; shift: Partial<Record<keyof DomainRandomization, number>> } {
  const shift: Partial<Record<keyof DomainRandomization, number>> = {};
  for (const [key, value] of Object.entries(shifts)) {
    const canonical = Object.hasOwn(SHIFT_ALIASES, key) ? SHIFT_ALIASES[key]
      : (DR_RANGE_KEYS as readonly string[]).includes(key) ? (key as keyof DomainRandomization) : undefined;
    if (!canonical) throw new Error(`shift ${key}: unknown key (valid: ${SHIFT_KEYS.join(', ')})`);
    if (!Number.isFinite(value)) throw new Error(`shift ${key}: expected a finite number, got ${value}`);
    try {
      resolveRandomization(base, { [canonical]: [value, value] });
    } catch (e) {
      throw new Error(`shift ${key}=${value}: ${(e as Error).message.replace(/^dr\.\w+: /, '')}`);
    }
    shift[canonical] = value;
  }
  const overrides = Object.fromEntries(Object.entries(shift).map(([k, v]) => [k, [v, v]]));
  return { dr: resolveRandomization(base, overrides), shift };
}
