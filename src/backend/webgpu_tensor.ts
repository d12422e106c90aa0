/**
 * Tensors of the WebGPU backend: an element window (offset, size) of a shared GPU buffer, so a
 * view is just another window and kernels receive the offset as a parameter. Index tensors keep
 * a host copy of their indices (only the host writes them), which lets `gatherRows` reject an
 * out-of-range index synchronously, as the CPU reference does.
 */
import type { IndexTensor, Tensor } from './backend.ts';
import type { GpuRoot, Operand } from './webgpu_device.ts';

/** An f32 tensor living in a GPU buffer. */
export class GpuTensor implements Tensor, Operand {
  readonly dtype = 'f32';
  constructor(readonly shape: readonly number[], readonly size: number, readonly root: GpuRoot, readonly offset: number, readonly isRoot: boolean) {}

  /** Row count (the first dimension; a 1-D tensor is one value per row). */
  get rows(): number {
    return this.shape[0] ?? 1;
  }

  /** Row width. */
  get cols(): number {
    return this.rows === 0 ? 0 : this.size / this.rows;
  }
}

/** A u32 index tensor in a GPU buffer, with the host copy of its indices. */
export class GpuIndexTensor implements IndexTensor, Operand {
  readonly dtype = 'u32';
  constructor(readonly size: number, readonly root: GpuRoot, readonly offset: number, readonly host: Uint32Array, readonly isRoot: boolean) {}
}

/** True when two operands' element ranges overlap in the same buffer. */
export function overlaps(a: Operand, b: Operand): boolean {
  return a.root === b.root && a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}
