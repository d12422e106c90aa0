/**
 * docs/simulation.md's randomization table is the declarations, row for row: adding or changing
 * a parameter in src/task/randomization_params.ts without its docs row fails here, and the
 * failure prints the table to paste.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeRanges, NOMINAL, type DrParamInfo } from '../../src/task/randomize.ts';

const DOC = new URL('../../docs/simulation.md', import.meta.url);

/** The table as the declarations give it. */
function expectedTable(): string {
  const row = (p: DrParamInfo) => {
    const limits = `[${p.limits[0]}, ${p.limits[1]}]${p.integer ? ' (whole numbers)' : ''}`;
    return `| \`${p.name}\` | ${p.unit || '—'} | ${p.nominal} | ${limits} | ${p.description} |`;
  };
  return ['| key | unit | nominal | limits | effect |', '| --- | --- | --- | --- | --- |', ...describeRanges(NOMINAL).map(row)].join('\n');
}

/** The first table after the "## Domain randomization" heading. */
function documentedTable(): string {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('## Domain randomization');
  expect(start, 'docs/simulation.md has a "## Domain randomization" section').toBeGreaterThanOrEqual(0);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rest = lines.slice(first);
  const end = rest.findIndex((l) => !l.startsWith('|'));
  return rest.slice(0, end < 0 ? undefined : end).join('\n');
}

describe('docs/simulation.md randomization table', () => {
  it('lists every declared parameter with its unit, nominal value, limits and effect', () => {
    const want = expectedTable();
    expect(documentedTable(), `docs/simulation.md is out of step with src/task/randomization_params.ts; the table should read:\n${want}\n`).toBe(want);
  });
});
