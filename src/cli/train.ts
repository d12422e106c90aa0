/** `sim2real train`: PPO on a task, writing a run directory (config, metrics, checkpoints). */
import { Command } from 'commander';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { resolveTask } from '../../envs/index.ts';
import { resolveTrainConfig, type TrainConfig } from '../rl/config.ts';
import { OnPolicyRunner, type IterationMetrics } from '../rl/runner.ts';
import { VecEnv } from '../sim/vec/vec_env.ts';
import { asUsageAsync, nonNegativeInt, nonNegativeNumber, positiveInt, printJson, say, UsageError } from './common.ts';
import { collectSet, configLayers, reservedPath, TRAIN_SHAPE } from './overrides.ts';
import { chooseBackend } from './backend_choice.ts';
import { createProgress, type Progress } from './progress.ts';
import { MAX_ENVS, MAX_ROLLOUT_SAMPLES, MAX_TRAIN_ENV_STEPS, MAX_WORKERS } from './limits.ts';
import { writeRunPolicy } from './export.ts';
import { taskOnRobot } from '../task/task_registry.ts';
import { robotCopy, type RobotCopy } from '../robot/robot_files.ts';
import { ROBOT_OPTION_HELP, robotRecord, runRobotFile, writeRobotCopy } from './robot_option.ts';
import { addClusterAuthOptions, checkClusterOnly, clusterConnection, clusterVersion, type ClusterOpts } from './cluster_options.ts';
import type { RolloutSource, SourceMetrics } from '../rl/rollout_source.ts';
import type { ClusterLink } from '../cluster/learner_link.ts';

/** The options of `sim2real train`, as commander parses them. */
export interface TrainOpts extends ClusterOpts {
  env?: string;
  robot?: string;
  config?: string;
  set?: string[];
  envs?: number;
  workers?: number | 'auto';
  steps?: number;
  seed?: number;
  backend: string;
  out?: string;
  resume?: string;
  initFrom?: string;
  randomize: boolean;
  tensorboard?: boolean;
  json?: boolean;
  localWorkers?: number;
  hostTimeout?: number;
  iterationDeadline?: number;
}

