/**
 * The docs point a newcomer at files: every project path the README, docs/ or a source comment names must exist,
 * so a moved or renamed file cannot leave a map that leads nowhere.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, sourceFiles } from './import_graph.ts';

const DOCS = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  // the comments in the code point at files too
  ...sourceFiles('src', 'envs', 'bench'),
];
/** A project path: a top-level folder of the project, then a file or folder name (no placeholders). */
const PATH = /(?<![\w./-])((?:src|envs|test|bench|kernels|robots|policies|scripts|docs)\/[\w./-]*[\w/])/g;

describe('paths named in the docs and in code comments', () => {
  it('exist in the project', () => {
    const missing: string[] = [];
    let seen = 0;
    for (const doc of DOCS) {
      const text = readFileSync(path.join(ROOT, doc), 'utf8');
      for (const m of text.matchAll(PATH)) {
        const p = m[1] as string;
        const after = text.slice((m.index ?? 0) + p.length, (m.index ?? 0) + p.length + 2);
        const base = path.basename(p).split('.')[0] as string;
        // a pattern or a placeholder, not a path: robots/<name>.json, robots/cartpole.*, robots/R.json
        if (/^[<*]|^\.\*/.test(after) || /^[A-Z]+$/.test(base)) continue;
        seen++;
        if (!existsSync(path.join(ROOT, p))) missing.push(`${doc}: ${p}`);
      }
    }
    expect(seen).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
