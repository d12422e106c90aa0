/**
 * The agent store's file primitives: a new file written and synced before anyone can see it, a
 * file replaced by rename so a reader finds the old content or the whole new one, and directory
 * syncs so a rename survives a power cut. Asynchronous, so a slow disk (an SD card's fsync) never
 * holds up the control loop that shares the event loop. (src/rl/ has the trainer's version of
 * the same rule, which the on-robot agent may not import.)
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Creates `file` (it must not exist) holding `data`, synced to disk. */
export async function writeNewSynced(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const fh = await open(file, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `data` through a synced temp file beside it and a rename; the directory is synced after. */
export async function replaceFile(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.new-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeNewSynced(temp, data);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw new Error(`cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
  await syncDir(dir);
}

/** Syncs a directory, so the names created or renamed in it are on disk. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // some file systems cannot sync a directory; the rename itself is still atomic
  }
}
