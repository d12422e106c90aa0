/**
 * Training over a real nats-server with rollout host processes gives the run one machine gives
 * with the same worker groups: metrics rows (timings aside) and policy.onnx byte for byte —
 * cartpole and a short quadruped run, with a host joining mid-run, and resumed on another set
 * of hosts or on the local machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { comparable, HAVE_NATS, metricsRows, NatsServer, REQUIRE_NATS, run, s2r, startHost, tempDir, type Proc } from './nats.ts';

const CARTPOLE = ['--env', 'cartpole', '--seed', '5', '--envs', '16', '--set', 'ppo.num_steps=32', '--set', 'ppo.minibatch_size=128', '--set', 'ppo.num_epochs=2'];

describe.skipIf(!HAVE_NATS && !REQUIRE_NATS)('training over rollout hosts (real nats-server and host processes)', () => {
  const nats = new NatsServer();
  const hosts: Proc[] = [];
  const dir = tempDir();

  beforeAll(async () => {
    await nats.start();
    hosts.push(await startHost(nats, 'h1'), await startHost(nats, 'h2'));
  });
  afterAll(async () => {
    for (const h of hosts) await h.stop();
    await nats.stop();
  });

  /** A local run (`--workers 2`) of `args`, computed once per argument list. */
  const locals = new Map<string, Promise<string>>();
  function localRun(args: string[]): Promise<string> {
    const key = args.join(' ');
    if (!locals.has(key)) {
      locals.set(key, (async () => {
        const out = path.join(dir, `local-${locals.size}`);
        const r = await run('train', ...args, '--workers', '2', '--out', out);
        expect(r.code, r.output).toBe(0);
        return out;
      })());
    }
    return locals.get(key) as Promise<string>;
  }

  it('cartpole: 2 hosts × 1 worker give the --workers 2 run, metrics and policy.onnx, and say who took part each iteration', async () => {
    const out = path.join(dir, 'c');
    const args = [...CARTPOLE, '--steps', '2048'];
    const r = await run('train', ...args, ...nats.flags, '--local-workers', '0', '--out', out);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/2 env groups/);
    expect(r.output).toMatch(/iteration 4\/4: 2 hosts, 16 envs \(0 local\); collect [\d.]+ s \(transfer [\d.]+ s\), update [\d.]+ s/);
    const local = await localRun(args);
    expect(comparable(out)).toEqual(comparable(local));
    expect(readFileSync(path.join(out, 'policy.onnx')).equals(readFileSync(path.join(local, 'policy.onnx')))).toBe(true);
    const rows = metricsRows(out);
    expect(rows.map((m) => [m.cluster_hosts, m.cluster_envs_remote, m.cluster_faults])).toEqual(rows.map(() => [2, 16, 0]));
    expect(rows.every((m) => (m.cluster_bytes as number) > 16 * 32 * 4)).toBe(true);
  });

  it('quadruped (a short run): 2 hosts give the --workers 2 run', async () => {
    const out = path.join(dir, 'q');
    const args = ['--env', 'quadruped', '--seed', '2', '--envs', '8', '--steps', '128', '--set', 'ppo.num_steps=8', '--set', 'ppo.minibatch_size=32', '--set', 'ppo.num_epochs=1'];
    const r = await run('train', ...args, ...nats.flags, '--out', out);
    expect(r.code, r.output).toBe(0);
    const local = await localRun(args);
    expect(comparable(out)).toEqual(comparable(local));
    expect(comparable(out)).toHaveLength(2);
    expect(readFileSync(path.join(out, 'policy.onnx')).equals(readFileSync(path.join(local, 'policy.onnx')))).toBe(true);
  });

  it('a run on another robot (--robot) ships its files to the hosts as data, checked against their digest', async () => {
    const out = path.join(dir, 'robot');
    const args = ['--env', 'quadruped', '--robot', 'robots/a1.json', '--seed', '3', '--envs', '4', '--steps', '32', '--set', 'ppo.num_steps=8', '--set', 'ppo.minibatch_size=16', '--set', 'ppo.num_epochs=1'];
    const r = await run('train', ...args, ...nats.flags, '--out', out);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/2 env groups/);
    for (const h of hosts) expect(h.output, `${r.output}\n${h.output}`).toMatch(/joined run \w+: task quadruped on robot a1/);
    expect(comparable(out)).toEqual(comparable(await localRun(args)));
  });

  it('a host joining mid-run gets a group, with its state, from the next iteration on; the run is unchanged', async () => {
    const out = path.join(dir, 'j');
    const args = [...CARTPOLE, '--steps', '3072'];
    // a cluster of its own: h3 alone takes both groups, then h4 joins while the learner is paused
    // (so that it joins before the run ends, however long it takes to start; h3 waits for the learner)
    const own = new NatsServer();
    await own.start();
    const h3 = await startHost(own, 'h3', '--learner-timeout', '300');
    try {
      const learner = s2r('train', ...args, ...own.flags, '--workers', '2', '--out', out);
      await learner.waitFor(/iteration 2\/6/);
      learner.child.kill('SIGSTOP');
      const h4 = await startHost(own, 'h4');
      learner.child.kill('SIGCONT');
      expect(await learner.exited, learner.output).toBe(0);
      await h4.stop();
      expect(learner.output).toMatch(/host h3: group 0 \(envs 0–7\), group 1 \(envs 8–15\)/);
      expect(learner.output).toMatch(/host h4 joined/);
      expect(learner.output).toMatch(/group 1 \(envs 8–15\) moved from host h3 to host h4 with its state/);
    } finally {
      await h3.stop();
      await own.stop();
    }
    const rows = metricsRows(out);
    expect(rows.filter((m) => m.cluster_groups_moved === 1)).toHaveLength(1);
    expect(rows.at(-1)?.cluster_hosts).toBe(2);
    expect(comparable(out)).toEqual(comparable(await localRun(args)));
  });

  it('a cluster run resumes on another set of hosts, or on this machine alone, as if never stopped', async () => {
    const args = [...CARTPOLE, '--steps', '3072'];
    const straight = await localRun(args);
    const a = path.join(dir, 'ra'), b = path.join(dir, 'rb');
    for (const out of [a, b]) {
      // stopped with Ctrl-C partway: the iteration finishes and a checkpoint is written
      const learner = s2r('train', ...args, ...nats.flags, '--local-workers', '0', '--workers', '2', '--out', out);
      await learner.waitFor(/iteration 2\/6/);
      learner.child.kill('SIGINT');
      expect(await learner.exited, learner.output).toBe(0);
      expect(learner.output).toMatch(/stopped: [23]\/6 iterations/);
    }
    // a: a local worker and one host now
    const ra = await run('train', '--resume', a, ...nats.flags, '--local-workers', '1');
    expect(ra.code, ra.output).toBe(0);
    expect(ra.output).toMatch(/resuming at [23]/);
    expect(ra.output).toMatch(/assigned: local workers: group 0 \(envs 0–7\); host h\d: group 1 \(envs 8–15\)/);
    expect(ra.output).toMatch(/continues from the saved state of its 2 env groups/);
    expect(comparable(a)).toEqual(comparable(straight));
    // b: no cluster at all
    const rb = await run('train', '--resume', b);
    expect(rb.code, rb.output).toBe(0);
    expect(comparable(b)).toEqual(comparable(straight));
  });

  it('a host serves run after run, and stops cleanly on Ctrl-C', async () => {
    const h1 = hosts[0] as Proc;
    expect(h1.output.match(/joined run/g)?.length).toBeGreaterThanOrEqual(3);
    expect(h1.output).toMatch(/run \w+ ended; waiting for the next run/);
    h1.child.kill('SIGINT');
    expect(await h1.exited).toBe(0);
    expect(h1.output).toMatch(/host h1: stopped/);
  });
});
