/**
 * `npm run bench:agent [-- --seconds T] [-- --rates 50,500] [-- --robots cartpole,quadruped]
 * [-- --push-every-s P]`: the on-robot agent's control loop while policies are pushed and swapped.
 * `sim2real agent` runs in its own process (a fresh store per row); this process is the robot's
 * controller, sending one observation per control period on its own clock (binary encoding) and
 * waiting for each reply, and every P seconds it pushes the robot's shipped policy again, signed,
 * with `--activate` (upload, verification, onnxruntime load, store, swap). Reported per robot and
 * rate: control-loop latency at the controller (observation sent → command received: p50, p99,
 * max), the p99 of the steps sent while a push was being received and verified, and of the steps
 * within one period of a swap; steps missed (no command: an error, the safe command, or no reply
 * within 2 s) and late (the command came after the next step was due); the swap itself as the
 * agent timed it (µs the control loop was held) and a whole push as the pusher saw it. Prints a
 * table and one JSON line. Target: 0 missed, p99 under one control period during pushes and swaps.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManageClient } from '../src/agent/manage_client.ts';
import { loadPrivateKey, signPolicy, writeKeyPair } from '../src/agent/signing.ts';
import { BridgeClient } from '../src/bridge/client.ts';
import { percentile } from '../src/bridge/stats.ts';
import { table } from '../src/cli/common.ts';
import { OnnxPolicy } from '../src/onnx/onnx_policy.ts';
import { arg } from './args.ts';

const seconds = Number(arg('--seconds') ?? '8');
const rates = (arg('--rates') ?? '50,500').split(',').map(Number);
const robots = (arg('--robots') ?? 'cartpole,quadruped').split(',');
const pushEveryS = Number(arg('--push-every-s') ?? '1');
const root = path.resolve(import.meta.dirname, '..');
const TOKEN = 'bench-agent-token-0123';

/** One step as the controller saw it. */
interface Step {
  sentMs: number;
  rttMs: number;
  kind: string;
}

/** One push as the pusher saw it. */
interface Push {
  startMs: number;
  storedMs: number;
  activatedMs: number;
  swapUs: number;
}

/** A row of the table. */
interface Row {
  robot: string;
  rate_hz: number;
  steps: number;
  missed: number;
  late: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  p99_during_push_ms: number;
  steps_during_push: number;
  p99_around_swap_ms: number;
  steps_around_swap: number;
  pushes: number;
  swap_us_max: number;
  push_ms_p50: number;
}

/** Starts an agent for `robot` with a fresh store; its management and controller URLs once the first push is active. */
async function startAgent(robot: string, dir: string, policy: Uint8Array, keyFile: string, pubFile: string) {
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const child = spawn(process.execPath, [path.join(root, 'bin/sim2real.js'), 'agent', '--robot', `robots/${robot}.json`, '--store', path.join(dir, 'store'),
    '--listen', '127.0.0.1:0', '--manage', '127.0.0.1:0', '--token-file', tokenFile, '--trust', pubFile], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const manage = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      log = (log + String(d)).slice(-4000);
      const m = /management (ws:\/\/\S+);/.exec(log);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`agent exited (${code}): ${log}`)));
  });
  const client = await ManageClient.connect(manage, { token: TOKEN });
  await client.push(policy, signPolicy(policy, loadPrivateKey(keyFile)), { name: `${robot}.onnx`, activate: true });
  const url = ((await client.status()).controller as { url: string }).url;
  return { child, client, url };
}

/** Sends one observation per period for `ms`, waiting for each reply; pushes run beside it. */
async function controlLoop(client: BridgeClient, obsDim: number, hz: number, ms: number, steps: Step[]): Promise<void> {
  const period = 1000 / hz;
  const start = performance.now();
  let next = start;
  const obs = new Float32Array(obsDim);
  while (next - start < ms) {
    // sleep to just before the deadline, then yield until it (timers are ~1 ms coarse)
    const wait = next - performance.now() - 1.5;
    if (wait > 0) await sleep(wait);
    while (performance.now() < next) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < obsDim; i++) obs[i] = 0.05 * Math.sin(next / 300 + i);
    const sentMs = performance.now();
    const r = await client.request(obs, sentMs);
    steps.push({ sentMs, rttMs: r.rttMs, kind: r.kind });
    next += period;
    if (performance.now() > next + period) next = performance.now(); // fell a whole period behind: the controller skips ahead
  }
}

