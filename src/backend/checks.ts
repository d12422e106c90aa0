/**
 * The argument checks every backend makes before it runs an op. They live here once so that the
 * CPU reference and the WebGPU backend reject the same misuse with the same message, and a new
 * backend gets them by importing this file rather than copying them.
 */
import { PPO_LOSS_STATS, type PpoLossInputs, type PpoLossOutputs } from './backend.ts';

/** Throws `<op>: tensor shapes do not match` unless `ok`. */
export function checkShapes(op: string, ok: boolean): void {
  if (!ok) throw new Error(`${op}: tensor shapes do not match`);
}

/** Throws naming `op` and the sizes unless every size equals the first. */
export function checkSameSize(op: string, ...sizes: number[]): void {
  if (sizes.some((s) => s !== sizes[0])) throw new Error(`${op}: sizes differ (${sizes.join(', ')})`);
}

/** Throws unless `n` elements starting at `offset` lie inside a tensor of `baseSize` elements (`view`). */
export function checkView(baseSize: number, offset: number, n: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + n > baseSize) throw new Error(`view: [${offset}, ${offset + n}) outside a tensor of ${baseSize}`);
}

/** Throws unless `size` indices starting at `offset` lie inside an index tensor of `baseSize` (`indexView`). */
export function checkIndexView(baseSize: number, offset: number, size: number): void {
  if (offset < 0 || offset + size > baseSize) throw new Error(`indexView: [${offset}, ${offset + size}) outside ${baseSize}`);
}

/** Throws unless host data of `given` values fits a tensor of `size` exactly (`upload`). */
export function checkUpload(given: number, size: number): void {
  if (given !== size) throw new Error(`upload: ${given} values into a tensor of ${size}`);
}

/** Throws unless host data of `given` indices fits an index tensor of `size` exactly (`uploadIndices`). */
export function checkUploadIndices(given: number, size: number): void {
  if (given !== size) throw new Error(`uploadIndices: ${given} values into ${size}`);
}

/** Throws naming the first index that is not a row of a `rows`-row tensor (`gatherRows`). */
export function checkRowIndices(indices: Uint32Array, rows: number): void {
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    if (r >= rows) throw new Error(`gatherRows: index ${r} outside ${rows} rows`);
  }
}

/** Throws unless the operands of the fused PPO loss agree: M samples (`value`) of A action dimensions (`logStd`). */
export function checkPpoLoss(i: PpoLossInputs, o: PpoLossOutputs): void {
  const M = i.value.size, A = i.logStd.size;
  checkShapes('ppoLoss', i.mean.size === M * A && i.actions.size === M * A && i.oldLogProb.size === M && i.oldValue.size === M
    && i.advantages.size === M && i.returns.size === M && o.gradMean.size === M * A && o.gradLogStd.size === A && o.gradValue.size === M
    && o.stats.size >= PPO_LOSS_STATS);
}
