/**
 * `--robot FILE.json`, shared by the commands that run a task (`train`, `eval`, `view`,
 * `robot`, `export`, `bench sim`): the task on that robot contract instead of its own, and the
 * robot a run directory recorded (its copy under `robot/`, checked against the hash in
 * `config.json`), so that a run's robot follows the run wherever it is evaluated or exported.
 */
import path from 'node:path';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolveTask } from '../../envs/index.ts';
import { taskOnRobot } from '../task/task_registry.ts';
import type { TaskSpec } from '../task/task.ts';
import { loadRobotSpec } from '../robot/robot_spec.ts';
import { checkRobotCopy, type RobotCopy } from '../robot/robot_files.ts';
import { robotMismatch } from '../onnx/robot_fit.ts';
import { writeFileAtomic } from '../rl/atomic_file.ts';
import type { RunRobot } from '../rl/config.ts';
import { asUsage, asUsageAsync, UsageError } from './common.ts';

/** The option's help line. */
export const ROBOT_OPTION_HELP = "robot contract to run the task on instead of its own (robots/NAME.json format, its URDF beside it: docs/robots.md)";

/** The folder of a run directory holding its robot's copy. */
export const RUN_ROBOT_DIR = 'robot';

/** Task `env` (a name or module path) on robot `robot` when given; bad input is a usage error. */
export async function taskFor(env: string, robot: string | undefined): Promise<TaskSpec> {
  const task = await asUsageAsync(() => resolveTask(env));
  return robot === undefined ? task : asUsage(() => taskOnRobot(task, robot));
}

/** The robot record a run's `config.json` holds, if any (older runs and runs on the task's own robot have none). */
function recordedRobot(runDir: string): RunRobot | undefined {
  const file = path.join(runDir, 'config.json');
  if (!existsSync(file)) throw new UsageError(`--run ${runDir}: no config.json (not a run directory)`);
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { robot?: RunRobot }).robot;
  } catch {
    throw new UsageError(`--run ${runDir}: config.json is not valid JSON`);
  }
}

/**
 * The absolute path of the robot contract of run `runDir` whose config records `robot` (its
 * checked copy), or undefined when the run is on its task's own robot (no record).
 */
export function runRobotFile(runDir: string, robot: RunRobot | undefined): string | undefined {
  if (robot === undefined) return undefined;
  return asUsage(() => checkRobotCopy(runDir, robot.file, robot.sha256));
}

/**
 * The robot to run a run's policy on: the one the run recorded, or `given` (`--robot`) after
 * checking it is the same robot with the same joints in the same order (gains may differ).
 * `ownRobot` is the task's own robot, which a run without a record trained on.
 */
export function robotForRun(runDir: string, given: string | undefined, ownRobot: string): string | undefined {
  const recorded = runRobotFile(runDir, recordedRobot(runDir));
  if (given === undefined) return recorded;
  const trained = asUsage(() => loadRobotSpec(recorded ?? ownRobot));
  const spec = asUsage(() => loadRobotSpec(given));
  const why = robotMismatch({ robot: trained.name, jointOrder: trained.joints.map((j) => j.name), controlMode: trained.control_mode }, spec);
  if (why !== null) throw new UsageError(`--robot ${given} does not fit run ${runDir}: ${why.replace('the policy', 'the run')}`);
  return given;
}

/** Writes `copy` under `runDir/robot/` (each file atomically) and returns the record `config.json` keeps. */
export function writeRobotCopy(runDir: string, copy: RobotCopy): RunRobot {
  const dir = path.join(runDir, RUN_ROBOT_DIR);
  for (const f of copy.files) {
    const file = path.join(dir, f.rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, f.bytes);
  }
  return robotRecord(copy);
}

/** The record of `copy` as `config.json` keeps it (`robot/<contract>`, its hash). */
export function robotRecord(copy: RobotCopy): RunRobot {
  return { name: copy.name, file: `${RUN_ROBOT_DIR}/${copy.contract}`, sha256: copy.sha256 };
}
