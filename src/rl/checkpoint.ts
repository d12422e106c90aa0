/**
 * Training checkpoints: a versioned, checksummed binary file holding JSON metadata and a tree of
 * typed arrays (weights, Adam moments, normalizer statistics, RNG states), written atomically and
 * pruned to the last K, so a run resumes bit for bit and a damaged file is refused by name.
 * The byte layout is specified in docs/run-directory.md.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { errorMessage, fsyncDir, isTempFile, writeFileAtomic } from './atomic_file.ts';
import {
  checkpointChunks, decodeCheckpoint, planCheckpoint,
  type Checkpoint, type CheckpointEntry, type CheckpointInput, type CheckpointMetaInput, type Plan, type WriteCheckpointOptions,
} from './checkpoint_format.ts';

export * from './checkpoint_format.ts';
export { sourceInfo } from './source_info.ts';
const NUMBERED = /^ckpt_(\d+)\.bin$/;

// -- files

/** The file name of the checkpoint after `iteration` iterations: `ckpt_000123.bin`. */
export function checkpointName(iteration: number): string {
  if (!Number.isSafeInteger(iteration) || iteration < 0) throw new Error(`checkpoint iteration must be a non-negative integer, got ${iteration}`);
  return `ckpt_${String(iteration).padStart(6, '0')}.bin`;
}

/**
 * Writes `ckpt` to `dir/name` atomically and returns the path. After a numbered checkpoint
 * (`checkpointName`) it prunes the directory: numbered checkpoints beyond this iteration belong to
 * a timeline a resumed run abandoned and are removed, then all but the newest `keepLast` (this
 * one always kept), and temp files left by crashed writes. A value that cannot be stored or a
 * failed write throws and leaves every existing file as it was.
 */
export function writeCheckpoint<M extends CheckpointMetaInput>(
  dir: string,
  name: string,
  ckpt: CheckpointInput<M>,
  options: WriteCheckpointOptions = {},
): string {
  const file = join(dir, name);
  const { keepLast } = options;
  if (name !== basename(name) || name.startsWith('.') || name === '') throw new Error(`checkpoint name must be a plain file name, got "${name}"`);
  if (keepLast !== undefined && (!Number.isSafeInteger(keepLast) || keepLast < 1)) throw new Error(`keepLast must be an integer ≥ 1, got ${keepLast}`);
  const numbered = NUMBERED.exec(name);
  if (numbered && Number(numbered[1]) !== ckpt.meta.iteration) {
    throw new Error(`checkpoint name ${name} does not match meta.iteration ${ckpt.meta.iteration}`);
  }
  let plan: Plan;
  try {
    plan = planCheckpoint(ckpt);
  } catch (err) {
    throw new Error(`cannot write checkpoint ${file}: ${errorMessage(err)}`, { cause: err });
  }
  writeFileAtomic(file, checkpointChunks(plan));
  if (numbered) pruneCheckpoints(dir, ckpt.meta.iteration, keepLast);
  return file;
}

/** Reads a checkpoint file; any damage is an Error naming the file and the problem. */
export function readCheckpoint(file: string): Checkpoint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read checkpoint ${file}: ${errorMessage(err)}`, { cause: err });
  }
  return decodeCheckpoint(bytes, file);
}

/** The numbered checkpoints in `dir`, oldest first; none (or no such directory) gives []. */
export function listCheckpoints(dir: string): CheckpointEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: CheckpointEntry[] = [];
  for (const name of names) {
    const m = NUMBERED.exec(name);
    if (m) entries.push({ iteration: Number(m[1]), file: join(dir, name) });
  }
  return entries.sort((a, b) => a.iteration - b.iteration);
}

/** The path of the highest-numbered checkpoint in `dir`, or null when there is none. */
export function latestCheckpoint(dir: string): string | null {
  return listCheckpoints(dir).at(-1)?.file ?? null;
}

function pruneCheckpoints(dir: string, written: number, keepLast: number | undefined): void {
  const entries = listCheckpoints(dir);
  const doomed = entries.filter((e) => e.iteration > written);
  const kept = entries.filter((e) => e.iteration <= written);
  if (keepLast !== undefined) doomed.push(...kept.slice(0, Math.max(0, kept.length - keepLast)));
  const temps = readdirSync(dir).filter((n) => isTempFile(n) && n.startsWith('.ckpt_')).map((n) => join(dir, n));
  for (const path of [...doomed.map((e) => e.file), ...temps]) {
    try {
      rmSync(path, { force: true });
    } catch (err) {
      throw new Error(`checkpoint ${checkpointName(written)} was written, but ${path} could not be removed: ${errorMessage(err)}`, { cause: err });
    }
  }
  if (doomed.length + temps.length > 0) fsyncDir(dir);
}
