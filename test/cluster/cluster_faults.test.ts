/**
 * Faults a cluster run survives, each with real processes and a real nats-server: a host killed
 * mid-iteration, a learner killed and resumed, the nats-server restarted, a host too slow, hosts
 * sending bad chunks — with the envs reset and env-steps lost reported in metrics.jsonl — and
 * the security rules: no token, no authentication off loopback, another version, TLS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { RolloutHost, type RolloutHostConfig } from '../../src/cluster/host.ts';
import type { StepRows } from '../../src/cluster/group_set.ts';
import type { StepResult } from '../../src/cluster/protocol.ts';
import { sourceInfo } from '../../src/rl/source_info.ts';
import { comparable, HAVE_NATS, metricsRows, NatsServer, REQUIRE_NATS, run, s2r, startHost, tempDir, type Proc } from './nats.ts';

const CARTPOLE = ['--env', 'cartpole', '--seed', '7', '--envs', '16', '--set', 'ppo.num_steps=32', '--set', 'ppo.minibatch_size=128', '--set', 'ppo.num_epochs=2'];
const sum = (rows: Record<string, unknown>[], key: string) => rows.reduce((n, r) => n + ((r[key] as number | undefined) ?? 0), 0);

/** A host in this process that spoils the results of some of its steps (1-based step numbers). */
class RogueHost extends RolloutHost {
  private steps = 0;
  readonly lines: string[];

  constructor(nats: NatsServer, name: string, spoil: Record<number, (r: StepResult, rows: StepRows) => void>, version = sourceInfo().packageVersion) {
    const lines: string[] = [];
    const cfg: RolloutHostConfig = { connection: { url: nats.url, tokenFile: nats.tokenFile }, workers: 1, name, version, log: (l) => lines.push(l) };
    super(cfg);
    this.lines = lines;
    this.tamper = (r, rows) => spoil[++this.steps]?.(r, rows);
  }
}

