/**
 * `npm run bench:bridge [-- --robots K] [-- --seconds T] [-- --encoding binary|json]
 * [-- --abuse-seconds S] [-- --scenarios load,flood,flood-elsewhere,nonreader,idle]`: the deployment bridge on
 * loopback. `sim2real deploy` serves policies/cartpole.onnx in its own process (a fresh one per
 * scenario); this process runs the robots, each sending observations on its own clock without
 * waiting for replies, and reports observation→action latency at the robot (p50/p99/max) and
 * lost messages (no reply within 2 s, or an error such as `busy`). Prints tables and one JSON line.
 *
 * - `load`: K robots at 50 Hz and one at 1 kHz for T seconds (after a 1 s warm-up).
 *   Target: p99 < 2 ms with 32 robots at 50 Hz, zero lost.
 * - abuse (issue 14): one good controller at 100 Hz for S seconds beside (flood) 20 connections
 *   flooding valid and malformed frames, (nonreader) 4 clients that never read, asking for
 *   1,900 welcomes a second each (just under the frame budget), (idle) 500 idle connections
 *   (deploy started with --max-connections 600); (flood-elsewhere) the flood against a second
 *   server, for what sharing the cores with it costs alone. The abusers run in a worker thread and
 *   reconnect when closed. Also reports the deploy process's resident memory (VmRSS sampled,
 *   VmHWM). Target: the good controller's p99 < 5 ms, its watchdog never trips, zero lost, and
 *   the server's peak RSS < RSS_BOUND_MB.
 */
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BridgeClient, type Reply } from '../src/bridge/client.ts';
import { percentile } from '../src/bridge/stats.ts';
import { table } from '../src/cli/common.ts';
import { arg } from './args.ts';
import { Abusers, processMemoryMb, type AbuseKind, type AbuseReport } from './bridge_abuse.ts';

const K = Number(arg('--robots') ?? '32');
const seconds = Number(arg('--seconds') ?? '10');
const abuseSeconds = Number(arg('--abuse-seconds') ?? '20');
const encoding = (arg('--encoding') ?? 'binary') as 'binary' | 'json';
const scenarios = (arg('--scenarios') ?? 'load,flood,flood-elsewhere,nonreader,idle').split(',');
const warmupS = 1;
const root = path.resolve(import.meta.dirname, '..');
const OBS = ['cart_pos', 'cart_vel', 'pole_angle', 'pole_angvel'];
/** The abuse scenarios' bound on the deploy process's peak resident memory. */
const RSS_BOUND_MB = 256;

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

/** A robot group's numbers. */
interface GroupResult {
  group: string;
  robots: number;
  hz: number;
  sent: number;
  answered: number;
  lost: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** A running `sim2real deploy`. */
interface Deploy {
  url: string;
  child: ChildProcess;
  /** Stops it (SIGTERM) and returns the traffic totals its last log line reports (null when absent). */
  stop(): Promise<Record<string, number> | null>;
}

/** Starts `sim2real deploy` in its own process and resolves once it serves. */
async function startDeploy(extra: string[] = []): Promise<Deploy> {
  const child = spawn(process.execPath, [path.join(root, 'bin/sim2real.js'), 'deploy', '--policy', 'policies/cartpole.onnx', '--listen', '127.0.0.1:0', ...extra], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  // read its log cheaply (this process also measures latency): the URL, then only a short tail
  let log = '';
  let serving = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      log = (log + c.toString()).slice(-65536);
      if (serving) return;
      const m = / on (ws:\/\/[^ ]+):/.exec(log);
      if (m) {
        serving = true;
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`deploy exited (${code}): ${log.slice(-2000)}`)));
  });
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    const m = /stopping after .*; traffic (\{[^}]*\})/.exec(log);
    return m ? (JSON.parse(m[1]!) as Record<string, number>) : null;
  };
  return { url, child, stop };
}

const randomObs = () => [0.1 * (Math.random() - 0.5), 0.2 * (Math.random() - 0.5), 0.05 * (Math.random() - 0.5), 0.2 * (Math.random() - 0.5)];

/**
 * Runs `robots` for a warm-up second + `runS` seconds, each on its own clock, keeping the replies
 * to observations sent after the warm-up; `atWarm` is called (not awaited) when it ends.
 */
