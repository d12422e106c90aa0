/**
 * A real nats-server for the cluster tests (JetStream, a token, a free loopback port, its own
 * store folder), sim2real processes (learner, hosts) that tests wait on by what they print, and
 * metrics rows compared with timings aside. Without nats-server the tests skip, saying how to
 * install it — unless SIM2REAL_REQUIRE_NATS=1 (CI), where that is a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
// Debian puts it in /usr/sbin, which is not on every user's PATH
const found = spawnSync('sh', ['-c', 'command -v nats-server || ls /usr/sbin/nats-server'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? '';
/** The nats-server binary, or null. */
export const NATS_SERVER: string | null = found === '' ? null : found;
/** CI sets SIM2REAL_REQUIRE_NATS=1: a missing nats-server is then a failure, not a skip. */
export const REQUIRE_NATS = process.env.SIM2REAL_REQUIRE_NATS === '1';

if (NATS_SERVER === null) {
  const msg = 'cluster tests: no nats-server on this machine (install it: scripts/install-system-deps.sh nats)';
  if (REQUIRE_NATS) throw new Error(`${msg}, and SIM2REAL_REQUIRE_NATS=1`);
  console.warn(`${msg}: skipping`);
}

/** Whether the cluster tests run. */
export const HAVE_NATS = NATS_SERVER !== null;

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A process whose output (stdout and stderr together) tests wait on. */
export class Proc {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;
  private waiters: { re: RegExp; from: number; resolve: () => void }[] = [];

  constructor(cmd: string, args: string[], env: Record<string, string> = {}) {
    this.child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env } });
    const take = (d: Buffer) => {
      this.output += d.toString();
      this.waiters = this.waiters.filter((w) => {
        if (!w.re.test(this.output.slice(w.from))) return true;
        w.resolve();
        return false;
      });
    };
    this.child.stdout?.on('data', take);
    this.child.stderr?.on('data', take);
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Resolves when the output (from offset `from`) matches `re`; rejects if the process exits first. */
  waitFor(re: RegExp, from = 0): Promise<void> {
    if (re.test(this.output.slice(from))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ re, from, resolve });
      void this.exited.then((code) => reject(new Error(`process exited (${code}) before printing ${re}:\n${this.output.slice(-3000)}`)));
    });
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

/** A nats-server with JetStream and a token, on a free loopback port, restartable on the same port and store. */
export class NatsServer {
  readonly dir = mkdtempSync(path.join(tmpdir(), 's2r-nats-'));
  readonly token = `tok${Math.random().toString(36).slice(2)}`;
  readonly tokenFile = path.join(this.dir, 'token');
  proc: Proc | null = null;
  port = 0;

  /** `extra`: more nats-server options (TLS); `scheme`: the URL's. */
  constructor(private readonly extra: string[] = [], private readonly scheme = 'nats') {}

  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  /** Starts it (the first time on a free port), resolving once it accepts clients. */
  async start(): Promise<void> {
    writeFileSync(this.tokenFile, `${this.token}\n`);
    if (this.port === 0) this.port = await freePort();
    this.proc = new Proc(NATS_SERVER as string, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', path.join(this.dir, 'js'), '--auth', this.token, ...this.extra]);
    await this.proc.waitFor(/Server is ready/);
  }

  async stop(): Promise<void> {
    await this.proc?.stop('SIGTERM');
    this.proc = null;
  }

  /** The options a sim2real command needs to reach it. */
  get flags(): string[] {
    return ['--cluster', this.url, '--token-file', this.tokenFile];
  }
}

/** `sim2real ARGS` as a process. */
export function s2r(...args: string[]): Proc {
  return new Proc(process.execPath, [path.join(ROOT, 'bin/sim2real.js'), ...args]);
}

/** A rollout host process (`sim2real worker`), resolved once it waits for a learner. */
export async function startHost(nats: NatsServer, name: string, ...more: string[]): Promise<Proc> {
  const p = s2r('worker', ...nats.flags, '--workers', '1', '--name', name, ...more);
  await p.waitFor(/waiting for a learner/);
  return p;
}

/** `sim2real ARGS` run to its end: exit code and output. */
export async function run(...args: string[]): Promise<{ code: number | null; output: string }> {
  const p = s2r(...args);
  const code = await p.exited;
  return { code, output: p.output };
}

/** A run directory's metrics rows. */
export function metricsRows(runDir: string): Record<string, unknown>[] {
  return readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Metrics rows without what may differ between identical runs (timings) and what only a cluster run has. */
export function comparable(runDir: string): Record<string, unknown>[] {
  return metricsRows(runDir).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/^time_|steps_per_s|wall_time|host|remote|cluster|transfer/.test(k))));
}

/** A fresh temporary folder. */
export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 's2r-cluster-'));
}
