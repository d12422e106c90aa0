/**
 * Adam over the one flat parameter buffer (PyTorch's formulation, β = (0.9, 0.999)), with its
 * moment buffers on the backend and a snapshot/restore of the whole optimizer state plus
 * parameters for the trainer's non-finite rollback.
 */
import type { Backend, Tensor } from '../backend/backend.ts';

/** Serializable Adam state. */
export interface AdamState {
  /** First and second moment estimates, same layout as the parameters. */
  m: Float32Array;
  v: Float32Array;
  /** Steps taken (for the bias correction). */
  step: number;
}

/** Adam over one flat parameter buffer and its flat gradient buffer. */
export class Adam {
  static readonly BETA1 = 0.9;
  static readonly BETA2 = 0.999;
  readonly m: Tensor;
  readonly v: Tensor;
  private stepCount = 0;
  private readonly saved: { params: Tensor; m: Tensor; v: Tensor; step: number };

  constructor(private readonly backend: Backend, readonly params: Tensor, readonly grads: Tensor, readonly eps: number) {
    const n = params.size;
    this.m = backend.tensor([n]);
    this.v = backend.tensor([n]);
    this.saved = { params: backend.tensor([n]), m: backend.tensor([n]), v: backend.tensor([n]), step: 0 };
  }

  /** Steps taken. */
  get steps(): number {
    return this.stepCount;
  }

  /** One step from the current gradients at learning rate `lr`. */
  step(lr: number): void {
    this.stepCount++;
    this.backend.adam(this.params, this.grads, this.m, this.v, { lr, beta1: Adam.BETA1, beta2: Adam.BETA2, eps: this.eps, step: this.stepCount });
  }

  /** Remembers parameters and optimizer state (on the backend) for `restore`. */
  snapshot(): void {
    const b = this.backend, s = this.saved;
    b.copy(this.params, s.params);
    b.copy(this.m, s.m);
    b.copy(this.v, s.v);
    s.step = this.stepCount;
  }

  /** Puts back the parameters and optimizer state of the last `snapshot`. */
  restore(): void {
    const b = this.backend, s = this.saved;
    b.copy(s.params, this.params);
    b.copy(s.m, this.m);
    b.copy(s.v, this.v);
    this.stepCount = s.step;
  }

  async getState(): Promise<AdamState> {
    const [m, v] = await Promise.all([this.backend.download(this.m), this.backend.download(this.v)]);
    return { m: m!, v: v!, step: this.stepCount };
  }

  setState(s: AdamState): void {
    this.backend.upload(this.m, s.m);
    this.backend.upload(this.v, s.v);
    this.stepCount = s.step;
  }
}
