/**
 * `sim2real deploy`'s access and timer options, run as a user would: timer values Node would
 * silently turn into 1 ms are refused with exit 2 and the range; `--token` warns that it shows
 * in the process list; `SIM2REAL_TOKEN` supplies the token instead.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { deployCartpole, hello, RawPeer } from './helpers.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/sim2real.js');
const POLICY = ['--policy', 'policies/cartpole.onnx', '--listen', '127.0.0.1:0'];

/** Runs `sim2real deploy ARGS` to completion (a server that starts anyway is killed after 30 s). */
function deploySync(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'deploy', ...POLICY, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

/** Starts `sim2real deploy ARGS`, resolves with its URL and everything it printed once it serves; `stop()` ends it. */
async function startDeploy(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [bin, 'deploy', ...POLICY, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += String(d);
      const m = / on (ws:\/\/127\.0\.0\.1:\d+):/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`deploy exited ${code} before serving: ${err}`)));
  });
  return {
    url,
    stderr: () => err,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    },
  };
}

describe('deploy timer options', () => {
  it('--timeout-ms and --heartbeat-ms beyond 2³¹ ms (which Node would run every 1 ms) exit 2 stating the range', () => {
    for (const [flag, lo] of [['--timeout-ms', 1], ['--heartbeat-ms', 100]] as const) {
      const r = deploySync(flag, '3000000000');
      expect(r.code, `${flag}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`${flag} must be a whole number of milliseconds from ${lo} to 600000`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(deploySync('--heartbeat-ms', '10').code).toBe(2);
    expect(deploySync('--timeout-ms', '1.5').code).toBe(2);
  });

  it('the library refuses them too, before binding', async () => {
    await expect(deployCartpole({ heartbeatMs: 2 ** 31 })).rejects.toThrow(/heartbeat \(--heartbeat-ms\) must be from 100 to 600000 ms/);
    await expect(deployCartpole({ timeoutMs: 3e9 })).rejects.toThrow(/watchdog timeout \(--timeout-ms\) must be from 1 to 600000 ms/);
    await expect(deployCartpole({ maxConnections: 0 })).rejects.toThrow(/max connections must be an integer from 1 to 10000/);
  });

  it('bad --max-connections and --allow-origin values exit 2 naming the option', () => {
    const cap = deploySync('--max-connections', '0');
    expect([cap.code, cap.stderr]).toEqual([2, expect.stringMatching(/--max-connections must be an integer from 1 to 10000/)]);
    const origin = deploySync('--allow-origin', 'https://ops.example/panel');
    expect([origin.code, origin.stderr]).toEqual([2, expect.stringMatching(/--allow-origin https:\/\/ops\.example\/panel: expected http\(s\):\/\/host\[:port\]/)]);
  });
});

describe('deploy token sources', () => {
  const token = `tok-${Math.random().toString(36).slice(2)}-${Date.now()}`;

  it('SIM2REAL_TOKEN sets the token without showing it in the process list', async () => {
    const d = await startDeploy([], { SIM2REAL_TOKEN: token });
    try {
      await expect(RawPeer.open(d.url)).rejects.toThrow('HTTP 401');
      const peer = await RawPeer.open(d.url, { headers: { authorization: `Bearer ${token}` } });
      peer.send(hello());
      expect((await peer.takeJson()).op).toBe('welcome');
      await peer.close();
      expect(d.stderr()).not.toMatch(/warning/);
    } finally {
      await d.stop();
    }
  });

  it('--token still works, with a warning pointing to --token-file and SIM2REAL_TOKEN', async () => {
    const d = await startDeploy(['--token', token]);
    try {
      expect(d.stderr()).toMatch(/warning: --token shows the token to every user of this machine \(ps, \/proc\/<pid>\/cmdline\)/);
      expect(d.stderr()).toMatch(/--token-file .*SIM2REAL_TOKEN/);
      const peer = await RawPeer.open(`${d.url}/?token=${encodeURIComponent(token)}`);
      peer.send(hello());
      expect((await peer.takeJson()).op).toBe('welcome');
      await peer.close();
    } finally {
      await d.stop();
    }
  });
});
