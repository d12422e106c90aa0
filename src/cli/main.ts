/**
 * The `sim2real` command line: one commander program, one file per command. Commands parse
 * and wire; the work lives in the library. Every failure the user can fix is one line on stderr
 * and exit code 2, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from './common.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Each command's module, loaded only when the program needs it: `sim2real deploy` (which runs
 * on a robot's computer) then loads the bridge and the ONNX runtime, never the simulator, the
 * trainer or three.js. The order is the order of `sim2real --help`.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  envs: async () => (await import('./envs.ts')).envsCommand(),
  train: async () => (await import('./train.ts')).trainCommand(),
  worker: async () => (await import('./worker.ts')).workerCommand(),
  eval: async () => (await import('./eval.ts')).evalCommand(),
  export: async () => (await import('./export.ts')).exportCommand(),
  view: async () => (await import('./view.ts')).viewCommand(),
  deploy: async () => (await import('./deploy.ts')).deployCommand(),
  agent: async () => (await import('./agent.ts')).agentCommand(),
  keys: async () => (await import('./keys.ts')).keysCommand(),
  push: async () => (await import('./push.ts')).pushCommand(),
  robot: async () => (await import('./robot.ts')).robotCommand(),
  calibrate: async () => (await import('./calibrate.ts')).calibrateCommand(),
  urdf: async () => (await import('./urdf.ts')).urdfCommand(),
  bench: async () => (await import('./bench.ts')).benchCommand(),
};

/**
 * Builds the program with the command `argv` names, or with every command when it names none
 * (top-level help, `help`, a typo — commander then lists them all).
 */
async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('sim2real')
    .description('Train robot control policies in parallel Rapier simulation with domain randomization, export them as ONNX, deploy them over WebSocket.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const named = argv[2];
  const names = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  for (const name of names) program.addCommand(await (COMMANDS[name] as () => Promise<Command>)());
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI with `argv` (as `process.argv`) and exits with its status. */
export async function main(argv: string[]): Promise<void> {
  let code = 0;
  try {
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (e) {
    code = exitCodeFor(e);
  }
  // worker threads or native handles must not keep a finished command alive; but a large
  // output to a pipe (`sim2real urdf big.urdf --json | jq`) must reach it whole first
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** Resolves once what was written to `stream` has been handed to the OS (at most 10 s; a closed pipe does not wait). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    stream.once('error', () => resolve());
    stream.write('', () => {
      clearTimeout(timer);
      resolve();
    });
  });
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