/** Options that only go with `--cluster`. */
const CLUSTER_ONLY = ['localWorkers', 'tokenFile', 'creds', 'tlsCa', 'hostTimeout', 'iterationDeadline'];

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('Train a policy with PPO; writes config.json, metrics.jsonl and checkpoints/ into the run directory.')
    .option('--env <name>', 'task name or task module path')
    .option('--robot <file.json>', `${ROBOT_OPTION_HELP}; copied into the run directory`)
    .option('--config <file>', 'JSON config: top-level keys, "ppo" and "dr" sections')
    .option('--set <key=value>', 'override a config key, e.g. --set ppo.learning_rate=3e-4 --set dr.friction=0.4,1.2 (repeatable)', collectSet)
    .option('--envs <n>', `parallel envs (ppo.num_envs; at most ${MAX_ENVS})`, positiveInt('--envs', MAX_ENVS))
    .option('--workers <n>', `worker threads stepping the envs (at most ${MAX_WORKERS}), or "auto" (one per core, at least 32 envs each)`, (v: string) => (v === 'auto' ? 'auto' : positiveInt('--workers', MAX_WORKERS)(v)))
    .option('--steps <n>', 'env steps to train for', positiveInt('--steps', MAX_TRAIN_ENV_STEPS))
    .option('--seed <n>', 'seed', nonNegativeInt('--seed'))
    .option('--backend <name>', 'auto | cpu | webgpu', 'auto')
    .option('--out <dir>', 'run directory (default runs/<env>-<time>)')
    .option('--resume <dir>', 'continue a run from its latest checkpoint (--steps may extend it)')
    .option('--init-from <dir>', "start from another run's weights (warm start)")
    .option('--no-randomize', 'train without domain randomization')
    .option('--tensorboard', 'also write TensorBoard event files')
    .option('--json', 'print a JSON summary on stdout at the end')
    .option('--cluster <url>', 'step the envs on rollout hosts (sim2real worker) through this nats-server, nats://HOST:4222 (docs/cluster.md); --workers is then the env groups, by default the workers of the hosts present plus --local-workers')
    .option('--local-workers <n>', 'with --cluster: worker threads of this process that step env groups too (default 0)', nonNegativeInt('--local-workers'))
    .option('--host-timeout <s>', 'with --cluster: a host silent this many seconds is lost (default 5)', positiveSeconds('--host-timeout'))
    .option('--iteration-deadline <s>', 'with --cluster: the longest a host may hold an iteration up after the others answered, in seconds, before its env groups move (default 60)', positiveSeconds('--iteration-deadline'));
  return addClusterAuthOptions(cmd, 'with --cluster: ')
    .addHelpText('after', '\nExamples:\n  sim2real train --env cartpole\n  sim2real train --env pendulum --steps 300000 --set ppo.learning_rate=3e-4 --out runs/pend\n  sim2real train --resume runs/pend --steps 500000\n  sim2real train --env quadruped --robot robots/anymal_c.json --out runs/anymal\n  sim2real train --env quadruped --cluster nats://10.0.0.1:4222 --token-file ~/.sim2real/token --local-workers 2')
    .action(async (o: TrainOpts) => {
      checkClusterOnly(o as TrainOpts & Record<string, unknown>, CLUSTER_ONLY);
      const planned = await asUsageAsync(() => planTrainRun(o));
      const { outDir, resume, robot } = planned;
      const link = o.cluster !== undefined ? await openCluster(o) : null;
      const config = link && !resume && (o.workers === undefined || o.workers === 'auto') ? await clusterGroups(link, planned.config, o.localWorkers ?? 0) : planned.config;
      const backend = await chooseBackend(o.backend);
      const total = config.ppo.total_iterations;
      let progress: Progress | undefined;
      let sourceMade = false;
      const runner = await asUsageAsync(() => OnPolicyRunner.create({
        config, backend, outDir, resume, initFrom: o.initFrom, onNotice: say,
        // after the run directory is locked and checked: the robot's copy, then the envs on it
        createSource: async (cfg) => {
          if (robot && !resume) writeRobotCopy(outDir, robot);
          sourceMade = true;
          return link ? clusterEnvs(link, cfg, o, runRobotFile(outDir, cfg.robot)) : trainingEnvs(cfg, runRobotFile(outDir, cfg.robot));
        },
        onIteration: (m, extra) => {
          if (link) sayIteration(m, extra, total);
          // a task's curriculum shows where it stands: terrain level (quadruped_rough)
          const level = extra.terrain_level;
          progress?.update(m.iteration, { return: m.mean_return, steps: m.env_steps, 'steps/s': m.steps_per_s, ...(level !== undefined ? { 'terrain level': level } : {}) });
        },
      })).catch(async (e: unknown) => {
        if (link && !sourceMade) await link.close();
        throw e;
      });
      // a resumed run's ETA counts only this session's iterations; a cluster run prints a line per iteration instead
      progress = link ? { update: () => undefined, stop: () => undefined } : createProgress(`train ${config.env}`, total, 'iterations', { start: runner.iteration });
      let interrupts = 0;
      const onSigint = () => {
        if (++interrupts > 1) process.exit(130);
        say('\ninterrupted: finishing this iteration and writing a checkpoint (Ctrl-C again to quit now)');
        runner.requestStop();
      };
      process.on('SIGINT', onSigint);
      // announced only once Ctrl-C is handled, so an early Ctrl-C cannot kill the run half-written
      const resuming = resume && !runner.startedOver ? `, resuming at ${runner.iteration}` : '';
      say(`run directory: ${outDir} (${total} iterations of ${config.ppo.num_envs} envs × ${config.ppo.num_steps} steps${resuming})`);
      const t0 = Date.now();
      try {
        const why = await runner.run();
        progress.stop();
        // the policy of the last checkpoint, as a deployable file (raw actions; `export --postprocess` for motor commands)
        const policy = path.join(outDir, 'policy.onnx');
        await writeRunPolicy({ runDir: outDir, config, weights: await runner.ppo.actorWeights(), iterations: runner.iteration, out: policy, postprocess: false });
        const summary = { run: outDir, iterations: runner.iteration, stopped: why === 'stopped', wall_s: (Date.now() - t0) / 1000, policy };
        say(`${why === 'stopped' ? 'stopped' : 'done'}: ${runner.iteration}/${total} iterations in ${summary.wall_s.toFixed(1)} s; policy ${policy}; resume with: sim2real train --resume ${outDir}`);
        if (o.json) printJson(summary);
      } finally {
        progress.stop();
        process.off('SIGINT', onSigint);
        await runner.close();
        backend.destroy();
      }
    });
}

/**
 * The envs a run trains on: its task in the local vec env (on the robot contract `robot` when
 * given, else on the task's own), `ppo.num_envs` envs over `num_workers` worker threads,
 * sampling from the run's randomization ranges.
 */
export function trainingEnvs(config: TrainConfig, robot?: string): Promise<VecEnv> {
  return VecEnv.create({
    task: config.env, ...(robot !== undefined ? { robot } : {}), numEnvs: config.ppo.num_envs, numWorkers: config.num_workers,
    seed: config.seed, dr: { ...config.dr }, randomize: true,
  });
}

