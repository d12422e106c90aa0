/**
 * `npm run bench:cluster [-- --env quadruped] [-- --iterations K] [-- --envs N] [-- --steps T]
 * [-- --threads N]`: env-steps/s with training for a task's recipe (the quadruped's: 512 envs ×
 * 24 steps) two ways on this machine — (a) in-process with 2 worker threads, (b) the learner
 * plus 2 rollout host processes (`sim2real worker --workers 1`) over a local nats-server
 * (JetStream, token auth) — after one warm-up iteration each; the bytes on the wire per
 * env-step, the transfer time and the time (b) adds per iteration. The two runs give the same
 * numbers (docs/cluster.md); only the time differs. Needs `nats-server`
 * (scripts/install-system-deps.sh nats).
 */
import os from 'node:os';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../test/cluster/nats.ts';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getTask } from '../envs/index.ts';
import { resolveTrainConfig, type TrainConfig } from '../src/rl/config.ts';
import type { IterationMetrics } from '../src/rl/runner.ts';
import type { RolloutSource, SourceMetrics } from '../src/rl/rollout_source.ts';
import { trainingEnvs } from '../src/cli/train.ts';
import { cpuThreads } from '../src/cli/backend_choice.ts';
import { table } from '../src/cli/common.ts';
import { ClusterLink } from '../src/cluster/learner_link.ts';
import { ClusterSource } from '../src/cluster/cluster_source.ts';
import { sourceInfo } from '../src/rl/source_info.ts';
import { openCpu } from './backends.ts';
import { trainInTempDir } from './bench_run.ts';
import { arg } from './args.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const env = arg('--env') ?? 'quadruped';
const task = getTask(env);
const iterations = Number(arg('--iterations') ?? 10);
const threads = Number(arg('--threads') ?? cpuThreads());
const recipe = resolveTrainConfig(task, env, []).ppo;
const numEnvs = Number(arg('--envs') ?? recipe.num_envs);
const numSteps = Number(arg('--steps') ?? recipe.num_steps);
// the recipe's minibatch count, whatever --envs and --steps make the batch
const minibatches = Math.max(1, Math.round((recipe.num_envs * recipe.num_steps) / recipe.minibatch_size));
const config = resolveTrainConfig(task, env, [{
  seed: 1, num_workers: 2, checkpoint_every: 1_000_000, total_env_steps: (iterations + 1) * numEnvs * numSteps,
  ppo: { num_envs: numEnvs, num_steps: numSteps, minibatch_size: Math.floor((numEnvs * numSteps) / minibatches) },
}]);

interface Row {
  how: string;
  env_steps_per_s: number;
  seconds_per_iteration: number;
  update_s_per_iteration: number;
  transfer_s_per_iteration: number;
  bytes_per_env_step: number;
}

/** Trains `config` on the source `createSource` makes; the rows after the warm-up iteration. */
async function train(createSource: (c: TrainConfig) => Promise<RolloutSource>): Promise<{ m: IterationMetrics; c: SourceMetrics }[]> {
  const { backend } = openCpu(threads);
  const rows: { m: IterationMetrics; c: SourceMetrics }[] = [];
  await trainInTempDir('s2r-bench-cluster-', config, backend, createSource, (m, c) => rows.push({ m, c }));
  return rows.slice(1);
}

function summarize(how: string, rows: { m: IterationMetrics; c: SourceMetrics }[]): Row {
  const n = rows.length, steps = numEnvs * numSteps;
  const wall = rows.reduce((a, r) => a + steps / r.m.steps_per_s, 0);
  return {
    how, env_steps_per_s: (n * steps) / wall, seconds_per_iteration: wall / n, update_s_per_iteration: rows.reduce((a, r) => a + r.m.time_update_s, 0) / n,
    transfer_s_per_iteration: rows.reduce((a, r) => a + (r.c.cluster_time_transfer_s ?? 0), 0) / n,
    bytes_per_env_step: rows.reduce((a, r) => a + (r.c.cluster_bytes ?? 0), 0) / (n * steps),
  };
}


/** Spawns `cmd` and resolves once its output matches `ready`. */
function start(cmd: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const take = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) resolve(child);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.on('exit', (code) => reject(new Error(`${cmd} exited (${code}) before it was ready:\n${out.slice(-2000)}`)));
  });
}

/** (b): a nats-server and 2 host processes on this machine, the learner in this process. */
async function overNats(): Promise<Row> {
  // Debian puts it in /usr/sbin, which is not on every user's PATH
  const server = spawnSync('sh', ['-c', 'command -v nats-server || ls /usr/sbin/nats-server'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  if (!server) throw new Error('bench:cluster needs nats-server (scripts/install-system-deps.sh nats)');
  const dir = mkdtempSync(path.join(tmpdir(), 's2r-bench-nats-'));
  const token = `b${Math.random().toString(36).slice(2)}`, tokenFile = path.join(dir, 'token'), port = await freePort();
  writeFileSync(tokenFile, token);
  const url = `nats://127.0.0.1:${port}`;
  const procs: ChildProcess[] = [];
  try {
    procs.push(await start(server, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', path.join(dir, 'js'), '--auth', token], /Server is ready/));
    for (const name of ['bench-h1', 'bench-h2']) {
      procs.push(await start(process.execPath, [path.join(ROOT, 'bin/sim2real.js'), 'worker', '--cluster', url, '--token-file', tokenFile, '--workers', '1', '--name', name], /waiting for a learner/));
    }
    const link = await ClusterLink.open({ connection: { url, tokenFile }, version: sourceInfo().packageVersion, log: () => undefined });
    const rows = await train((c) => ClusterSource.create(link, {
      task: c.env, numEnvs: c.ppo.num_envs, numGroups: c.num_workers, seed: c.seed, dr: { ...c.dr }, localWorkers: 0, iterationDeadlineMs: 600_000, log: () => undefined,
    }));
    return summarize('(b) learner + 2 hosts over nats-server', rows);
  } finally {
    for (const p of procs.reverse()) p.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const a = summarize('(a) in-process, 2 workers', await train(trainingEnvs));
const b = await overNats();
console.log(table(['env', 'envs × steps', 'how', 'env-steps/s (training)', 's / iteration', 'update s / iteration', 'transfer s / iteration', 'bytes / env-step'], [a, b].map((r) => [
  env, `${numEnvs} × ${numSteps}`, r.how, Math.round(r.env_steps_per_s), r.seconds_per_iteration.toFixed(3), r.update_s_per_iteration.toFixed(3),
  r.transfer_s_per_iteration.toFixed(3), r.bytes_per_env_step.toFixed(0),
])));
const ratio = b.env_steps_per_s / a.env_steps_per_s;
console.log(`(b)/(a): ${(100 * ratio).toFixed(1)}% of in-process env-steps/s; (b) adds ${(b.seconds_per_iteration - a.seconds_per_iteration).toFixed(3)} s per iteration`);
console.log(JSON.stringify({
  bench: 'cluster', env, node: process.version, cores: os.availableParallelism(), load_avg_1m: os.loadavg()[0], threads, envs: numEnvs, steps_per_iteration: numSteps,
  iterations, in_process: a, over_nats: b, ratio, added_s_per_iteration: b.seconds_per_iteration - a.seconds_per_iteration,
}));
process.exit(0);
