/**
 * What native code writes to stderr during one synchronous call, captured at the file-descriptor
 * level. Dawn prints from C++ straight to fd 2 (`fprintf(stderr)`, no logging callback and no
 * toggle in the `webgpu` package): its adapter discovery says "Couldn't load Vulkan: …" with a path
 * from Dawn's build machine when there is no Vulkan, and "artificially reduced" twice on every
 * adapter. Node has no `dup2`, so fd 2 is closed and reopened: on a temp file for the call, then on
 * the original stream again through `/dev/fd` (a `dup` on macOS; on Linux a reopen, which is only
 * faithful for pipes, terminals, `/dev/null` and append-only files — anything else is left alone).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The call's result, and what it wrote to fd 2 (null when fd 2 could not be swapped: it went to stderr). */
export interface Captured<T> {
  value: T;
  text: string | null;
}

const { O_APPEND, O_CREAT, O_EXCL, O_NOCTTY, O_NONBLOCK, O_RDWR, O_WRONLY } = constants;
const MAX_BYTES = 1 << 16;

/**
 * Runs `fn` with fd 2 on a temp file and returns what was written there. `fn` must be synchronous:
 * everything the process writes to fd 2 meanwhile, from any thread, lands in the capture. Where fd 2
 * cannot be put back as it was, `fn` runs with stderr untouched and `text` is null.
 */
export function captureStderr<T>(fn: () => T): Captured<T> {
  const flags = reopenFlags();
  if (flags === null) return { value: fn(), text: null };
  const file = path.join(tmpdir(), `sim2real-stderr-${process.pid}-${Math.random().toString(36).slice(2)}`);
  let saved: number;
  try {
    closeSync(openSync(file, O_RDWR | O_CREAT | O_EXCL, 0o600));
    // O_NONBLOCK: a pipe whose reader is gone fails here (ENXIO) instead of blocking the open
    saved = openSync('/dev/fd/2', flags | O_NONBLOCK);
  } catch {
    try { unlinkSync(file); } catch { /* never created */ }
    return { value: fn(), text: null };
  }
  // 'free': 2 is closed; 'lost': another thread opened a file between the close and the open and
  // holds 2 now (nothing to put back without dup2)
  let fd2: 'stderr' | 'capture' | 'free' | 'lost' = 'stderr';
  try {
    closeSync(2);
    fd2 = 'free';
    const fd = openSync(file, O_RDWR);
    if (fd === 2) fd2 = 'capture';
    else {
      closeSync(fd);
      fd2 = 'lost';
    }
  } catch {
    // fd 2 stays as the state says
  } finally {
    try { unlinkSync(file); } catch { /* already gone */ }
  }
  try {
    return { value: fn(), text: fd2 === 'capture' ? readBack() : null };
  } finally {
    if (fd2 === 'capture') closeSync(2);
    if (fd2 === 'capture' || fd2 === 'free') openSync(`/dev/fd/${saved}`, flags);
    closeSync(saved);
  }
}

/** Whether `captureStderr` can capture here (fd 2 a terminal, pipe, `/dev/null` or append-only file; any on macOS). */
export function canCaptureStderr(): boolean {
  return reopenFlags() !== null;
}

/**
 * Flags that reopen fd 2 onto what it is now, or null where a reopen would not write where the
 * original does (a regular file without O_APPEND would be written from offset 0; a socket cannot be
 * reopened), or where 0 or 1 is closed (the reopen would not land on 2).
 */
function reopenFlags(): number | null {
  try {
    fstatSync(0);
    fstatSync(1);
    const st = fstatSync(2);
    const base = O_WRONLY | O_NOCTTY;
    if (process.platform === 'darwin') return base; // /dev/fd/N is dup(N): any kind of file
    if (process.platform !== 'linux') return null;
    if (st.isFIFO() || st.isCharacterDevice()) return base;
    if (st.isFile() && fdFlags(2) & O_APPEND) return base | O_APPEND;
    return null;
  } catch {
    return null;
  }
}

function fdFlags(fd: number): number {
  const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return m?.[1] ? parseInt(m[1], 8) : 0;
}

function readBack(): string {
  const buf = Buffer.alloc(MAX_BYTES);
  const n = readSync(2, buf, 0, MAX_BYTES, 0);
  return buf.subarray(0, n).toString('utf8');
}
