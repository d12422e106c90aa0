/**
 * Reading the robot room's input files (URDF, STL collision meshes, robot specs) with a size
 * limit checked before any byte is read: a URDF argument of `/dev/zero`, a FIFO or a 20 GB file
 * must be refused at once, not read until memory runs out. The limits are stated here and in
 * docs/urdf.md.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** Largest URDF file read (bytes): the real robots' files are 20–200 kB. */
export const MAX_URDF_BYTES = 16 * 1024 * 1024;
/** Largest STL collision mesh read (bytes). */
export const MAX_MESH_BYTES = 32 * 1024 * 1024;
/** Largest robot spec (`robots/<name>.json`) read (bytes). */
export const MAX_SPEC_BYTES = 1024 * 1024;

/** Why an input file was not read: the message is the reason alone, without the path. */
export class InputFileError extends Error {
  constructor(message: string, readonly code: 'missing' | 'not_regular' | 'too_large' | 'unreadable') {
    super(message);
    this.name = 'InputFileError';
  }
}

/**
 * The bytes of `file`, a regular file of at most `maxBytes` bytes (a symbolic link to one is
 * fine). Anything else — missing, a directory, a device, a FIFO, a socket, larger than the limit —
 * is an {@link InputFileError} before any content is read. The file is opened non-blocking and
 * checked again once open, so a path swapped for a FIFO between the two checks cannot hang.
 */
export function readInputFile(file: string, maxBytes: number): Buffer {
  checkStats(statOrThrow(file), maxBytes);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw unreadable(e);
  }
  try {
    checkStats(fstatSync(fd), maxBytes);
    return readUpTo(fd, maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** A byte count for messages: `16 MiB`, `3.2 KiB`, `17 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Number((n / (1024 * 1024)).toPrecision(3))} MiB`;
  if (n >= 1024) return `${Number((n / 1024).toPrecision(3))} KiB`;
  return `${n} bytes`;
}

function statOrThrow(file: string): Stats {
  try {
    return statSync(file);
  } catch (e) {
    throw unreadable(e);
  }
}

function unreadable(e: unknown): InputFileError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new InputFileError('file not found', 'missing');
  return new InputFileError(`cannot read the file (${(e as Error).message})`, 'unreadable');
}

function checkStats(st: Stats, maxBytes: number): void {
  if (!st.isFile()) throw new InputFileError(`not a regular file (${fileKind(st)}); give the path of a file`, 'not_regular');
  if (st.size > maxBytes) {
    // exact counts where rounding would show the two as equal
    const [size, max] = formatBytes(st.size) === formatBytes(maxBytes) ? [`${st.size} bytes`, `${maxBytes} bytes`] : [formatBytes(st.size), formatBytes(maxBytes)];
    throw new InputFileError(`the file is ${size}, above the limit of ${max}`, 'too_large');
  }
}

/** What a non-regular directory entry is, in words. */
function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a plain file';
}

/** Reads to the end, refusing a file that has grown past `maxBytes` since it was checked. */
function readUpTo(fd: number, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    total += n;
    chunks.push(chunk.subarray(0, n));
    if (total > maxBytes) throw new InputFileError(`the file grew past the limit of ${formatBytes(maxBytes)} while it was read`, 'too_large');
  }
  return Buffer.concat(chunks, total);
}
