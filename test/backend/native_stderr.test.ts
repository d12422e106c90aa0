/**
 * `captureStderr` (src/backend/native_stderr.ts) in a child process, for each kind of stderr a user
 * gives it: what is written to fd 2 during the call is captured where fd 2 can be put back exactly
 * (a pipe, an append-only file, /dev/null), stderr works as before afterwards, and where it cannot
 * (a socket, a file written from its start) the call runs with stderr untouched.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const script = `
  import { register } from 'tsx/esm/api';
  import { writeSync } from 'node:fs';
  register();
  const { captureStderr } = await import(${JSON.stringify(path.join(root, 'src/backend/native_stderr.ts'))});
  process.stderr.write('before\\n');
  const r = captureStderr(() => { writeSync(2, 'native says hello\\n'); return 7; });
  process.stderr.write('after\\n');
  console.error('console.error works');
  process.stdout.write(JSON.stringify(r));
`;

/** Runs the script with stderr to `stderr` (a descriptor, or a socket as Node spawns); stdout is its result. */
function run(stderr: 'pipe' | number) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', stderr] });
  expect(r.status, r.stderr).toBe(0);
  return { result: JSON.parse(r.stdout) as { value: number; text: string | null }, stderr: r.stderr };
}

describe.runIf(process.platform === 'linux')('captureStderr', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 's2r-stderr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a shell pipe: captured, and stderr carries on in order', () => {
    // stdout to a file, stderr through a pipe into cat (whose output comes back here)
    const out = path.join(dir, 'out.json');
    const r = spawnSync('/bin/sh', ['-c', '"$@" 2>&1 >"$OUT" | cat >&2', 'sh', process.execPath, '--input-type=module', '-e', script], {
      cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, OUT: out },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ value: 7, text: 'native says hello\n' });
    expect(r.stderr).toBe('before\nafter\nconsole.error works\n');
  });

  it('a file opened for appending (2>>log, nohup): captured, the log continues at its end', () => {
    const log = path.join(dir, 'append.log');
    writeFileSync(log, 'earlier\n');
    const fd = openSync(log, 'a');
    const r = run(fd);
    closeSync(fd);
    expect(r.result).toEqual({ value: 7, text: 'native says hello\n' });
    expect(readFileSync(log, 'utf8')).toBe('earlier\nbefore\nafter\nconsole.error works\n');
  });

  it('/dev/null: captured', () => {
    const fd = openSync('/dev/null', 'w');
    expect(run(fd).result).toEqual({ value: 7, text: 'native says hello\n' });
    closeSync(fd);
  });

  it('a socket (a Node parent) or a file written from its start (2>log): left alone, the call still runs', () => {
    const sock = run('pipe');
    expect(sock.result).toEqual({ value: 7, text: null });
    expect(sock.stderr).toBe('before\nnative says hello\nafter\nconsole.error works\n');
    const log = path.join(dir, 'trunc.log');
    const fd = openSync(log, 'w');
    const r = run(fd);
    closeSync(fd);
    expect(r.result).toEqual({ value: 7, text: null });
    expect(readFileSync(log, 'utf8')).toBe('before\nnative says hello\nafter\nconsole.error works\n');
  });
});
