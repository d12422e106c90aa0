/**
 * `sim2real push`: signs a policy and sends it to a robot's agent (which verifies, stores,
 * shadows and activates it), or asks the agent for a rollback, another stored version, or its
 * status.
 */
import { Command } from 'commander';
import path from 'node:path';
import { ManageClient, PushRefused, type PushResult } from '../agent/manage_client.ts';
import type { ShadowReport } from '../agent/shadow.ts';
import { loadPrivateKey, signPolicy } from '../agent/signing.ts';
import { readInputFile } from '../robot/input_file.ts';
import { asUsage, nonNegativeNumber, positiveInt, printJson, say, UsageError } from './common.ts';
import { readFileOption, readToken, TOKEN_ENV, warnIfShared } from './net_options.ts';

/** Largest policy file `push` reads. */
const MAX_PUSH_BYTES = 1024 * 1024 * 1024;

interface PushOpts {
  to: string;
  tokenFile?: string;
  key?: string;
  shadow?: number;
  activate?: boolean;
  rollback?: boolean;
  toVersion?: number;
  status?: boolean;
  ca?: string;
  json?: boolean;
}

/** The `push` command. */
export function pushCommand(): Command {
  return new Command('push')
    .description('Sign a policy and send it to a robot\'s sim2real agent, which verifies it (signature, SHA-256, onnxruntime, the robot contract), stores it, optionally runs it in shadow and activates it between two control steps; or roll back, pick a stored version, or show the agent\'s status.')
    .argument('[policy]', 'ONNX policy to push')
    .requiredOption('--to <url>', 'the agent\'s management port: wss://robot:9091 (ws:// to loopback only)')
    .option('--token-file <file>', `management token (first line); without it the environment variable ${TOKEN_ENV}`)
    .option('--key <file>', 'private key to sign with (DIR/key from sim2real keys)')
    .option('--shadow <seconds>', 'run it in shadow beside the active version this long first and report how far apart they are', nonNegativeNumber('--shadow'))
    .option('--activate', 'make it the active version (after the shadow run, if any)')
    .option('--rollback', 'return to the version active before the current one')
    .option('--to-version <v>', 'make stored version V active', positiveInt('--to-version'))
    .option('--status', 'show the agent\'s versions, active version, uptime and last interventions')
    .option('--ca <pem>', 'CA certificate to trust for wss:// (a self-signed agent certificate)')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real push runs/a1/policy.onnx --key ~/.sim2real/keys/key --to wss://robot:9091 --token-file ~/.sim2real-token --shadow 10 --activate',
      '  sim2real push --rollback --to wss://robot:9091 --token-file ~/.sim2real-token',
      '  sim2real push --to-version 3 --to wss://robot:9091 --token-file ~/.sim2real-token',
      '  sim2real push --status --to ws://127.0.0.1:9091 --token-file token --json',
      '\nThe agent, the management protocol and what happens on every fault: docs/agent.md',
    ].join('\n'))
    .action(async (policy: string | undefined, o: PushOpts) => {
      const asked = [policy !== undefined, !!o.rollback, o.toVersion !== undefined, !!o.status].filter(Boolean).length;
      if (asked !== 1) throw new UsageError('give exactly one of: a policy file, --rollback, --to-version V, --status');
      if (policy === undefined && (o.key || o.shadow !== undefined || o.activate)) throw new UsageError('--key, --shadow and --activate go with a policy file');
      const token = readToken({ ...(o.tokenFile ? { tokenFile: o.tokenFile } : {}) }, 'push');
      if (!token) throw new UsageError(`the agent needs its management token: --token-file FILE (or ${TOKEN_ENV})`);
      let bytes: Buffer | null = null, sig = null;
      if (policy !== undefined) {
        if (!o.key) throw new UsageError('a push is signed: give --key DIR/key (sim2real keys --out DIR makes one)');
        warnIfShared(o.key, 'push', '--key');
        const key = asUsage(() => loadPrivateKey(o.key as string));
        bytes = asUsage(() => readInputFile(policy, MAX_PUSH_BYTES));
        sig = signPolicy(bytes, key);
      }
      const client = await ManageClient.connect(o.to, { token, ...(o.ca ? { ca: readFileOption(o.ca, '--ca') } : {}) }).catch((e: Error) => {
        throw new UsageError(e.message);
      });
      try {
        if (o.status) return report(o, await client.status(), statusText);
        if (o.rollback) return report(o, await client.rollback(), activationText);
        if (o.toVersion !== undefined) return report(o, await client.activate(o.toVersion), activationText);
        const r = await client.push(bytes!, sig!, { name: path.basename(policy!), ...(o.shadow !== undefined ? { shadowS: o.shadow } : {}), activate: !!o.activate });
        report(o, r, (x) => pushText(policy!, x));
      } catch (e) {
        if (e instanceof PushRefused) throw new Error(`${policy ? `push of ${policy}` : 'the agent'} refused (${e.code}): ${e.message}`);
        throw e;
      } finally {
        await client.close();
      }
    });
}

