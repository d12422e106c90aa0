/** Command-line options of the benchmark scripts (`npm run bench:* -- --name value`). */

/** The arguments after the script name. */
export const args = process.argv.slice(2);

/** The value after `--name`, or undefined when the option is absent. */
export function arg(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
