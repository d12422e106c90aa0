/**
 * What the CLI reads and sizes it accepts: `sim2real urdf` refuses devices, FIFOs and oversize
 * files before reading them, reports a 4,000-link chain (once a stack overflow), and the size
 * options of train, eval, bench and robot have stated maximums (exit 2 naming the maximum), so
 * a typo cannot allocate gigabytes for minutes.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bigUrdf } from '../robot/big_urdf.ts';

const root = path.resolve(import.meta.dirname, '../..');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1) ?? '');

describe('sim2real urdf on hostile inputs', () => {
  it('refuses a character device, a FIFO and a file above 16 MiB without reading them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-in-'));
    const zero = s2r('urdf', '/dev/zero');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('/dev/zero: not a regular file (a character device)');
    const fifo = path.join(dir, 'robot.urdf');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const onFifo = s2r('urdf', fifo);
    expect(onFifo.code).toBe(2);
    expect(onFifo.stderr).toContain('not a regular file (a FIFO)');
    // a valid robot padded past the limit: it would parse, were it read
    const big = path.join(dir, 'padded.urdf');
    const fd = openSync(big, 'w');
    writeSync(fd, '<robot name="r"><link name="base"/><!--');
    const pad = Buffer.alloc(1 << 20, 0x20);
    for (let i = 0; i < 17; i++) writeSync(fd, pad);
    writeSync(fd, '--></robot>\n');
    closeSync(fd);
    const onBig = s2r('urdf', big);
    expect(onBig.code).toBe(2);
    expect(onBig.stderr).toContain('the file is 17 MiB, above the limit of 16 MiB');
    for (const r of [zero, onFifo, onBig]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a 4,000-link chain (its tree walked without recursion); the drop test is left to robots of up to 1,000 bodies', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 's2r-in-')), 'chain.urdf');
    writeFileSync(file, bigUrdf('chain', 4_000));
    const r = s2r('urdf', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j).toMatchObject({ bodies: 4_000, dof: 3_999, drop: null, drop_skipped: '4000 rigid bodies: the drop test runs for robots of at most 1000' });
    expect(j.links).toHaveLength(4_000);
  });
});

describe('size options have stated maximums', () => {
  it.each([
    [['bench', 'sim', '--envs', '2000000'], '--envs: 2000000 is above the maximum of 65536'],
    [['bench', 'sim', '--workers', '1000'], '--workers: 1000 is above the maximum of 256'],
    [['bench', 'sim', '--steps', '1000000'], '--steps: 1000000 is above the maximum of 100000'],
    [['eval', '--env', 'cartpole', '--policy', 'policies/cartpole.onnx', '--episodes', '100000'], '--episodes: 100000 is above the maximum of 4096'],
    [['robot', '--env', 'cartpole', '--connect', 'ws://127.0.0.1:1', '--episodes', '5000'], '--episodes: 5000 is above the maximum of 1024'],
    [['train', '--env', 'cartpole', '--envs', '100000'], '--envs: 100000 is above the maximum of 65536'],
    [['train', '--env', 'cartpole', '--set', 'ppo.num_envs=100000'], 'ppo.num_envs 100000 is above the maximum of 65536'],
    [['train', '--env', 'cartpole', '--workers', '300'], '--workers: 300 is above the maximum of 256'],
    [['train', '--env', 'cartpole', '--envs', '1024', '--set', 'ppo.num_steps=8192'], 'ppo.num_envs × ppo.num_steps = 1024 × 8192 = 8388608 samples per rollout is above the maximum of 4194304'],
  ])('%j exits 2 naming the maximum', (args, message) => {
    const r = s2r(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('--set __proto__.num_steps=16 is refused by name (exit 2), not trained with', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 's2r-in-')), 'p');
    const r = s2r('train', '--env', 'cartpole', '--steps', '2048', '--set', '__proto__.num_steps=16', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--set __proto__.num_steps=16: "__proto__" is a reserved name, not a config key');
  });
});
