/**
 * One trainer per run directory: `run.lock` holds the writer's pid, host and start time while it
 * trains, so a second `train --resume` on the same directory stops at once, naming the holder,
 * instead of writing duplicate iterations beside it. A lock left by a process that died (kill -9,
 * a power cut) is recognised on the same host — its pid is gone, or now belongs to a younger
 * process, or the machine has rebooted since — and taken over.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** The lock's file name inside the run directory. */
export const LOCK_FILE = 'run.lock';

/** What the lock file holds (JSON). */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder took the lock (ISO 8601). */
  started_at: string;
  /** Linux: the kernel's boot id, so a lock from before a reboot is known to be stale. */
  boot_id?: string;
  /** Linux: the holder process's start time (clock ticks since boot), so a reused pid is told apart. */
  proc_start?: string;
}

/** A run directory another live process is training in. */
export class RunLockedError extends Error {
  constructor(message: string, readonly holder: LockHolder | null) {
    super(message);
    this.name = 'RunLockedError';
  }
}

/** A held lock on a run directory; `release()` (idempotent) removes it, as does the process exiting. */
export class RunLock {
  private held = true;
  private readonly onExit = () => this.release();

  private constructor(readonly file: string, private readonly content: string) {
    process.on('exit', this.onExit);
  }

  /**
   * Takes the lock of run directory `dir` (which must exist). A live holder is a
   * {@link RunLockedError} naming its pid; a stale one is taken over, and `onNotice` says so.
   */
  static acquire(dir: string, onNotice: (line: string) => void = () => {}): RunLock {
    const file = path.join(dir, LOCK_FILE);
    const content = `${JSON.stringify(ownHolder())}\n`;
    const temp = path.join(dir, `.${LOCK_FILE}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    writeFileSync(temp, content, { flag: 'wx', mode: 0o644 });
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        if (tryLink(temp, file)) return new RunLock(file, content);
        const text = readOrNull(file);
        if (text === null) continue; // released meanwhile
        const holder = parseHolder(text);
        if (holder === null) throw lockedError(dir, file, null, false);
        const alive = holderAlive(holder);
        if (alive !== false) throw lockedError(dir, file, holder, alive === null);
        if (takeOver(file, text)) onNotice(`${dir}: took over the lock of pid ${holder.pid} (started ${holder.started_at}), which is no longer running`);
      }
      throw new RunLockedError(`${dir}: could not take ${file}: other processes keep taking it`, null);
    } finally {
      rmSync(temp, { force: true });
    }
  }

  /** Removes the lock file, if it is still this lock's. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.off('exit', this.onExit);
    if (readOrNull(this.file) === this.content) rmSync(this.file, { force: true });
  }
}

/** This process as a lock holder. */
function ownHolder(): LockHolder {
  const bootId = readOrNull('/proc/sys/kernel/random/boot_id')?.trim();
  const procStart = processStart(process.pid);
  return {
    pid: process.pid, host: hostname(), started_at: new Date().toISOString(),
    ...(bootId ? { boot_id: bootId } : {}), ...(procStart !== null ? { proc_start: procStart } : {}),
  };
}

/**
 * Whether the holder still runs: false when it surely does not (same host, and its pid is gone,
 * or names a process started at another time, or the host rebooted), null when that cannot be
 * told from here (another host), true otherwise.
 */
function holderAlive(h: LockHolder): boolean | null {
  if (h.host !== hostname()) return null;
  const bootId = readOrNull('/proc/sys/kernel/random/boot_id')?.trim();
  if (h.boot_id !== undefined && bootId !== undefined && h.boot_id !== bootId) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    // EPERM: the pid runs, as another user
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStart(h.pid);
  return !(h.proc_start !== undefined && start !== null && start !== h.proc_start);
}

/** Linux: field 22 of /proc/<pid>/stat, the process's start time in clock ticks since boot. */
function processStart(pid: number): string | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // the command name (field 2) is in parentheses and may hold spaces: count fields after it
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

function lockedError(dir: string, file: string, holder: LockHolder | null, otherHost: boolean): RunLockedError {
  if (holder === null) {
    return new RunLockedError(`${dir} is locked by ${file}, which cannot be read; if no trainer uses this run directory, delete ${file}`, null);
  }
  const who = `pid ${holder.pid} on ${otherHost ? `host ${holder.host}` : 'this host'} since ${holder.started_at}`;
  const what = otherHost
    ? `if no trainer on ${holder.host} uses it, delete ${file}`
    : `wait for it to finish or stop it (kill -INT ${holder.pid} writes a checkpoint first)`;
  return new RunLockedError(`${dir} is in use by another trainer: ${who} holds ${file}; ${what}`, holder);
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isSafeInteger(h.pid) || typeof h.host !== 'string' || typeof h.started_at !== 'string') return null;
    return h as LockHolder;
  } catch {
    return null;
  }
}

/** Creates `file` as a hard link to the complete `temp`: atomic, and fails if `file` exists. */
function tryLink(temp: string, file: string): boolean {
  try {
    linkSync(temp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
  }
  // a file system without hard links: exclusive create, then the content
  try {
    writeFileSync(file, readFileSync(temp), { flag: 'wx', mode: 0o644 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Removes the stale lock whose content is `staleText`. It is moved aside first and checked, so a
 * lock another process took over meanwhile is put back instead of removed.
 */
function takeOver(file: string, staleText: string): boolean {
  const aside = path.join(path.dirname(file), `.${LOCK_FILE}.stale-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  const moved = readOrNull(aside);
  if (moved !== staleText) {
    try {
      linkSync(aside, file);
    } catch {
      // a third process holds the lock by now; it stays
    }
  }
  rmSync(aside, { force: true });
  return moved === staleText;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
