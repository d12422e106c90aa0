/**
 * The CPU backend's tensors (`cpu.ts`): a Float32Array per tensor (a subarray for views) and a
 * Uint32Array per index tensor, and the checked casts from the opaque `Tensor` types.
 */
import type { IndexTensor, Tensor } from './backend.ts';

/** A CPU tensor: a Float32Array (a subarray for views). */
export class CpuTensor implements Tensor {
  readonly dtype = 'f32';
  readonly size: number;
  constructor(readonly shape: readonly number[], readonly data: Float32Array) {
    this.size = data.length;
  }
  /** Row count and row width (a 1-D tensor is one value per row). */
  get rows(): number {
    return this.shape[0] ?? 1;
  }
  get cols(): number {
    return this.rows === 0 ? 0 : this.size / this.rows;
  }
}

/** A CPU index tensor: a Uint32Array (a subarray for views). */
export class CpuIndexTensor implements IndexTensor {
  readonly dtype = 'u32';
  readonly size: number;
  constructor(readonly data: Uint32Array) {
    this.size = data.length;
  }
}

/** The CPU tensor behind `t`; throws for another backend's tensor. */
export function t32(t: Tensor): CpuTensor {
  if (!(t instanceof CpuTensor)) throw new Error('cpu backend: tensor belongs to another backend');
  return t;
}

/** The Float32Array behind `t`. */
export function d32(t: Tensor): Float32Array {
  return t32(t).data;
}

/** The CPU index tensor behind `t`; throws for another backend's. */
export function idx(t: IndexTensor): CpuIndexTensor {
  if (!(t instanceof CpuIndexTensor)) throw new Error('cpu backend: index tensor belongs to another backend');
  return t;
}
