/**
 * Fair inference across connections: each connection gets a lane (a bounded queue of its
 * observations) and the scheduler starts policy runs round-robin over the lanes that have work,
 * one observation per lane per turn, at most `maxConcurrent` at once. A connection that queues
 * many observations delays only itself: another connection's observation waits for at most one
 * run of every other lane with work, whatever their queue lengths.
 */
import type { PolicyContract } from '../onnx/metadata.ts';
import type { BridgePolicy } from './control.ts';

/** Observations one lane may hold; the control channel's own bound (32 waiting) is what clients meet first. */
const LANE_CAPACITY = 32;

interface Job {
  obs: Float32Array;
  resolve: (y: Float32Array | null) => void;
  reject: (e: Error) => void;
}

/** Round-robin policy runs over per-connection lanes. */
export class InferenceScheduler {
  /** Policy runs started since creation. */
  runs = 0;
  private readonly ready: Lane[] = [];
  private inFlight = 0;

  constructor(private readonly policy: BridgePolicy, private readonly maxConcurrent: number) {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new RangeError(`scheduler: maxConcurrent must be a positive integer, got ${maxConcurrent}`);
  }

  /** A new lane: a `BridgePolicy` whose runs take their turn here. Close it when its connection closes. */
  lane(): Lane {
    return new Lane(this.policy.contract, this);
  }

  /** Called by a lane that got work while it had none: it joins the end of the rotation. */
  wake(lane: Lane): void {
    this.ready.push(lane);
    this.pump();
  }

  /** Starts runs while there is room: the head of the first lane in the rotation, which then goes to the end if it has more. */
  private pump(): void {
    while (this.inFlight < this.maxConcurrent) {
      const lane = this.ready.shift();
      if (!lane) return;
      const job = lane.next();
      if (!job) continue;
      if (lane.pending > 0) this.ready.push(lane);
      this.inFlight++;
      this.runs++;
      let run: Promise<Float32Array | null>;
      try {
        run = this.policy.run(job.obs);
      } catch (e) {
        run = Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      run.then(job.resolve, job.reject).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }
}

/** One connection's queue in the scheduler; runs in the order they were asked for. */
export class Lane implements BridgePolicy {
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(readonly contract: PolicyContract, private readonly scheduler: InferenceScheduler) {}

  /** Observations waiting for their turn. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues `obs` for its turn; rejects when the lane is full or closed. */
  run(obs: Float32Array): Promise<Float32Array | null> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    if (this.queue.length >= LANE_CAPACITY) return Promise.reject(new Error(`more than ${LANE_CAPACITY} observations queued for the policy`));
    return new Promise((resolve, reject) => {
      this.queue.push({ obs, resolve, reject });
      if (this.queue.length === 1) this.scheduler.wake(this);
    });
  }

  /** The next job (for the scheduler only). @internal */
  next(): Job | undefined {
    return this.queue.shift();
  }

  /** Drops what is queued (rejected) and refuses new runs. */
  close(): void {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('connection closed'));
  }
}
