/** `sim2real ARGS` run to its end from the project root, for tests of the command line: exit code and output. */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** What a finished `sim2real` process left. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sim2real ARGS` (at most 120 s). */
export function runCli(...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `sim2real ARGS` without blocking this process (at most 120 s): for commands that talk to a
 * server the test itself runs.
 */
export function runCliAsync(...args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, timeout: 120_000 });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The JSON object on the last line of `stdout` (a `--json` command's result). */
export function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
}
