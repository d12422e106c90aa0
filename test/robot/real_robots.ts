/**
 * Where the tests find the real robots' URDFs: `robots/<name>.urdf` when the project ships it,
 * else `../shared/robots-real/<name>.urdf` beside the project; null when neither is there (the
 * tests that need one skip).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The path of real robot `name`'s URDF (`a1`, `anymal_c`), or null. */
export function realUrdf(name: string): string | null {
  for (const dir of [path.join(root, 'robots'), path.resolve(root, '../shared/robots-real')]) {
    const f = path.join(dir, `${name}.urdf`);
    if (existsSync(f)) return f;
  }
  return null;
}
