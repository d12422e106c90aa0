/**
 * The project's own import graph, read from the source text: for each file under src/ and envs/,
 * the local files it imports, split into imports that load code at run time and type-only ones
 * (erased when the TypeScript runs), plus the packages it imports.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface FileImports {
  /** Local files, project-relative ('src/sim/env_group.ts'). */
  runtime: string[];
  typeOnly: string[];
  /** Bare specifiers ('@dimforge/rapier3d-simd-compat', 'three/examples/...', 'node:fs'). */
  packages: string[];
}

/** Every .ts/.mts/.js/.mjs file under the given project-relative folders. */
export function sourceFiles(...dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(path.join(ROOT, d), { withFileTypes: true })) {
      const rel = path.join(d, e.name);
      if (e.isDirectory()) walk(rel);
      else if (/\.(ts|mts|js|mjs)$/.test(e.name)) out.push(rel);
    }
  };
  for (const d of dirs) if (existsSync(path.join(ROOT, d))) walk(d);
  return out.sort();
}

const STATIC = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** What `file` (project-relative) imports. `import(...)` in type positions counts as type-only. */
export function importsOf(file: string): FileImports {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: FileImports = { runtime: [], typeOnly: [], packages: [] };
  const add = (spec: string, typeOnly: boolean): void => {
    if (!spec.startsWith('.')) { out.packages.push(spec); return; }
    let target = path.normalize(path.join(path.dirname(file), spec));
    if (!existsSync(path.join(ROOT, target)) && existsSync(path.join(ROOT, target + '.ts'))) target += '.ts';
    if (!existsSync(path.join(ROOT, target)) || !statSync(path.join(ROOT, target)).isFile()) return;
    (typeOnly ? out.typeOnly : out.runtime).push(target);
  };
  for (const m of text.matchAll(STATIC)) add(m[3] as string, m[2] !== undefined || /^\s*(import|export)\s+type\b/.test(m[0]));
  for (const m of text.matchAll(DYNAMIC)) {
    const before = text.slice(Math.max(0, (m.index ?? 0) - 12), m.index);
    add(m[1] as string, /(:|<|typeof)\s*$/.test(before));
  }
  return out;
}

/** The room a project file belongs to: 'src/<room>' → room, 'envs/...' → 'envs'. */
export function roomOf(file: string): string {
  const parts = file.split(path.sep);
  return parts[0] === 'src' ? (parts.length > 2 ? (parts[1] as string) : '(src)') : (parts[0] as string);
}