/** Parses a number of seconds above zero, naming the option on failure. */
function positiveSeconds(name: string): (v: string) => number {
  return (v: string) => {
    const x = nonNegativeNumber(name)(v);
    if (x === 0) throw new UsageError(`${name}: expected a number of seconds above 0, got "${v}"`);
    return x;
  };
}

/** Connects the learner to the cluster (`--cluster`), waiting for the cluster's lease. */
async function openCluster(o: TrainOpts): Promise<ClusterLink> {
  const connection = clusterConnection(o);
  const { ClusterLink } = await import('../cluster/learner_link.ts');
  return asUsageAsync(() => ClusterLink.open({
    connection, version: clusterVersion(), log: say, ...(o.hostTimeout !== undefined ? { hostTimeoutMs: o.hostTimeout * 1000 } : {}),
  }));
}

/**
 * A new cluster run's worker groups when `--workers` does not say: the workers of the hosts
 * present (this learner's version) plus the local ones, at most one group per env.
 */
async function clusterGroups(link: ClusterLink, config: TrainConfig, localWorkers: number): Promise<TrainConfig> {
  const ours = () => link.liveHosts().filter((h) => h.version === link.cfg.version);
  if (ours().length === 0 && localWorkers === 0) {
    say(`cluster: waiting for rollout hosts (start them: sim2real worker --cluster ${link.cfg.connection.url} …; docs/cluster.md)`);
    while (ours().length === 0) await new Promise((r) => setTimeout(r, link.heartbeatMs));
    // the first host seen: give the others started with it a moment to say hello too
    await link.discover(1000);
  }
  const hosts = ours();
  const offered = hosts.reduce((n, h) => n + h.workers, 0) + localWorkers;
  const groups = Math.min(config.ppo.num_envs, MAX_WORKERS, Math.max(1, offered));
  say(`cluster: ${hosts.length} host${hosts.length === 1 ? '' : 's'} present (${hosts.map((h) => `${h.name}: ${h.workers}`).join(', ') || 'none yet'}), ${localWorkers} local workers: ${groups} env group${groups === 1 ? '' : 's'} (give --workers to choose)`);
  return { ...config, num_workers: groups };
}

/** The envs of a cluster run: the run's worker groups over the hosts (and local workers) of `link`. */
async function clusterEnvs(link: ClusterLink, config: TrainConfig, o: TrainOpts, robot?: string): Promise<RolloutSource> {
  const { ClusterSource } = await import('../cluster/cluster_source.ts');
  return ClusterSource.create(link, {
    task: config.env, ...(robot !== undefined ? { robot } : {}), numEnvs: config.ppo.num_envs, numGroups: config.num_workers, seed: config.seed,
    dr: { ...config.dr }, localWorkers: o.localWorkers ?? 0, iterationDeadlineMs: (o.iterationDeadline ?? 60) * 1000, log: say,
  });
}

/** A cluster run's line per iteration: who took part, each stage's time, and any faults. */
function sayIteration(m: IterationMetrics, c: SourceMetrics, total: number): void {
  const n = (k: string) => c[k] ?? 0;
  const ret = m.mean_return === null ? '–' : m.mean_return.toFixed(1);
  const faults = n('cluster_faults') + n('cluster_rejected_chunks') > 0
    ? `; ${n('cluster_faults')} host${n('cluster_faults') === 1 ? '' : 's'} lost, ${n('cluster_envs_reset')} envs reset, ${n('cluster_lost_env_steps')} env-steps lost, ${n('cluster_rejected_chunks')} chunks rejected` : '';
  say(`iteration ${m.iteration}/${total}: ${n('cluster_hosts')} host${n('cluster_hosts') === 1 ? '' : 's'}, ${n('cluster_envs_remote') + n('cluster_envs_local')} envs (${n('cluster_envs_local')} local); collect ${(m.time_env_s + m.time_policy_s).toFixed(2)} s (transfer ${n('cluster_time_transfer_s').toFixed(2)} s), update ${m.time_update_s.toFixed(2)} s; return ${ret}, ${m.steps_per_s.toFixed(0)} steps/s${faults}`);
}

/**
 * Resolves the configuration and the run directory from the options: `--config` and `--set`
 * typed by the training config's shape, then checked by `resolveTrainConfig`. With `--robot`,
 * also the robot's files to copy into the run directory (`robot`), recorded in the config.
 */
