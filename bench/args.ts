/** Command-line options of the benchmark scripts (`npm run bench:* -- --name value`). */
import { cpuThreads } from '../src/cli/backend_choice.ts';

/** The arguments after the script name. */
export const args = process.argv.slice(2);

/** The value after `--name`, or undefined when the option is absent. */
export function arg(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * The CPU thread counts to time: `--threads 1,4` as given, else 1 and the count `train` uses
 * (`cpuThreads`: every core the process may use), once each.
 */
export function threadCounts(): number[] {
  const given = arg('--threads');
  const counts = given ? given.split(',').map(Number) : [1, cpuThreads()];
  const bad = counts.find((n) => !Number.isInteger(n) || n < 1);
  if (bad !== undefined) throw new Error(`--threads: expected positive integers separated by commas, got "${given}"`);
  return [...new Set(counts)];
}