async function benchRow(robot: string, hz: number): Promise<Row> {
  const dir = mkdtempSync(path.join(tmpdir(), 's2r-bench-agent-'));
  const keys = writeKeyPair(path.join(dir, 'keys'));
  const policy = readFileSync(path.join(root, 'policies', `${robot}.onnx`));
  const p = await OnnxPolicy.fromBytes(policy);
  const names = p.contract.observations.map((o) => o.name);
  await p.dispose();
  const agent = await startAgent(robot, dir, policy, keys.privateFile, keys.publicFile);
  const controller = await BridgeClient.connect(agent.url, { observations: names, encoding: 'binary', client: 'bench-agent' });
  const steps: Step[] = [], pushes: Push[] = [];
  try {
    await controlLoop(controller, names.length, hz, 1000, []); // warm-up
    let running = true;
    const pusher = (async () => {
      const key = loadPrivateKey(keys.privateFile);
      while (running) {
        await sleep(pushEveryS * 1000);
        if (!running) break;
        const push: Push = { startMs: performance.now(), storedMs: NaN, activatedMs: NaN, swapUs: NaN };
        const r = await agent.client.push(policy, signPolicy(policy, key), {
          name: `${robot}.onnx`, activate: true,
          onReply: (m) => {
            if (m.op === 'stored') push.storedMs = performance.now();
            if (m.op === 'activated') push.activatedMs = performance.now();
          },
        });
        push.swapUs = r.activated?.swap_us ?? NaN;
        pushes.push(push);
      }
    })();
    await controlLoop(controller, names.length, hz, seconds * 1000, steps);
    running = false;
    await pusher;
  } finally {
    await controller.close();
    await agent.client.close();
    agent.child.kill('SIGTERM');
    await new Promise((r) => agent.child.once('exit', r));
  }
  const period = 1000 / hz;
  const rtt = (xs: Step[]) => xs.map((s) => s.rttMs);
  const duringPush = steps.filter((s) => pushes.some((p) => s.sentMs >= p.startMs && s.sentMs <= p.storedMs));
  const aroundSwap = steps.filter((s) => pushes.some((p) => Math.abs(s.sentMs - p.activatedMs) <= period + 5));
  return {
    robot, rate_hz: hz, steps: steps.length,
    missed: steps.filter((s) => s.kind !== 'action').length,
    late: steps.filter((s) => s.rttMs > period).length,
    p50_ms: percentile(rtt(steps), 0.5), p99_ms: percentile(rtt(steps), 0.99), max_ms: Math.max(...rtt(steps)),
    p99_during_push_ms: percentile(rtt(duringPush), 0.99), steps_during_push: duringPush.length,
    p99_around_swap_ms: percentile(rtt(aroundSwap), 0.99), steps_around_swap: aroundSwap.length,
    pushes: pushes.length, swap_us_max: Math.max(...pushes.map((p) => p.swapUs)),
    push_ms_p50: percentile(pushes.map((p) => p.activatedMs - p.startMs), 0.5),
  };
}

const rows: Row[] = [];
for (const robot of robots) for (const hz of rates) rows.push(await benchRow(robot, hz));
const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
console.log(`agent control loop during pushes and swaps: ${seconds} s per row, a signed push with --activate every ${pushEveryS} s (${process.platform}/${process.arch}, ${process.version})`);
console.log(table(
  ['robot', 'Hz', 'steps', 'missed', 'late', 'p50 ms', 'p99 ms', 'max ms', 'p99 in push', 'p99 at swap', 'pushes', 'swap µs max', 'push ms p50'],
  rows.map((r) => [r.robot, r.rate_hz, r.steps, r.missed, r.late, f(r.p50_ms), f(r.p99_ms), f(r.max_ms), `${f(r.p99_during_push_ms)} (${r.steps_during_push})`, `${f(r.p99_around_swap_ms)} (${r.steps_around_swap})`, r.pushes, f(r.swap_us_max, 1), f(r.push_ms_p50, 1)]),
));
console.log(JSON.stringify({ bench: 'agent', seconds, push_every_s: pushEveryS, rows }));
process.exit(0);
