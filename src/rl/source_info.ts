/** Which code a run came from: the package version and the git revision, for run metadata. */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package version and git revision this code runs from, for checkpoint and run metadata. */
export function sourceInfo(): { packageVersion: string; gitRevision: string | null } {
  cachedSource ??= { packageVersion: readPackageVersion(), gitRevision: readGitRevision() };
  return cachedSource;
}
let cachedSource: { packageVersion: string; gitRevision: string | null } | undefined;

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function readPackageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && typeof (pkg as { version?: unknown }).version === 'string' ? (pkg as { version: string }).version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** HEAD of the git checkout that *is* the package (not of a project that installed it), or null. */
function readGitRevision(): string | null {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', PACKAGE_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  try {
    const [top, head] = git('rev-parse', '--show-toplevel', 'HEAD').split('\n');
    if (top === undefined || head === undefined || realpathSync(top) !== realpathSync(PACKAGE_ROOT)) return null;
    return git('status', '--porcelain', '--untracked-files=no') === '' ? head : `${head}-dirty`;
  } catch {
    return null;
  }
}

