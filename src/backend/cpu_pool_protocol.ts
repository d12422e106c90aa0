/**
 * What the CPU backend's calling thread and its pool threads share (`cpu_pool.ts`,
 * `cpu_pool_worker.ts`): the slots of the control block, an Int32Array on a SharedArrayBuffer
 * through which a job is posted and its parts are claimed, and the one function both sides
 * run on a part. No messages per job: the caller writes the job's operands into the block and
 * bumps the claim word; every thread, the caller included, claims parts until none is left.
 */
import { activationBackwardRange, activationForwardRange } from './cpu_activation.ts';
import { gemmBlock, transposeBlock } from './cpu_gemm.ts';

/** Slots of the control block (Int32Array). */
export const Slot = {
  /** (generation << PART_BITS) | next unclaimed part; threads wait on it for a new job. */
  claim: 0,
  /** Parts finished (the caller waits on it). */
  done: 1,
  /** Parts of the current job. */
  parts: 2,
  /** `JobKind` of the current job. */
  kind: 3,
  /** 0: parts are row ranges of the output, 1: column ranges (an activation: 0 tanh, 1 elu). */
  split: 4,
  /** Rows or columns per part (the last part takes the rest). */
  step: 5,
  /** The product's m, k, n (a transpose's rows and columns are m and n; an activation's size is m). */
  m: 6, k: 7, n: 8,
  /** 1 when the product adds into c. */
  accumulate: 9,
  /** Buffer id and element offset of a, b and c (see `runPart` for what each kind reads and writes). */
  aId: 10, aOff: 11, bId: 12, bOff: 13, cId: 14, cOff: 15,
  /** Number of buffer messages (registrations and releases) posted to each worker so far. */
  posted: 16,
  /** 1 + index of the first pool thread whose part threw (0: none); its text is in the message area. */
  failed: 17,
  /** 1 + index of a pool thread that stopped for good (0: none). */
  dead: 18,
  /** 1 once the pool is destroyed: threads leave their loop. */
  stop: 19,
  /** Test hook: a pool thread throws in its next part while this is 1 (see `GemmPool.injectFailure`). */
  inject: 20,
  /** Length of the message in the message area. */
  messageLength: 21,
  /** Parts computed by pool threads so far (not by the caller). */
  poolParts: 22,
} as const;

/** Int32 slots of the control block. */
export const CONTROL_SLOTS = 24;
/** UTF-16 units kept of a pool thread's error message. */
export const MESSAGE_UNITS = 1024;
/** Bits of the claim word that count parts; the rest is the job's generation. */
export const PART_BITS = 10;
/** Most parts one job may have (leaves room for every thread to over-claim once). */
export const MAX_PARTS = 256;
/** Generations wrap at this many jobs (they only need to differ from the last few). */
export const GEN_MASK = (1 << (31 - PART_BITS)) - 1;

/** What a job computes. */
export const JobKind = { gemm: 0, transpose: 1, activationForward: 2, activationBackward: 3 } as const;

/** A job as both sides read it from the control block; the operands are whole views. */
export interface PartJob {
  kind: number;
  split: number;
  step: number;
  m: number;
  k: number;
  n: number;
  accumulate: boolean;
}

/** Lengths of the a, b and c operands of a job. */
export function operandLengths(job: PartJob): [number, number, number] {
  const { m, k, n } = job;
  if (job.kind === JobKind.gemm) return [m * k, k * n, m * n];
  if (job.kind === JobKind.transpose) return [m * n, m * n, m * n];
  return [m, m, m];
}

/**
 * Computes part `part` of a job, the range [part·step, min(part·step + step, end)) of:
 * rows or columns of c = a·b (see `gemmBlock`); rows of c = aᵀ for a[m, n]; elements of
 * c = act(a) (forward) or c = b·act'(a) from the forward output a (backward).
 */
export function runPart(a: Float32Array, b: Float32Array, c: Float32Array, job: PartJob, part: number): void {
  const lo = part * job.step, act = job.split === 0 ? 'tanh' : 'elu';
  switch (job.kind) {
    case JobKind.gemm:
      if (job.split === 0) gemmBlock(a, b, c, job.k, job.n, lo, Math.min(job.m, lo + job.step), 0, job.n, job.accumulate);
      else gemmBlock(a, b, c, job.k, job.n, 0, job.m, lo, Math.min(job.n, lo + job.step), job.accumulate);
      return;
    case JobKind.transpose:
      transposeBlock(a, c, job.m, job.n, lo, Math.min(job.n, lo + job.step));
      return;
    case JobKind.activationForward:
      activationForwardRange(act, a, c, lo, Math.min(job.m, lo + job.step));
      return;
    case JobKind.activationBackward:
      activationBackwardRange(act, a, b, c, lo, Math.min(job.m, lo + job.step));
      return;
    default:
      throw new Error(`unknown job kind ${job.kind}`);
  }
}

/** Writes `text` (cut to MESSAGE_UNITS) into the message area. */
export function writeMessage(control: Int32Array, area: Uint16Array, text: string): void {
  const n = Math.min(text.length, area.length);
  for (let i = 0; i < n; i++) area[i] = text.charCodeAt(i);
  Atomics.store(control, Slot.messageLength, n);
}

/** The text in the message area. */
export function readMessage(control: Int32Array, area: Uint16Array): string {
  return String.fromCharCode(...area.subarray(0, Atomics.load(control, Slot.messageLength)));
}
