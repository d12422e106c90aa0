/** Small helpers shared by the command files: option parsing and output. */

/** Bad input the user can fix: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Wraps a library error caused by user input (unknown env, broken file) as a UsageError. */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Same as `asUsage` for async work. */
export async function asUsageAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Parses a positive integer option, naming the option on failure; above `max` it names the maximum. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name}: expected a positive integer, got "${v}"`);
    if (n > max) throw new UsageError(`${name}: ${v} is above the maximum of ${max}`);
    return n;
  };
}

/** Parses a non-negative integer option (seeds). */
export function nonNegativeInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name}: expected a non-negative integer, got "${v}"`);
    return n;
  };
}

/** Parses a non-negative number option (rates, times), naming the option on failure; an empty value is an error. */
export function nonNegativeNumber(name: string): (v: string) => number {
  return (v: string) => {
    const x = v.trim() === '' ? NaN : Number(v);
    if (!Number.isFinite(x) || x < 0) throw new UsageError(`${name}: expected a number >= 0, got "${v}"`);
    return x;
  };
}

/** Writes the one JSON object a `--json` command prints on stdout. */
export function printJson(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** Human-readable output goes to stderr when stdout carries JSON. */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Formats rows as an aligned text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) => r.map((x, c) => x.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}
