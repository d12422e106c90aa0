/** `sim2real export`: a run's latest policy as an ONNX file with its deployment contract; also what `train` uses to write `policy.onnx`. */
import { Command } from 'commander';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { CpuBackend } from '../backend/cpu.ts';
import { loadRun } from '../rl/load_run.ts';
import { configHash, type TrainConfig } from '../rl/config.ts';
import type { ActorWeights } from '../rl/ppo_types.ts';
import { checkOutputTarget, writeFileAtomic } from '../rl/atomic_file.ts';
import { sourceInfo } from '../rl/source_info.ts';
import { loadRobotSpec } from '../robot/robot_spec.ts';
import { exportPolicy } from '../onnx/export.ts';
import type { PolicyContract } from '../onnx/metadata.ts';
import { asUsage, asUsageAsync, printJson, say, UsageError } from './common.ts';
import { robotForRun, runRobotFile, taskFor } from './robot_option.ts';

/** What `writeRunPolicy` needs: the run, its trained actor, and where to write. */
export interface RunPolicyInput {
  runDir: string;
  config: TrainConfig;
  weights: ActorWeights;
  /** Training iterations behind the weights. */
  iterations: number;
  /** The `.onnx` file to write (atomically). */
  out: string;
  postprocess: boolean;
  /** The robot contract to describe (same robot and joints as the run's; default: the run's robot). */
  robot?: string;
}

/** Exports a run's actor with the contract of its task and robot, and writes it atomically; returns the contract. */
export async function writeRunPolicy(o: RunPolicyInput): Promise<PolicyContract> {
  const task = await taskFor(o.config.env, o.robot ?? runRobotFile(o.runDir, o.config.robot));
  const src = sourceInfo();
  const { bytes, contract } = exportPolicy(o.weights, {
    task,
    robot: loadRobotSpec(task.robot),
    training: {
      dr: o.config.dr,
      configHash: savedConfigHash(o.runDir) ?? configHash(o.config),
      packageVersion: src.packageVersion,
      gitRevision: src.gitRevision,
      iterations: o.iterations,
      envSteps: o.iterations * o.config.ppo.num_envs * o.config.ppo.num_steps,
    },
  }, { postprocess: o.postprocess });
  writeFileAtomic(o.out, bytes);
  return contract;
}

/** The hash `config.json` was written with (the run's identity, kept across resumes), if any. */
function savedConfigHash(runDir: string): string | null {
  const file = path.join(runDir, 'config.json');
  if (!existsSync(file)) return null;
  const hash = (JSON.parse(readFileSync(file, 'utf8')) as { config_hash?: unknown }).config_hash;
  return typeof hash === 'string' ? hash : null;
}

interface ExportOpts {
  run: string;
  robot?: string;
  out: string;
  postprocess?: boolean;
  json?: boolean;
}

/** The `export` command. */
export function exportCommand(): Command {
  return new Command('export')
    .description('Write a run\'s latest policy as ONNX (opset 17): obs [batch, obs_dim] -> actions [batch, act_dim], normalizer baked in, deployment contract in metadata_props (docs/policy-format.md).')
    .requiredOption('--run <dir>', 'run directory (its latest checkpoint)')
    .requiredOption('--out <file>', 'the .onnx file to write (a regular file, replaced atomically; its directory must exist)')
    .option('--robot <file.json>', `robot contract the policy's contract describes (default: the run's robot; must be the same robot with the same joints, e.g. with gains retuned)`)
    .option('--postprocess', 'bake action clipping, scaling and default joint offsets into the graph: outputs are motor commands')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', '\nExamples:\n  sim2real export --run runs/cartpole-2026-11-26T06-00-00 --out cartpole.onnx\n  sim2real export --run runs/a1 --out a1_targets.onnx --postprocess --json')
    .action(async (o: ExportOpts) => {
      // before any work: a missing directory, or a link, FIFO or device at --out, is refused
      asUsage(() => checkOutputTarget(o.out));
      const run = asUsage(() => loadRun(o.run, new CpuBackend()));
      const robot = o.robot === undefined ? undefined : exportRobot(o.run, o.robot, run.config, (await taskFor(run.config.env, undefined)).robot);
      const contract = await asUsageAsync(async () => writeRunPolicy({
        runDir: o.run, config: run.config, weights: await run.ppo.actorWeights(), iterations: run.ppo.iterations, out: o.out, postprocess: !!o.postprocess,
        ...(robot !== undefined ? { robot } : {}),
      }));
      const what = contract.postprocess ? `motor commands (${contract.controlMode}, post-processing baked in)` : 'raw actions (apply clip, scale and offsets on the robot)';
      const line = `wrote ${o.out}: task ${contract.task} on ${contract.robot}, obs [batch, ${contract.obsDim}] -> ${what} [batch, ${contract.actDim}] from ${run.checkpoint}`;
      if (o.json) {
        say(line);
        printJson({
          out: o.out, run: o.run, checkpoint: run.checkpoint, task: contract.task, robot: contract.robot, obs_dim: contract.obsDim, act_dim: contract.actDim,
          postprocess: contract.postprocess, config_hash: contract.configHash,
        });
      } else console.log(line);
    });
}

/**
 * `export --robot`: the run's robot with other gains is fine, its joints in another order or
 * another default pose (which the policy's observations are relative to) is not.
 */
function exportRobot(runDir: string, given: string, config: TrainConfig, ownRobot: string): string {
  const robot = robotForRun(runDir, given, ownRobot) as string;
  const trained = asUsage(() => loadRobotSpec(runRobotFile(runDir, config.robot) ?? ownRobot));
  const spec = asUsage(() => loadRobotSpec(robot));
  spec.joints.forEach((j, k) => {
    const was = trained.joints[k]?.default_pos;
    if (j.default_pos !== was) throw new UsageError(`--robot ${given}: joint ${j.name} default_pos ${j.default_pos}, the run trained with ${was}: the policy's observations are relative to the default pose`);
  });
  return robot;
}
