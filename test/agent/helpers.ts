/**
 * Shared pieces of the agent tests: a scratch directory with a management token and key pairs,
 * `sim2real agent` started as a real process on loopback (waiting for its own log lines, never
 * for time), pushes through the management client, and policy variants made from the shipped
 * files by editing their ONNX graph.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManageClient, type PushResult } from '../../src/agent/manage_client.ts';
import { loadPrivateKey, signPolicy, writeKeyPair, type KeyPairFiles } from '../../src/agent/signing.ts';
import { decodeModel, encodeModel } from '../../src/onnx/graph.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/sim2real.js');
export const TOKEN = 'agent-test-token-0123456789';

/** A scratch directory: `token` (mode 600), `keys/` (trusted) and `other/` (not trusted). */
export interface Scratch {
  dir: string;
  tokenFile: string;
  keys: KeyPairFiles;
  other: KeyPairFiles;
}

export function scratch(): Scratch {
  const dir = mkdtempSync(path.join(tmpdir(), 's2r-agent-test-'));
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  return { dir, tokenFile, keys: writeKeyPair(path.join(dir, 'keys')), other: writeKeyPair(path.join(dir, 'other')) };
}

/** A running `sim2real agent` process. */
export interface AgentProcess {
  proc: ChildProcess;
  manageUrl: string;
  /** Everything it wrote to stderr so far. */
  log(): string;
  /** Resolves with the first match of `re` in its log (now or later); rejects if it exits first. */
  waitFor(re: RegExp): Promise<RegExpExecArray>;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `sim2real agent --robot ROBOT --store STORE` on free loopback ports with the scratch
 * token and trusted key (`extra` options come last and win); `ready` finds the management URL in its log.
 */
export async function startAgent(s: Scratch, robot: string, store: string, extra: string[] = [], ready = /management (ws:\/\/\S+);/): Promise<AgentProcess> {
  const proc = spawn(process.execPath, [BIN, 'agent', '--robot', robot, '--store', store, '--listen', '127.0.0.1:0', '--manage', '127.0.0.1:0',
    '--token-file', s.tokenFile, '--trust', s.keys.publicFile, ...extra], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const listeners = new Set<() => void>();
  proc.stderr!.on('data', (d: Buffer) => {
    err += String(d);
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => {
    for (const l of [...listeners]) l();
    resolve(code);
  }));
  const waitFor = (re: RegExp) => new Promise<RegExpExecArray>((resolve, reject) => {
    const check = () => {
      const m = re.exec(err);
      if (m) {
        listeners.delete(check);
        resolve(m);
      } else if (proc.exitCode !== null) {
        listeners.delete(check);
        reject(new Error(`sim2real agent exited (${proc.exitCode}) before logging ${re}: ${err}`));
      }
    };
    listeners.add(check);
    check();
  });
  const manageUrl = (await waitFor(ready))[1]!;
  return {
    proc, manageUrl, log: () => err, waitFor,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Signs `bytes` with `keyFile` and pushes them to the agent. */
export async function push(manageUrl: string, bytes: Uint8Array, keyFile: string, o: { name?: string; activate?: boolean; shadowS?: number } = {}): Promise<PushResult> {
  const client = await ManageClient.connect(manageUrl, { token: TOKEN });
  try {
    return await client.push(bytes, signPolicy(bytes, loadPrivateKey(keyFile)), { name: o.name ?? 'policy.onnx', activate: o.activate ?? true, ...(o.shadowS !== undefined ? { shadowS: o.shadowS } : {}) });
  } finally {
    await client.close();
  }
}

/** Runs `fn` with a management client. */
export async function withClient<T>(manageUrl: string, fn: (c: ManageClient) => Promise<T>): Promise<T> {
  const client = await ManageClient.connect(manageUrl, { token: TOKEN });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** A shipped policy's bytes. */
export function shipped(name: string): Buffer {
  return readFileSync(path.join(ROOT, 'policies', `${name}.onnx`));
}

/**
 * A variant of a shipped policy: the output layer's weights and bias multiplied by `outputScale`,
 * and metadata entries replaced by `metadata`.
 */
export function variant(name: string, o: { outputScale?: number; metadata?: Record<string, string> }): Uint8Array {
  const m = decodeModel(shipped(name));
  const last = (m.graph!.node ?? []).at(-1)!;
  for (const t of m.graph!.initializer ?? []) {
    if (o.outputScale !== undefined && (t.name === last.input![1] || t.name === last.input![2])) t.floatData = t.floatData!.map((x) => x * o.outputScale!);
  }
  for (const [key, value] of Object.entries(o.metadata ?? {})) {
    const e = (m.metadataProps ?? []).find((p) => p.key === key);
    if (e) e.value = value;
    else (m.metadataProps ??= []).push({ key, value });
  }
  return encodeModel(m);
}

/** Spawns `sim2real ARGS`; resolves with its exit code, stdout and stderr. */
export function run(args: string[]): { proc: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += String(d)));
  proc.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { proc, done };
}

/** The last line of stdout as JSON. */
export function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
}

/** Polls the agent's status (each poll a request and its reply) until `until` holds for it. */
export async function statusWhen(manageUrl: string, until: (s: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return withClient(manageUrl, async (c) => {
    for (;;) {
      const s = await c.status();
      if (until(s)) return s;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
}
