/**
 * What the CLI writes: `export --out`, `eval --record` and the files of `train --out` are regular
 * files written through a temp file and a rename in a directory that exists. A symbolic link,
 * FIFO or device at the path is refused (exit 2, saying what is there) and left as it was, and a
 * missing directory is not created.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const small = ['--set', 'ppo.num_steps=32', '--set', 'ppo.minibatch_size=64', '--set', 'ppo.num_epochs=2', '--envs', '4'];

/** A FIFO at `file` (mkfifo(1)); opening it for writing would block until a reader comes. */
function mkfifo(file: string): void {
  const r = spawnSync('mkfifo', [file]);
  if (r.status !== 0) throw new Error(`mkfifo ${file} failed: ${r.stderr}`);
}

/** A symbolic link at `link` to a file with known content; returns a check that both are untouched. */
function linkToVictim(dir: string, link: string): () => void {
  const victim = path.join(dir, `${path.basename(link)}.victim`);
  writeFileSync(victim, 'precious\n');
  symlinkSync(victim, link);
  return () => {
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  };
}

let dir: string;
let run: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 's2r-out-'));
  run = path.join(dir, 'run');
  const t = s2r('train', '--env', 'cartpole', '--steps', '128', '--out', run, ...small);
  if (t.code !== 0) throw new Error(t.stderr);
});

describe('CLI outputs are regular files, never written through', () => {
  it('export --out onto a symbolic link or a FIFO exits 2 and leaves it; into a missing directory exits 2 and creates nothing', () => {
    const link = path.join(dir, 'link.onnx');
    const untouched = linkToVictim(dir, link);
    const onLink = s2r('export', '--run', run, '--out', link);
    expect(onLink.code).toBe(2);
    expect(onLink.stderr).toContain(`cannot write ${link}: it is a symbolic link, not a regular file; refusing to replace it`);
    untouched();
    const fifo = path.join(dir, 'fifo.onnx');
    mkfifo(fifo);
    const onFifo = s2r('export', '--run', run, '--out', fifo);
    expect(onFifo.code).toBe(2);
    expect(onFifo.stderr).toContain('it is a FIFO (named pipe), not a regular file');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    const missing = path.join(dir, 'no', 'such', 'dir', 'p.onnx');
    const inMissing = s2r('export', '--run', run, '--out', missing);
    expect(inMissing.code).toBe(2);
    expect(inMissing.stderr).toContain(`the directory ${path.dirname(missing)} does not exist`);
    expect(existsSync(path.join(dir, 'no'))).toBe(false);
    // a regular file is replaced whole, and no temp file stays behind
    const plain = path.join(dir, 'plain.onnx');
    writeFileSync(plain, 'old');
    expect(s2r('export', '--run', run, '--out', plain).code).toBe(0);
    expect(readFileSync(plain).length).toBeGreaterThan(1000);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('eval --record onto a symbolic link or a FIFO exits 2 and leaves it; a missing directory exits 2', () => {
    const evalTo = (file: string) => s2r('eval', '--env', 'cartpole', '--run', run, '--episodes', '2', '--record', file);
    const link = path.join(dir, 'link.rec');
    const untouched = linkToVictim(dir, link);
    const onLink = evalTo(link);
    expect(onLink.code).toBe(2);
    expect(onLink.stderr).toContain(`cannot write ${link}: it is a symbolic link`);
    untouched();
    const fifo = path.join(dir, 'fifo.rec');
    mkfifo(fifo);
    const onFifo = evalTo(fifo);
    expect(onFifo.code).toBe(2);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    const missing = evalTo(path.join(dir, 'nowhere', 'x.rec'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/the directory .*nowhere does not exist/);
    const rec = path.join(dir, 'ok.rec');
    const ok = evalTo(rec);
    expect(ok.code, ok.stderr).toBe(0);
    expect(lstatSync(rec).isFile()).toBe(true);
  });

  it('train --out refuses a run directory whose files are links before training, leaving them', () => {
    const out = path.join(dir, 'linked-run');
    mkdirSync(out);
    const untouched = linkToVictim(dir, path.join(out, 'policy.onnx'));
    const t = s2r('train', '--env', 'cartpole', '--steps', '128', '--out', out, ...small);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(`${path.join(out, 'policy.onnx')} is a symbolic link, not a regular file`);
    expect(existsSync(path.join(out, 'metrics.jsonl'))).toBe(false);
    untouched();
  });
});
