/**
 * A pool thread of the CPU backend (started by `cpu_pool.ts` through `src/ts_worker.mjs`):
 * sleeps on the control block's claim word, claims parts of each posted job until none is
 * left, computes them into the shared tensors, and counts them done. Tensor memory is known by
 * buffer id: the caller posts each SharedArrayBuffer once through this thread's MessagePort,
 * and the thread reads those messages synchronously when the block says more were posted.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { GEN_MASK, PART_BITS, Slot, operandLengths, runPart, writeMessage, type PartJob } from './cpu_pool_protocol.ts';

/** What `cpu_pool.ts` hands each thread. */
export interface PoolWorkerData {
  entry: string;
  /** 0-based index of this pool thread. */
  index: number;
  control: SharedArrayBuffer;
  message: SharedArrayBuffer;
  port: MessagePort;
}

/** A buffer message: a new SharedArrayBuffer under an id, or the release of an id. */
export type BufferMessage = { id: number; buffer: SharedArrayBuffer } | { id: number; release: true };

const data = workerData as PoolWorkerData;
const control = new Int32Array(data.control);
const area = new Uint16Array(data.message);
const buffers = new Map<number, Float32Array>();
const PART_MASK = (1 << PART_BITS) - 1;
let received = 0;

/** Reads the buffer messages the block says were posted and not yet read. */
function drainBuffers(): void {
  const posted = Atomics.load(control, Slot.posted);
  while (received < posted) {
    const got = receiveMessageOnPort(data.port);
    if (!got) throw new Error(`${posted - received} buffer messages announced but not delivered`);
    received++;
    const m = got.message as BufferMessage;
    if ('buffer' in m) buffers.set(m.id, new Float32Array(m.buffer));
    else buffers.delete(m.id);
  }
}

function operand(id: number, offset: number, length: number): Float32Array {
  const whole = buffers.get(id);
  if (!whole) throw new Error(`unknown tensor buffer ${id}`);
  if (offset + length > whole.length) throw new Error(`operand [${offset}, ${offset + length}) outside buffer ${id} of ${whole.length}`);
  return whole.subarray(offset, offset + length);
}

/** Computes one claimed part of the current job. */
function work(job: PartJob, part: number): void {
  if (Atomics.load(control, Slot.inject) === 1) throw new Error('injected failure (test hook)');
  drainBuffers();
  const [aLength, bLength, cLength] = operandLengths(job);
  const a = operand(control[Slot.aId]!, control[Slot.aOff]!, aLength);
  const b = operand(control[Slot.bId]!, control[Slot.bOff]!, bLength);
  const c = operand(control[Slot.cId]!, control[Slot.cOff]!, cLength);
  runPart(a, b, c, job, part);
}

function serve(): void {
  for (;;) {
    const w = Atomics.load(control, Slot.claim);
    if (Atomics.load(control, Slot.stop) === 1) return;
    const part = w & PART_MASK, parts = Atomics.load(control, Slot.parts);
    if (part >= parts) {
      Atomics.wait(control, Slot.claim, w);
      continue;
    }
    // the job's fields are stable once the claim below succeeds: the job cannot end (and be
    // overwritten) while a part of it is unclaimed, and a newer job changes the claim word
    const job: PartJob = {
      kind: control[Slot.kind]!, split: control[Slot.split]!, step: control[Slot.step]!,
      m: control[Slot.m]!, k: control[Slot.k]!, n: control[Slot.n]!, accumulate: control[Slot.accumulate] === 1,
    };
    if (Atomics.compareExchange(control, Slot.claim, w, w + 1) !== w) continue;
    try {
      work(job, part);
    } catch (e) {
      if (Atomics.compareExchange(control, Slot.failed, 0, data.index + 1) === 0) {
        writeMessage(control, area, `generation ${(w >>> PART_BITS) & GEN_MASK} part ${part}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    Atomics.add(control, Slot.poolParts, 1);
    if (Atomics.add(control, Slot.done, 1) + 1 === parts) Atomics.notify(control, Slot.done);
  }
}

try {
  serve();
} catch (e) {
  // not a part's error (those are caught above): the loop itself broke; tell the caller
  if (Atomics.load(control, Slot.dead) === 0) {
    writeMessage(control, area, e instanceof Error ? e.message : String(e));
    Atomics.store(control, Slot.dead, data.index + 1);
  }
  Atomics.notify(control, Slot.done);
}
data.port.close();
