/**
 * The `sim2real` command line: one commander program, one file per command. Commands parse
 * and wire; the work lives in the library. Every failure the user can fix is one line on stderr
 * and exit code 2, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { envsCommand } from './envs.ts';
import { urdfCommand } from './urdf.ts';
import { benchCommand } from './bench.ts';
import { trainCommand } from './train.ts';
import { evalCommand } from './eval.ts';
import { exportCommand } from './export.ts';
import { viewCommand } from './view.ts';
import { deployCommand } from './deploy.ts';
import { robotCommand } from './robot.ts';
import { UsageError } from './common.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Builds the program (exported for tests that drive it in-process). */
export function buildProgram(): Command {
  const program = new Command('sim2real')
    .description('Train robot control policies in parallel Rapier simulation with domain randomization, export them as ONNX, deploy them over WebSocket.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(envsCommand());
  program.addCommand(trainCommand());
  program.addCommand(evalCommand());
  program.addCommand(exportCommand());
  program.addCommand(viewCommand());
  program.addCommand(deployCommand());
  program.addCommand(robotCommand());
  program.addCommand(urdfCommand());
  program.addCommand(benchCommand());
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI with `argv` (as `process.argv`) and exits with its status. */
export async function main(argv: string[]): Promise<void> {
  let code = 0;
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    code = exitCodeFor(e);
  }
  // worker threads or native handles must not keep a finished command alive
  process.exit(code);
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // help and version "errors" are normal exits; commander already printed its message
    return e.exitCode === 0 ? 0 : 2;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`sim2real: ${msg}\n`);
  if (!(e instanceof UsageError) && process.env.SIM2REAL_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  return e instanceof UsageError ? 2 : 1;
}