function report<T>(o: PushOpts, x: T, text: (x: T) => string): void {
  if (o.json) {
    say(text(x));
    printJson(x);
  } else console.log(text(x));
}

function pushText(file: string, r: PushResult): string {
  const lines = [`pushed ${file}: stored as version ${r.version} (task ${r.task}, sha256 ${r.sha256.slice(0, 16)}…)`];
  if (r.shadow) lines.push(shadowText(r.shadow));
  if (r.activated) lines.push(activationText(r.activated));
  else lines.push(r.shadow ? 'not activated (no --activate)' : 'stored, not active (push --to-version V or --activate to run it)');
  return lines.join('\n');
}

function shadowText(s: ShadowReport): string {
  const joints = s.joints.map((j) => `${j.name} mean ${j.mean_abs_diff.toPrecision(3)} max ${j.max_abs_diff.toPrecision(3)}`).join('; ');
  return `shadow ${s.seconds.toFixed(1)} s: ${s.steps} steps (${s.skipped} skipped, ${s.errors} failed); |candidate − active| per joint: ${joints || '–'}; the safety layer would have intervened ${s.would_intervene} times (${(100 * s.would_intervene_fraction).toFixed(1)}%); candidate inference p50 ${fmt(s.latency_ms_p50)} ms, p99 ${fmt(s.latency_ms_p99)} ms`;
}

function activationText(a: { version: number; previous: number | null; kind: string; swap_us: number; reason: string }): string {
  const what = a.kind === 'activate' ? 'activated' : 'rolled back to';
  return `${what} version ${a.version} (was ${a.previous ?? 'none'}) between two control steps; swap ${a.swap_us.toFixed(1)} µs`;
}

function statusText(s: Record<string, unknown>): string {
  const versions = (s.versions as { version: number; name: string; task: string; sha256: string; stored_at: string; active: boolean }[])
    .map((v) => `  ${v.active ? '*' : ' '} ${v.version}  ${v.name}  task ${v.task}  sha256 ${v.sha256.slice(0, 12)}…  ${v.stored_at}`);
  const c = s.controller as { url: string; open_connections: number; steps: number; interventions_noted: number } | null;
  const last = (s.last_interventions as { at: string; version: number | null; what: string }[]).slice(-5).map((i) => `  ${i.at}  version ${i.version ?? '–'}: ${i.what}`);
  return [
    `agent for robot ${s.robot}: up ${s.uptime_s} s; serving ${s.serving}${s.not_running ? ` (${s.not_running})` : ''}; rollback target ${s.previous ?? 'none'}`,
    c ? `controller ${c.url}: ${c.open_connections} connected, ${c.steps} control steps, ${c.interventions_noted} interventions` : 'controller: not served yet',
    `versions (* active):`, ...(versions.length ? versions : ['  none']),
    `last interventions:`, ...(last.length ? last : ['  none']),
  ].join('\n');
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : '–';
}