async function drive(robots: Robot[], runS: number, atWarm?: () => void): Promise<void> {
  const t0 = performance.now();
  const tWarm = t0 + warmupS * 1000, tEnd = tWarm + runS * 1000;
  for (const r of robots) r.next = t0 + Math.random() * (1000 / r.hz);
  // one scheduler loop: send every observation that is due, on each robot's own clock
  while (performance.now() < tEnd) {
    const now = performance.now();
    if (atWarm && now >= tWarm) {
      atWarm();
      atWarm = undefined;
    }
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
}

async function robot(url: string, group: string, hz: number, i: number): Promise<Robot> {
  const client = await BridgeClient.connect(url, { observations: OBS, encoding, client: `bench#${i}` });
  return { group, hz, client, next: 0, sent: 0, rtts: [], lost: 0, inflight: [] };
}

function summarize(robots: Robot[]): GroupResult[] {
  return [...new Set(robots.map((r) => r.group))].map((g) => {
    const rs = robots.filter((r) => r.group === g);
    const rtts = rs.flatMap((r) => r.rtts);
    const sent = rs.reduce((a, r) => a + r.sent, 0);
    const lost = rs.reduce((a, r) => a + r.lost, 0);
    return { group: g, robots: rs.length, hz: rs[0]!.hz, sent, answered: rtts.length, lost, p50_ms: percentile(rtts, 0.5), p99_ms: percentile(rtts, 0.99), max_ms: Math.max(...rtts) };
  });
}

// -- load: K robots at 50 Hz and one at 1 kHz
async function runLoad(): Promise<GroupResult[]> {
  const { url, stop } = await startDeploy();
  const robots: Robot[] = [];
  const specs = [...Array.from({ length: K }, () => ({ group: `${K}× 50 Hz`, hz: 50 })), { group: '1× 1 kHz', hz: 1000 }];
  for (const [i, s] of specs.entries()) robots.push(await robot(url, s.group, s.hz, i));
  await drive(robots, seconds);
  await Promise.all(robots.map((r) => r.client.close()));
  await stop();
  return summarize(robots);
}

/** One abuse scenario's numbers. */
interface AbuseResult extends GroupResult {
  scenario: string;
  /** The flood against another server: a control row, outside the target. */
  control: boolean;
  watchdog_trips: number;
  unsolicited_safe: number;
  rss_mb_before: number;
  rss_mb_max: number;
  rss_mb_peak: number;
  abusers: AbuseReport;
  /** The server's traffic totals (`stats().traffic`: frames and replies dropped, closes by reason). */
  server: Record<string, number> | null;
}

const ABUSE: Record<string, { kind: AbuseKind; count: number; paceHz?: number; deployArgs?: string[]; elsewhere?: boolean; label: string }> = {
  flood: { kind: 'flood', count: 20, label: '20 flooding' },
  // the same flood against a second deploy process: what sharing the machine with the flood costs by itself
  'flood-elsewhere': { kind: 'flood', count: 20, elsewhere: true, label: '(20 flooding another server)' },
  nonreader: { kind: 'nonreader', count: 4, paceHz: 1900, label: '4 never reading' },
  idle: { kind: 'idle', count: 500, deployArgs: ['--max-connections', '600'], label: '500 idle' },
};

// -- abuse: a good controller at 100 Hz beside abusive connections
async function runAbuse(name: string): Promise<AbuseResult> {
  const sc = ABUSE[name]!;
  const { url, child, stop } = await startDeploy(sc.deployArgs);
  const other = sc.elsewhere ? await startDeploy() : null;
  const good = await robot(url, 'good 100 Hz', 100, 0);
  let unsolicited = 0;
  good.client.on('safe', () => unsolicited++);
  let before = NaN;
  let rssMax = 0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, processMemoryMb(child.pid!).rss)), 250);
  // the abusers start when the warm-up ends, while the good controller keeps its clock
  let abusers: Promise<Abusers> | null = null;
  await drive([good], abuseSeconds, () => {
    before = processMemoryMb(child.pid!).rss;
    abusers = Abusers.start(other?.url ?? url, sc.kind, sc.count, sc.paceHz);
  });
  clearInterval(sampler);
  const safeDuringRun = unsolicited;
  const status = await good.client.status();
  const peak = processMemoryMb(child.pid!).peak;
  const report = await (await abusers!).stop();
  await good.client.close();
  const server = await stop();
  await other?.stop();
  const [g] = summarize([good]);
  return {
    ...g!, scenario: sc.label, control: !!sc.elsewhere, watchdog_trips: status.interventions.watchdog_trips, unsolicited_safe: safeDuringRun,
    rss_mb_before: before, rss_mb_max: rssMax, rss_mb_peak: peak, abusers: report, server,
  };
}

// -- run and report
const load = scenarios.includes('load') ? await runLoad() : [];
const abuse: AbuseResult[] = [];
for (const s of scenarios.filter((x) => x in ABUSE)) abuse.push(await runAbuse(s));

if (load.length) {
  console.log(table(['robots', 'sent', 'answered', 'lost', 'p50 ms', 'p99 ms', 'max ms'], load.map((g) => [
    g.group, g.sent, g.answered, g.lost, g.p50_ms.toFixed(3), g.p99_ms.toFixed(3), g.max_ms.toFixed(2),
  ])));
}
if (abuse.length) {
  if (load.length) console.log('');
  console.log(table(['good 100 Hz beside', 'sent', 'answered', 'lost', 'p50 ms', 'p99 ms', 'max ms', 'watchdog', 'RSS MB before/max/peak', 'abuser frames sent/dropped', 'closed: rate/slow'], abuse.map((a) => [
    a.scenario, a.sent, a.answered, a.lost, a.p50_ms.toFixed(3), a.p99_ms.toFixed(3), a.max_ms.toFixed(2), a.watchdog_trips,
    `${a.rss_mb_before.toFixed(0)}/${a.rss_mb_max.toFixed(0)}/${a.rss_mb_peak.toFixed(0)}`,
    `${a.abusers.sent}/${a.server?.dropped_frames ?? '?'}`, `${a.server?.rate_limit_closes ?? '?'}/${a.server?.slow_reader_closes ?? '?'}`,
  ])));
}
const loadMet = load.length === 0 || (load[0]!.p99_ms < 2 && load.every((g) => g.lost === 0));
const abuseMet = abuse.filter((a) => !a.control).every((a) => a.p99_ms < 5 && a.watchdog_trips === 0 && a.unsolicited_safe === 0 && a.lost === 0 && a.rss_mb_peak < RSS_BOUND_MB);
console.log(JSON.stringify({
  bench: 'bridge', policy: 'policies/cartpole.onnx', encoding, seconds, abuse_seconds: abuseSeconds, cores: os.availableParallelism(), node: process.version,
  groups: load, abuse,
  target: { p99_ms: 2, lost: 0, abuse_p99_ms: 5, abuse_watchdog_trips: 0, abuse_rss_mb: RSS_BOUND_MB }, met: loadMet && abuseMet,
}));
process.exit(0);
