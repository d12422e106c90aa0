/**
 * The network options the serving commands share (`deploy`, `agent`, `push`): a listen address,
 * a token from a file, the environment or (with a warning) the command line, files named by an
 * option, milliseconds within a range.
 */
import { readFileSync, statSync } from 'node:fs';
import type { MsRange } from '../bridge/timer_ranges.ts';
import { say, UsageError } from './common.ts';

/** The environment variable a token is read from when no option names one. */
export const TOKEN_ENV = 'SIM2REAL_TOKEN';

/** `host:port`, `[v6]:port` or a bare port; `option` names the option in the message. */
export function parseListen(text: string, option = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) throw new UsageError(`${option} ${text}: expected host:port (e.g. 127.0.0.1:9090)`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/**
 * The token from `--token-file`, `--token` (with a warning: it shows in the process list) or the
 * environment variable, in that order; null when none is given. `command` names the command in warnings.
 */
export function readToken(o: { token?: string; tokenFile?: string }, command: string): string | null {
  if (o.token && o.tokenFile) throw new UsageError('give --token or --token-file, not both');
  if (o.tokenFile) {
    warnIfShared(o.tokenFile, command);
    return readFileOption(o.tokenFile, '--token-file').toString('utf8').split('\n')[0]!.trim();
  }
  if (o.token) {
    say(`sim2real ${command}: warning: --token shows the token to every user of this machine (ps, /proc/<pid>/cmdline): use --token-file FILE (readable by you only) or the environment variable ${TOKEN_ENV}`);
    return o.token;
  }
  const env = process.env[TOKEN_ENV];
  return env !== undefined && env.trim() !== '' ? env.trim() : null;
}

/** Warns when a secret file (a token, a private key) can be read by other users (POSIX permissions). */
export function warnIfShared(file: string, command: string, option = '--token-file'): void {
  try {
    const mode = statSync(file).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) say(`sim2real ${command}: warning: ${option} ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
  } catch {
    // unreadable: readFileOption says so
  }
}

/** Parses a whole number of milliseconds inside `r`, stating the range when it is not. */
export function msInRange(name: string, r: MsRange): (v: string) => number {
  return (v: string) => {
    const n = v.trim() === '' ? NaN : Number(v);
    if (!Number.isInteger(n) || n < r.min || n > r.max) throw new UsageError(`${name} must be a whole number of milliseconds from ${r.min} to ${r.max} (${r.max / 60_000} min), got "${v}"`);
    return n;
  };
}

/** The bytes of the file an option names; a usage error naming the option when it cannot be read. */
export function readFileOption(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new UsageError(`${option} ${file}: file not found or unreadable`);
  }
}