describe.skipIf(!HAVE_NATS && !REQUIRE_NATS)('a cluster run survives faults (real nats-server and processes)', () => {
  const nats = new NatsServer();
  const dir = tempDir();
  const procs: Proc[] = [];
  const host = async (name: string, ...more: string[]) => {
    const p = await startHost(nats, name, ...more);
    procs.push(p);
    return p;
  };
  const locals = new Map<string, string>();
  async function localRun(args: string[]): Promise<string> {
    const key = args.join(' ');
    if (!locals.has(key)) {
      const out = path.join(dir, `local-${locals.size}`);
      const r = await run('train', ...args, '--workers', '2', '--out', out);
      expect(r.code, r.output).toBe(0);
      locals.set(key, out);
    }
    return locals.get(key) as string;
  }

  beforeAll(() => nats.start());
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await nats.stop();
  });

  it('a host killed mid-iteration: noticed within a second or two, its group restarts on the other host, training goes on', async () => {
    const h1 = await host('k1'), h2 = await host('k2');
    const out = path.join(dir, 'kill');
    const learner = s2r('train', ...CARTPOLE, '--steps', '4096', ...nats.flags, '--out', out);
    await learner.waitFor(/iteration 2\/8/);
    h1.child.kill('SIGKILL');
    expect(await learner.exited, learner.output).toBe(0);
    const line = /host k1 lost \(silent for ([\d.]+) s, its connection closed\); group 0 \(envs 0–7\) → host k2 from a reset: 8 envs reset, (\d+) env-steps of unfinished episodes lost/.exec(learner.output);
    expect(line, learner.output).not.toBeNull();
    expect(Number(line![1])).toBeLessThan(5);
    const rows = metricsRows(out);
    expect(rows).toHaveLength(8);
    expect(sum(rows, 'cluster_faults')).toBe(1);
    expect(sum(rows, 'cluster_envs_reset')).toBe(8);
    expect(sum(rows, 'cluster_lost_env_steps')).toBe(Number(line![2]));
    expect(rows.at(-1)?.cluster_hosts).toBe(1);
    expect(h2.output).toMatch(/took group 0 \(envs 0–7\) from a reset/);
    await h2.stop();
  });

  it('the learner killed: the hosts wait, and serve it again when it is restarted with --resume; the run is as if never stopped', async () => {
    const h1 = await host('l1'), h2 = await host('l2');
    const args = [...CARTPOLE, '--steps', '3072', '--set', 'checkpoint_every=1'];
    const out = path.join(dir, 'learner');
    const first = s2r('train', ...args, ...nats.flags, '--out', out);
    await first.waitFor(/iteration 3\/6/);
    await first.stop('SIGKILL');
    const again = await run('train', '--resume', out, ...nats.flags);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/holds the cluster's lease; waiting for it to end|assigned/);
    expect(again.output).toMatch(/continues from the saved state of its 2 env groups/);
    for (const h of [h1, h2]) expect(h.output).toMatch(/released its groups; waiting for a learner|replaced by run/);
    expect(comparable(out)).toEqual(comparable(await localRun(args)));
    await h1.stop();
    await h2.stop();
  });

  it('nats-server restarted mid-run: both sides reconnect and the run continues unchanged', async () => {
    const h1 = await host('n1'), h2 = await host('n2');
    const args = [...CARTPOLE, '--steps', '4096'];
    const out = path.join(dir, 'restart');
    const learner = s2r('train', ...args, ...nats.flags, '--out', out);
    await learner.waitFor(/iteration 2\/8/);
    await nats.stop();
    await nats.start();
    expect(await learner.exited, learner.output).toBe(0);
    expect(learner.output).toMatch(/nats: disconnected from .*; reconnecting/);
    expect(learner.output).toMatch(/nats: reconnected/);
    expect(h1.output).toMatch(/nats: reconnected/);
    expect(sum(metricsRows(out), 'cluster_faults')).toBe(0);
    expect(comparable(out)).toEqual(comparable(await localRun(args)));
    await h1.stop();
    await h2.stop();
  });

  it('a host too slow: past the iteration deadline its group moves; when it comes back it is told to let go', async () => {
    const h1 = await host('s1'), h2 = await host('s2');
    const out = path.join(dir, 'slow');
    const learner = s2r('train', ...CARTPOLE, '--steps', '4096', ...nats.flags, '--iteration-deadline', '1', '--out', out);
    await learner.waitFor(/iteration 2\/8/);
    // a stopped process is the slowest host there is (its connection stays open)
    h2.child.kill('SIGSTOP');
    await learner.waitFor(/host s2 too slow: held iteration \d+ up for [\d.]+ s after the others had answered \(deadline 1\.0 s\); group 1 \(envs 8–15\) → host s1 from a reset: 8 envs reset/);
    h2.child.kill('SIGCONT');
    expect(await learner.exited, learner.output).toBe(0);
    const rows = metricsRows(out);
    expect(sum(rows, 'cluster_faults')).toBe(1);
    expect(sum(rows, 'cluster_envs_reset')).toBe(8);
    await h2.waitFor(/released group 1|run \w+ ended/);
    await h1.stop();
    await h2.stop();
  });

  it('chunks of the wrong iteration or run are rejected and counted, and the results sent again are the ones trained on', async () => {
    const rogue = new RogueHost(nats, 'rogue', { 5: (r) => { r.iteration -= 1; }, 9: (r) => { r.runId = 'ffffffffffffffff'; } });
    await rogue.start();
    const h1 = await host('b1');
    const args = [...CARTPOLE, '--steps', '2048'];
    const out = path.join(dir, 'stale');
    const r = await run('train', ...args, ...nats.flags, '--out', out);
    await rogue.close();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/rejected a chunk of iteration 0 during step 5 \(iteration 1\)/);
    expect(r.output).toMatch(/rejected a chunk of run ffffffffffffffff during step 9/);
    const rows = metricsRows(out);
    expect(sum(rows, 'cluster_rejected_chunks')).toBe(2);
    expect(sum(rows, 'cluster_faults')).toBe(0);
    expect(comparable(out)).toEqual(comparable(await localRun(args)));
    await h1.stop();
  });

  it('a chunk with non-finite numbers or the wrong shape is rejected, never trained on: its host is dropped and its group restarts elsewhere', async () => {
    const nan = new RogueHost(nats, 'nan', { 5: (_r, rows) => { rows.obs[3] = NaN; } });
    const short = new RogueHost(nats, 'short', { 7: (_r, rows) => { rows.obs = rows.obs.subarray(1); } });
    await nan.start();
    await short.start();
    const h1 = await host('c1');
    const out = path.join(dir, 'bad');
    const r = await run('train', ...CARTPOLE, '--steps', '2048', '--workers', '3', ...nats.flags, '--out', out);
    await nan.close();
    await short.close();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/rejected a chunk of host nan: obs\[3\] is NaN/);
    expect(r.output).toMatch(/rejected a chunk of host short: obs: expected \d+ values, got \d+/);
    expect(r.output).toMatch(/host nan sent a bad chunk \(obs\[3\] is NaN\): rejected; group \d .* → host c1 from a reset/);
    const rows = metricsRows(out);
    expect(sum(rows, 'cluster_rejected_chunks')).toBe(2);
    expect(sum(rows, 'cluster_faults')).toBe(2);
    expect(rows.every((m) => Number.isFinite(m.policy_loss as number))).toBe(true);
    await h1.stop();
  });

  it('security: no token, no authentication off loopback, and another sim2real version are refused, naming what', async () => {
    const intruder = await run('worker', '--cluster', nats.url, '--name', 'intruder');
    expect(intruder.code).toBe(2);
    expect(intruder.output).toMatch(/authorization refused/);
    const open = await run('train', ...CARTPOLE, '--cluster', 'nats://10.255.255.1:4222', '--out', path.join(dir, 'open'));
    expect(open.code).toBe(2);
    expect(open.output).toMatch(/10\.255\.255\.1:4222 is not this machine: refusing to run without authentication/);
    const other = new RogueHost(nats, 'old', {}, '0.0.0-other');
    await other.start();
    const h1 = await host('v1');
    const r = await run('train', ...CARTPOLE, '--steps', '512', ...nats.flags, '--out', path.join(dir, 'version'));
    await other.close();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(new RegExp(`host old runs sim2real 0\\.0\\.0-other, this learner sim2real ${sourceInfo().packageVersion.replace(/\./g, '\\.')}: refused`));
    expect(other.lines.join('\n')).toMatch(new RegExp(`its learner .* runs sim2real ${sourceInfo().packageVersion.replace(/\./g, '\\.')}, this host runs sim2real 0\\.0\\.0-other`));
    expect(r.output).toMatch(/1 env group/);
    await h1.stop();
  });
});

describe.skipIf(!HAVE_NATS && !REQUIRE_NATS)('a cluster over TLS', () => {
  const dir = tempDir();
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  let nats: NatsServer;

  beforeAll(async () => {
    writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=sim2real test CA');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', path.join(dir, 'san.cnf'));
    nats = new NatsServer(['--tls', '--tlscert', path.join(dir, 'server.pem'), '--tlskey', path.join(dir, 'server.key')], 'tls');
    await nats.start();
  }, 60_000);
  afterAll(() => nats?.stop());

  it('hosts and learner verify the server with --tls-ca and train; without the CA the connection is refused', async () => {
    const bad = await run('worker', '--cluster', nats.url, '--token-file', nats.tokenFile);
    expect(bad.code).toBe(2);
    expect(bad.output).toMatch(/TLS failed|certificate/i);
    const ca = ['--tls-ca', path.join(dir, 'ca.pem')];
    const h = await startHost(nats, 't1', ...ca);
    const r = await run('train', ...CARTPOLE, '--steps', '512', ...nats.flags, ...ca, '--out', path.join(dir, 'tls'));
    await h.stop();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/iteration 1\/1: 1 host, 16 envs/);
  });
});