export async function planTrainRun(o: TrainOpts): Promise<{ config: TrainConfig; outDir: string; resume: boolean; robot?: RobotCopy }> {
  if (o.resume) {
    const fixed = (['env', 'robot', 'config', 'set', 'envs', 'workers', 'seed', 'out', 'initFrom', 'tensorboard'] as const).filter((k) => o[k] !== undefined);
    if (fixed.length) throw new UsageError(`--resume keeps the run's configuration; drop ${fixed.map((k) => `--${k === 'initFrom' ? 'init-from' : k}`).join(', ')} (only --steps may change)`);
    if (!o.randomize) throw new UsageError('--resume keeps the run\'s configuration; drop --no-randomize');
    const file = path.join(o.resume, 'config.json');
    if (!existsSync(file)) throw new UsageError(`--resume ${o.resume}: no config.json (not a run directory)`);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as TrainConfig & { config_hash?: string };
    const reserved = reservedPath(saved as unknown as Record<string, unknown>);
    if (reserved !== undefined) throw new UsageError(`--resume ${o.resume}: config.json holds a reserved name "${reserved}", not a config key`);
    const task = await resolveTask(saved.env);
    const layer = savedLayer(saved);
    if (o.steps !== undefined) layer.total_env_steps = o.steps;
    return { config: checkTrainLimits(resolveTrainConfig(task, saved.env, [layer], 'run config')), outDir: o.resume, resume: true };
  }
  if (!o.env) throw new UsageError('--env is required (see sim2real envs)');
  const own = await resolveTask(o.env);
  // the task on the robot, checked before anything is written; its copy is written once the run directory is locked
  const robot = o.robot === undefined ? undefined : robotCopy(o.robot);
  const task = o.robot === undefined ? own : taskOnRobot(own, o.robot);
  const [fileLayer, setLayer] = configLayers(o.config, o.set, TRAIN_SHAPE);
  for (const layer of [fileLayer, setLayer]) {
    if (layer && Object.hasOwn(layer, 'robot')) throw new UsageError('robot: give the robot with --robot FILE.json (not in --config or --set)');
  }
  const flags: Record<string, unknown> = {};
  if (robot) flags.robot = robotRecord(robot);
  if (o.envs !== undefined) flags.ppo = { num_envs: o.envs };
  if (o.workers !== undefined) flags.num_workers = o.workers;
  if (o.steps !== undefined) flags.total_env_steps = o.steps;
  if (o.seed !== undefined) flags.seed = o.seed;
  if (!o.randomize) flags.randomize = false;
  if (o.tensorboard) flags.tensorboard = true;
  const config = checkTrainLimits(resolveTrainConfig(task, o.env, [fileLayer ?? {}, setLayer ?? {}, flags]));
  const outDir = o.out ?? path.join('runs', `${task.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  return { config, outDir, resume: false, ...(robot ? { robot } : {}) };
}

/**
 * Returns `config` if its sizes are within the command line's stated maximums (src/cli/limits.ts),
 * whichever way they were given (`--envs`, `--set`, `--config`, a saved run); else a usage error
 * naming the key and the maximum.
 */
function checkTrainLimits(config: TrainConfig): TrainConfig {
  const { num_envs: envs, num_steps: steps } = config.ppo;
  const over: [string, number, number][] = [
    ['ppo.num_envs', envs, MAX_ENVS], ['num_workers', config.num_workers, MAX_WORKERS], ['total_env_steps', config.total_env_steps, MAX_TRAIN_ENV_STEPS],
  ];
  for (const [key, value, max] of over) if (value > max) throw new UsageError(`${key} ${value} is above the maximum of ${max}`);
  if (envs * steps > MAX_ROLLOUT_SAMPLES) {
    throw new UsageError(`ppo.num_envs × ppo.num_steps = ${envs} × ${steps} = ${envs * steps} samples per rollout is above the maximum of ${MAX_ROLLOUT_SAMPLES}`);
  }
  return config;
}

/**
 * A saved `config.json` as a config layer: without the env (given apart) and without what is
 * derived rather than set: `config_hash`, and `ppo.total_iterations`, recomputed from
 * `total_env_steps` so that `--resume --steps` can extend the run.
 */
function savedLayer(saved: TrainConfig & { config_hash?: string }): Record<string, unknown> {
  const { env: _env, config_hash: _hash, ...layer } = saved as unknown as Record<string, unknown>;
  const ppo = layer.ppo;
  if (typeof ppo === 'object' && ppo !== null && !Array.isArray(ppo)) {
    const { total_iterations: _iterations, ...rest } = ppo as Record<string, unknown>;
    layer.ppo = rest;
  }
  return layer;
}
