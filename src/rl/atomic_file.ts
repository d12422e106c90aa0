/**
 * Crash-safe file replacement: the content goes to a temp file beside the target, is fsynced,
 * renamed over the target and the directory is fsynced, so a reader sees either the old file or
 * the complete new one — never a half-written file, whatever fails or crashes in between.
 * Only regular files are written: the directory must exist (it is never created here), and a
 * symbolic link, FIFO, device or directory at the target is refused, never replaced or written
 * through.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Marks temp files in their names (`.<target>.tmp-<pid>-<random>`); readers skip such files. */
const TEMP_MARK = '.tmp-';

/** Whether a directory entry is a temp file left by `writeFileAtomic` (e.g. after a crash). */
export function isTempFile(name: string): boolean {
  return name.startsWith('.') && name.includes(TEMP_MARK);
}

/**
 * Writes `content` (bytes, text, or chunks produced lazily) to `file` atomically. If producing
 * or writing any chunk throws, the temp file is removed, `file` is left as it was, and the error
 * is rethrown with the target's path in its message.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array | Iterable<Uint8Array>): void {
  checkOutputTarget(file);
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'wx', 0o644);
    const chunks = typeof content === 'string' ? [Buffer.from(content, 'utf8')] : content instanceof Uint8Array ? [content] : content;
    for (const chunk of chunks) writeFully(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    // checked again: the write may have taken long enough for the target to change
    checkOutputTarget(file);
    renameSync(temp, file);
  } catch (err) {
    if (fd !== null) closeQuietly(fd);
    rmSync(temp, { force: true });
    throw new Error(`cannot write ${file}: ${errorMessage(err)}`, { cause: err });
  }
  fsyncDir(dir);
}

/**
 * Throws, with a message naming `file` and what is wrong, unless `file` can be written as a
 * regular file: its directory exists, and `file` is absent or a regular file. Outputs are written
 * through a temp file and a rename, which would replace a symbolic link, FIFO or device node at
 * the path; refusing them keeps such a path (perhaps pointing somewhere that matters) untouched.
 */
export function checkOutputTarget(file: string): void {
  const dir = dirname(file);
  let dirStats: Stats;
  try {
    dirStats = statSync(dir);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(`cannot write ${file}: ${missing ? `the directory ${dir} does not exist (create it first)` : errorMessage(err)}`, { cause: err });
  }
  if (!dirStats.isDirectory()) throw new Error(`cannot write ${file}: ${dir} is not a directory`);
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`cannot write ${file}: ${errorMessage(err)}`, { cause: err });
  }
  if (!st.isFile()) throw new Error(`cannot write ${file}: it is ${entryKind(st)}, not a regular file; refusing to replace it (remove it or choose another path)`);
}

/** What a directory entry is, in words, for messages. */
export function entryKind(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return st.isFile() ? 'a regular file' : 'not a regular file';
}

/**
 * Flushes a directory's entries (a rename or unlink inside it) to disk. Platforms that cannot
 * open a directory for fsync (Windows) are skipped: there the rename is already durable enough.
 */
export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The message of a thrown value, for error texts that wrap it. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function writeFully(fd: number, chunk: Uint8Array): void {
  let done = 0;
  while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // the write already failed; that error is the one to report
  }
}
