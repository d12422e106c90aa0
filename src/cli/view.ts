/**
 * `sim2real view`: the visual debugger. Starts the viewer server on loopback with a live
 * simulation (a policy, or zero / random actions), a run's learning curves, or a recording, and
 * runs until Ctrl-C. Bad input that the page can show (unknown env, unfitting policy, corrupt
 * recording) is reported there and here, and the server keeps running.
 */
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listTasks } from '../../envs/index.ts';
import { readMetrics } from '../rl/metrics.ts';
import { PolicyMismatchError } from '../onnx/onnx_policy.ts';
import { ViewerServer } from '../viewer/viewer_server.ts';
import type { PolicyLoader } from '../viewer/session.ts';
import { loadPolicy, type PolicyRef } from './load_policy.ts';
import { nonNegativeInt, positiveInt, say, UsageError } from './common.ts';
import { ROBOT_OPTION_HELP, robotForRun, taskFor } from './robot_option.ts';

/** Most envs the viewer simulates and streams (each frame carries every env's poses). */
const MAX_VIEW_ENVS = 4096;

interface ViewOpts {
  env?: string;
  robot?: string;
  policy?: string;
  run?: string;
  replay?: string;
  envs: number;
  port: number;
  seed: number;
  randomize: boolean;
  open?: boolean;
}

/** The `view` command. */
export function viewCommand(): Command {
  return new Command('view')
    .description('Visual debugger: a three.js page (served on 127.0.0.1) showing the simulation driven by a policy or by zero/random actions, a run\'s learning curves, or a recording.')
    .option('--env <name>', 'task name or task module path (default: the run\'s task with --run)')
    .option('--robot <file.json>', `${ROBOT_OPTION_HELP}; with --run, default the run's robot`)
    .option('--policy <file>', 'ONNX policy to drive the envs')
    .option('--run <dir>', 'run directory: its latest checkpoint drives the envs, its metrics.jsonl is plotted live')
    .option('--replay <file>', 'play a recording (sim2real eval --record FILE) with a timeline')
    .option('--envs <n>', `envs in the batch, 1–${MAX_VIEW_ENVS}`, boundedEnvs, 4)
    .option('--port <n>', 'port on 127.0.0.1, 0–65535 (0: any free port)', portNumber('--port'), 8787)
    .option('--seed <n>', 'seed of the envs', nonNegativeInt('--seed'), 1)
    .option('--no-randomize', 'nominal dynamics instead of the task\'s (or policy\'s) randomization ranges')
    .option('--open', 'open the page in the default browser')
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real view --env cartpole                         random actions, 4 envs',
      '  sim2real view --env cartpole --policy policies/cartpole.onnx',
      '  sim2real view --run runs/cp --open                   checkpoint + live learning curves',
      '  sim2real view --env quadruped --robot robots/a1.json --policy runs/a1/policy.onnx',
      '  sim2real eval --env cartpole --policy policies/cartpole.onnx --record cp.rec',
      '  sim2real view --replay cp.rec',
    ].join('\n'))
    .action(async (o: ViewOpts) => {
      if (o.policy && o.run) throw new UsageError('give --policy <file> or --run <dir>, not both');
      if (o.replay && (o.policy || o.run || o.env)) throw new UsageError('--replay plays a recording: it takes no --env, --policy or --run');
      const env = o.env ?? (o.run ? runEnv(o.run) : undefined);
      if (!env && !o.replay) throw new UsageError('--env <name>, --run <dir> or --replay <file> is required');
      if (o.replay && o.robot) throw new UsageError('--replay plays a recording: it takes no --robot');
      const robot = env && o.run ? robotForRun(o.run, o.robot, (await taskFor(env, undefined)).robot) : o.robot;
      if (env && robot) await taskFor(env, robot); // a robot the task cannot run on is refused here, not on the page
      const server = await startServer(o, env && robot ? { env, file: robot } : undefined);
      const url = `http://127.0.0.1:${server.port}/`;
      say(`sim2real view: ${url} (Ctrl-C to stop)`);
      if (o.replay) await server.loadReplay(o.replay);
      else await server.loadEnv(env as string);
      if (o.open) openBrowser(url);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

async function startServer(o: ViewOpts, robot: { env: string; file: string } | undefined): Promise<ViewerServer> {
  const loadPolicy = o.policy ? viewerPolicyLoader({ onnx: o.policy }) : o.run ? viewerPolicyLoader({ run: o.run }) : undefined;
  const metricsFile = o.run ? path.join(o.run, 'metrics.jsonl') : undefined;
  try {
    return await ViewerServer.start({
      port: o.port, numEnvs: o.envs, seed: o.seed, randomize: o.randomize, loadPolicy,
      metrics: metricsFile ? { file: metricsFile, read: (f) => readMetrics(f) as unknown as Record<string, unknown>[] } : undefined,
      tasks: listTasks().map((t) => t.name),
      ...(robot ? { robot } : {}),
      log: (line) => say(`sim2real view: ${line}`),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port ${o.port}: the port is in use (pick another, or 0 for any free port)`);
    throw e;
  }
}

function boundedEnvs(v: string): number {
  const n = positiveInt('--envs')(v);
  if (n > MAX_VIEW_ENVS) throw new UsageError(`--envs: at most ${MAX_VIEW_ENVS} envs in the viewer, got ${n}`);
  return n;
}

/** Parses a TCP port option: a whole number 0–65535 (0: any free port), naming the option on failure. */
export function portNumber(name: string): (v: string) => number {
  return (v: string) => {
    const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new UsageError(`${name}: expected a port number 0–65535 (0: any free port), got "${v}"`);
    return n;
  };
}

/** The task a run directory trained on (its config.json). */
function runEnv(dir: string): string {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) throw new UsageError(`--run ${dir}: no config.json (not a run directory)`);
  try {
    const env = (JSON.parse(readFileSync(file, 'utf8')) as { env?: unknown }).env;
    if (typeof env === 'string') return env;
  } catch {
    // reported below
  }
  throw new UsageError(`--run ${dir}: config.json does not name an env`);
}

/**
 * The viewer's policy for each env the page shows: `loadPolicy` again at every load, so a run's
 * newest checkpoint is picked up by a page reload. An ONNX file that does not fit is named in the message.
 */
export function viewerPolicyLoader(ref: PolicyRef): PolicyLoader {
  return async (task) => {
    try {
      return await loadPolicy(ref, task);
    } catch (e) {
      if ('onnx' in ref && e instanceof PolicyMismatchError) throw new Error(`policy ${ref.onnx} does not fit env ${task.name}: ${e.message}`);
      throw e;
    }
  };
}

/** Opens `url` with the platform's opener; failures only print the URL again. */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => say(`sim2real view: could not open a browser; open ${url}`));
    child.unref();
  } catch {
    say(`sim2real view: could not open a browser; open ${url}`);
  }
}
