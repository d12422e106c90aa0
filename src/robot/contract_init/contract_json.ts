/**
 * The text of a generated contract, laid out like the hand-written ones in `robots/`: one key
 * per line, one joint or leg per line, so a user can read and edit it.
 */
import type { ContractJson } from './draft.ts';

/** `contract` as JSON text, ending in a newline. */
export function formatContract(contract: ContractJson): string {
  const lines = Object.entries(contract).map(([k, v]) => {
    if (k === 'joints' && Array.isArray(v)) return `  "joints": ${listLines(v, '    ')}`;
    if (k === 'locomotion' && typeof v === 'object' && v !== null) {
      const inner = Object.entries(v as Record<string, unknown>).map(([lk, lv]) =>
        `    ${JSON.stringify(lk)}: ${lk === 'legs' && Array.isArray(lv) ? listLines(lv, '      ') : inline(lv)}`);
      return `  "locomotion": {\n${inner.join(',\n')}\n  }`;
    }
    return `  ${JSON.stringify(k)}: ${inline(v)}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** An array with one element per line, each element compact. */
function listLines(items: readonly unknown[], indent: string): string {
  return `[\n${items.map((x) => `${indent}${inline(x)}`).join(',\n')}\n${indent.slice(2)}]`;
}

/** `v` on one line with a space after each colon and comma, as the hand-written contracts are. */
function inline(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (typeof v === 'object' && v !== null) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')}}`;
  return JSON.stringify(v);
}
