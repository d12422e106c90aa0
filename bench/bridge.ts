/**
 * `npm run bench:bridge [-- --robots K] [-- --seconds T] [-- --encoding binary|json]`: the
 * deployment bridge under load on loopback. `sim2real deploy` serves policies/cartpole.onnx in
 * its own process; this process runs K simulated robots at 50 Hz and one at 1 kHz for T
 * seconds (after a 1 s warm-up), each sending observations on its own clock without waiting for
 * replies. Reports observation→action latency at the robot (p50/p99/max) and lost messages
 * (no reply within 2 s, or an error such as `busy`). Prints a table and one JSON line.
 * Target (bridge issue): p99 < 2 ms with 32 robots at 50 Hz, zero lost.
 */
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BridgeClient, type Reply } from '../src/bridge/client.ts';
import { percentile } from '../src/bridge/stats.ts';
import { table } from '../src/cli/common.ts';
import { arg } from './args.ts';

const K = Number(arg('--robots') ?? '32');
const seconds = Number(arg('--seconds') ?? '10');
const encoding = (arg('--encoding') ?? 'binary') as 'binary' | 'json';
const warmupS = 1;
const root = path.resolve(import.meta.dirname, '..');
const OBS = ['cart_pos', 'cart_vel', 'pole_angle', 'pole_angvel'];

/** One simulated robot's schedule and what came back. */
interface Robot {
  group: string;
  hz: number;
  client: BridgeClient;
  next: number;
  sent: number;
  rtts: number[];
  lost: number;
  inflight: Promise<void>[];
}

// -- server in its own process
const deploy = spawn(process.execPath, [path.join(root, 'bin/sim2real.js'), 'deploy', '--policy', 'policies/cartpole.onnx', '--listen', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
const url = await new Promise<string>((resolve, reject) => {
  deploy.stderr.on('data', (c: Buffer) => {
    log += c.toString();
    const m = / on (ws:\/\/[^ ]+):/.exec(log);
    if (m) resolve(m[1]!);
  });
  deploy.on('exit', (code) => reject(new Error(`deploy exited (${code}): ${log}`)));
});

// -- robots
const robots: Robot[] = [];
const specs = [...Array.from({ length: K }, () => ({ group: `${K}× 50 Hz`, hz: 50 })), { group: '1× 1 kHz', hz: 1000 }];
for (const [i, s] of specs.entries()) {
  const client = await BridgeClient.connect(url, { observations: OBS, encoding, client: `bench#${i}` });
  robots.push({ ...s, client, next: 0, sent: 0, rtts: [], lost: 0, inflight: [] });
}
const randomObs = () => [0.1 * (Math.random() - 0.5), 0.2 * (Math.random() - 0.5), 0.05 * (Math.random() - 0.5), 0.2 * (Math.random() - 0.5)];
const t0 = performance.now();
const tWarm = t0 + warmupS * 1000, tEnd = tWarm + seconds * 1000;
for (const r of robots) r.next = t0 + Math.random() * (1000 / r.hz);

// one scheduler loop: send every observation that is due, on each robot's own clock
while (performance.now() < tEnd) {
  const now = performance.now();
  for (const r of robots) {
    while (r.next <= now) {
      const counted = r.next >= tWarm;
      r.next += 1000 / r.hz;
      if (counted) r.sent++;
      r.inflight.push(r.client.request(randomObs()).then((reply: Reply) => {
        if (!counted) return;
        if (reply.kind === 'action') r.rtts.push(reply.rttMs);
        else r.lost++;
      }));
    }
  }
  const wait = Math.min(...robots.map((r) => r.next)) - performance.now();
  await sleep(Math.max(0, Math.min(wait, 1)));
}
for (const r of robots) await Promise.all(r.inflight);
await Promise.all(robots.map((r) => r.client.close()));
deploy.kill('SIGTERM');

// -- report
const groups = [...new Set(robots.map((r) => r.group))].map((g) => {
  const rs = robots.filter((r) => r.group === g);
  const rtts = rs.flatMap((r) => r.rtts);
  const sent = rs.reduce((a, r) => a + r.sent, 0);
  const lost = rs.reduce((a, r) => a + r.lost, 0);
  return { group: g, robots: rs.length, hz: rs[0]!.hz, sent, answered: rtts.length, lost, p50_ms: percentile(rtts, 0.5), p99_ms: percentile(rtts, 0.99), max_ms: Math.max(...rtts) };
});
console.log(table(['robots', 'sent', 'answered', 'lost', 'p50 ms', 'p99 ms', 'max ms'], groups.map((g) => [
  g.group, g.sent, g.answered, g.lost, g.p50_ms.toFixed(3), g.p99_ms.toFixed(3), g.max_ms.toFixed(2),
])));
const main = groups[0]!;
console.log(JSON.stringify({
  bench: 'bridge', policy: 'policies/cartpole.onnx', encoding, seconds, cores: os.availableParallelism(), node: process.version, groups,
  target: { p99_ms: 2, lost: 0 }, met: main.p99_ms < 2 && groups.every((g) => g.lost === 0),
}));
process.exit(0);
