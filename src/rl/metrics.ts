/**
 * The run's `metrics.jsonl`: one JSON object per training iteration, each line handed to the OS
 * as soon as it is written, so a crashed or interrupted run keeps its curve; a resumed run cuts
 * the lines past its checkpoint first, so the file always matches the restored state. Numeric
 * fields can be mirrored to TensorBoard as `train/<key>`.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic_file.ts';
import type { JsonValue } from './checkpoint.ts';
import type { TensorBoardWriter } from './tensorboard.ts';

/** One metrics line as read back; `iteration` strictly increases down the file. */
export interface MetricsRow {
  iteration: number;
  [key: string]: JsonValue;
}

/** Options of `MetricsWriter`. */
export interface MetricsWriterOptions {
  /**
   * Continue the file of a run resumed from the checkpoint after this iteration: lines with a
   * larger iteration (and everything after the first of them) are removed before appending.
   * Absent: a new run, and an existing non-empty file is an error.
   */
  resumeIteration?: number;
  /** Mirror every numeric field except `iteration` and the step field to this writer as `train/<key>`. */
  tensorboard?: TensorBoardWriter;
  /** The field used as TensorBoard's step (default `env_steps`, falling back to `iteration`). */
  stepKey?: string;
}

/**
 * Appends one JSON line per iteration to a metrics file. Non-finite numbers are written as null
 * (JSON has no NaN), but mirrored to TensorBoard as they are.
 */
export class MetricsWriter {
  /** The metrics file. */
  readonly file: string;
  private fd: number | null;
  private lastIteration: number;
  private readonly tensorboard: TensorBoardWriter | undefined;
  private readonly stepKey: string;

  constructor(file: string, options: MetricsWriterOptions = {}) {
    const { resumeIteration, tensorboard, stepKey = 'env_steps' } = options;
    this.file = file;
    this.tensorboard = tensorboard;
    this.stepKey = stepKey;
    this.lastIteration = -1;
    if (resumeIteration === undefined) {
      if (existsSync(file) && readFileSync(file).length > 0) {
        throw new Error(`${file} already holds metrics; resume that run or choose a new run directory`);
      }
    } else {
      if (!Number.isSafeInteger(resumeIteration) || resumeIteration < 0) throw new Error(`resumeIteration must be a non-negative integer, got ${resumeIteration}`);
      const kept = truncateAfter(file, resumeIteration);
      const last = kept.at(-1);
      if (last !== undefined) this.lastIteration = last.iteration;
      if (tensorboard) tensorboard.sessionStart(last === undefined ? 0 : this.stepOf(last) + 1);
    }
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
  }

  /**
   * Appends `row` (a flat object of JSON values with an integer `iteration` above the last one)
   * as one line, and its numbers to TensorBoard, flushed.
   */
  write<R extends { iteration: number }>(row: R): void {
    if (this.fd === null) throw new Error(`metrics writer for ${this.file} is closed`);
    const { iteration } = row;
    if (!Number.isSafeInteger(iteration) || iteration <= this.lastIteration) {
      throw new Error(`metrics iteration must be an integer above ${this.lastIteration}, got ${iteration}`);
    }
    for (const [key, value] of Object.entries(row) as [string, unknown][]) {
      if (value === undefined || ['bigint', 'function', 'symbol'].includes(typeof value) || ArrayBuffer.isView(value)) {
        throw new Error(`metrics field ${key} of iteration ${iteration} is not a JSON value`);
      }
    }
    const line = Buffer.from(`${JSON.stringify(row)}\n`, 'utf8');
    let done = 0;
    while (done < line.length) done += writeSync(this.fd, line, done, line.length - done);
    this.lastIteration = iteration;
    if (this.tensorboard) {
      const step = this.stepOf(row);
      for (const [key, value] of Object.entries(row) as [string, unknown][]) {
        if (typeof value === 'number' && key !== 'iteration' && key !== this.stepKey) this.tensorboard.scalar(`train/${key}`, value, step);
      }
      this.tensorboard.flush();
    }
  }

  /** Closes the file (not the TensorBoard writer, which the caller owns). */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  private stepOf(row: { iteration: number }): number {
    const v = (row as Record<string, unknown>)[this.stepKey];
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : row.iteration;
  }
}

/**
 * Reads a metrics file: one object per complete line. A final line without its newline (a write
 * torn by a crash) is ignored; any other unreadable line is an Error naming file and line.
 */
export function readMetrics(file: string): MetricsRow[] {
  return parseMetrics(readFileSync(file, 'utf8'), file).map((l) => l.row);
}

interface ParsedLine {
  row: MetricsRow;
  /** Where the line ends in the text (a string index), newline included. */
  end: number;
}

function parseMetrics(text: string, file: string): ParsedLine[] {
  const out: ParsedLine[] = [];
  let start = 0;
  for (let lineNo = 1; ; lineNo++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    const line = text.slice(start, nl);
    start = nl + 1;
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${lineNo}: not JSON (${(err as Error).message})`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row) || !Number.isSafeInteger((row as MetricsRow).iteration)) {
      throw new Error(`${file}:${lineNo}: not a metrics object with an integer "iteration"`);
    }
    out.push({ row: row as MetricsRow, end: start });
  }
  return out;
}

/** Cuts `file` before its first line past `iteration` (atomically) and returns the lines kept. */
function truncateAfter(file: string, iteration: number): MetricsRow[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const lines = parseMetrics(text, file);
  const cut = lines.findIndex((l) => l.row.iteration > iteration);
  const kept = cut < 0 ? lines : lines.slice(0, cut);
  const end = kept.at(-1)?.end ?? 0;
  if (end !== text.length) writeFileAtomic(file, text.slice(0, end));
  return kept.map((l) => l.row);
}
