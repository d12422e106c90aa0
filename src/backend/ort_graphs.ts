/**
 * The ONNX models behind the CPU backend's native kernels (`native_kernels.ts`): one small graph
 * per op, every dimension symbolic, so one session serves every layer shape and batch size.
 * Each graph computes its op as the TypeScript reference in `cpu.ts` defines it:
 *
 * - linear forward: y = Gemm(x, w, b), optionally followed by the activation in the same graph
 *   (a hidden layer as the actor-critic runs it: linear, then the activation in place);
 * - weight gradients: dw = Gemm(x, dy, transA) (+ dw₀), db = ReduceSum over rows of dy (+ db₀);
 * - input gradient: dx = Gemm(dy, w, transB), or for a one-output layer dy·w with w seen as a
 *   [1, in] row (MLAS's transposed path is slow for that shape), optionally times act'(y) of
 *   the layer below in the same graph (its backward step, in place on dx);
 * - activations from onnxruntime's vectorized `Exp` and `Tanh` (MLAS) and elementwise ops: ELU
 *   as max(x, exp(min(x, 0)) − 1) (onnxruntime's own `Elu` kernel is 2× slower here and rounds
 *   an element differently depending on where a thread's range ends), gradients from the
 *   forward output as in `cpu_activation.ts`;
 * - gather: dst = Gather(src, indices) over rows (indices as int32, which u32 row indices below
 *   2³¹ are bit for bit).
 *
 * A fused graph writes the same bits as its two parts run one after the other (the same nodes on
 * the same f32 intermediate). Every node computes each output element from the same inputs in
 * the same order whatever the thread count (GEMM splits rows and columns, never the sum;
 * ReduceSum splits columns; the elementwise kernels treat every element alike), so results do
 * not depend on the number of threads (`test/backend/cpu_native.test.ts` checks it).
 */
import onnxProto from 'onnx-proto';
import type { onnx as pb } from 'onnx-proto';
import type { Activation } from './backend.ts';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const INT32 = onnx.TensorProto.DataType.INT32;
const ATTR_INT = onnx.AttributeProto.AttributeType.INT;
/** Operator set and matching IR version (ReduceSum takes its axes as an input from opset 13). */
const OPSET = 17;
const IR_VERSION = 8;

/** How a linear layer's input gradient is computed: dy·wᵀ, or dy·w as a row when out = 1. */
export type DxMode = 'transpose' | 'row';

/** A float32 value with symbolic dimensions. */
function value(name: string, dims: string[]): pb.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimParam: d })) } } } };
}

function node(opType: string, input: string[], output: string, attribute: pb.IAttributeProto[] = []): pb.INodeProto {
  return { opType, input, output: [output], name: output, attribute };
}

function intAttr(name: string, i: number): pb.IAttributeProto {
  return { name, type: ATTR_INT, i };
}

/** A scalar float constant. */
function scalar(name: string, v: number): pb.ITensorProto {
  return { name, dims: [], dataType: FLOAT, floatData: [v] };
}

function encode(name: string, nodes: pb.INodeProto[], inputs: pb.IValueInfoProto[], outputs: pb.IValueInfoProto[], initializer: pb.ITensorProto[] = []): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION, opsetImport: [{ domain: '', version: OPSET }], producerName: 'sim2real cpu backend',
    graph: { name, node: nodes, input: inputs, output: outputs, initializer },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Constants the activation nodes use. */
const CONSTANTS = [scalar('one', 1), scalar('zero', 0)];

/** Nodes computing `y = act(x)` elementwise (intermediates prefixed with y). */
function activationNodes(kind: Activation, x: string, y: string): pb.INodeProto[] {
  if (kind === 'tanh') return [node('Tanh', [x], y)];
  // max(x, exp(min(x, 0)) − 1): x above 0 (where exp(0) − 1 = 0), exp(x) − 1 ≥ x below; ~10% faster than a Where
  return [node('Min', [x, 'zero'], `${y}_neg`), node('Exp', [`${y}_neg`], `${y}_exp`), node('Sub', [`${y}_exp`, 'one'], `${y}_expm1`), node('Max', [x, `${y}_expm1`], y)];
}

/** Nodes computing `dx = dy·act'` from the forward output y: tanh' = 1 − y², elu' = 1 above 0, else y + 1. */
function activationGradNodes(kind: Activation, y: string, dy: string, dx: string): pb.INodeProto[] {
  if (kind === 'tanh') return [node('Mul', [y, y], `${dx}_y2`), node('Sub', ['one', `${dx}_y2`], `${dx}_g`), node('Mul', [dy, `${dx}_g`], dx)];
  // (min(y, 0) + 1)·dy: 1·dy above 0, (y + 1)·dy below; NaN stays NaN; 3 passes where a Where takes 4
  return [node('Min', [y, 'zero'], `${dx}_neg`), node('Add', [`${dx}_neg`, 'one'], `${dx}_g`), node('Mul', [dy, `${dx}_g`], dx)];
}

/** y[rows, out] = x[rows, in]·w[in, out] + b[out], then act(y) when `activation` is given. */
export function linearForwardModel(activation: Activation | null): Uint8Array {
  const io = [[value('x', ['rows', 'in']), value('w', ['in', 'out']), value('b', ['out'])], [value('y', ['rows', 'out'])]] as const;
  if (!activation) return encode('linear_forward', [node('Gemm', ['x', 'w', 'b'], 'y')], [...io[0]], [...io[1]]);
  return encode(`linear_${activation}_forward`, [node('Gemm', ['x', 'w', 'b'], 'h'), ...activationNodes(activation, 'h', 'y')], [...io[0]], [...io[1]], CONSTANTS);
}

/**
 * dw[in, out] = xᵀ·dy (+ dw0) and db[out] = Σ_rows dy (+ db0). With `accumulate` the old
 * gradients come in as separate inputs dw0 and db0, never as the output memory itself.
 */
export function linearWeightGradsModel(accumulate: boolean): Uint8Array {
  const inputs = [value('x', ['rows', 'in']), value('dy', ['rows', 'out'])];
  const nodes = [
    node('Gemm', accumulate ? ['x', 'dy', 'dw0'] : ['x', 'dy'], 'dw', [intAttr('transA', 1)]),
    node('ReduceSum', ['dy', 'rows_axis'], accumulate ? 'db_new' : 'db', [intAttr('keepdims', 0)]),
  ];
  if (accumulate) {
    inputs.push(value('dw0', ['in', 'out']), value('db0', ['out']));
    nodes.push(node('Add', ['db0', 'db_new'], 'db'));
  }
  const axes: pb.ITensorProto = { name: 'rows_axis', dims: [1], dataType: INT64, int64Data: [0] };
  return encode('linear_weight_grads', nodes, inputs, [value('dw', ['in', 'out']), value('db', ['out'])], [axes]);
}

/**
 * dx[rows, in] = dy·wᵀ from w [in, out] ('transpose'), or dy·wRow from w seen as a [1, in] row
 * when out = 1 ('row'); with `activation`, times act' of the layer below from its output y [rows, in].
 */
export function linearInputGradModel(mode: DxMode, activation: Activation | null): Uint8Array {
  const [w, op] = mode === 'transpose' ? [value('w', ['in', 'out']), node('Gemm', ['dy', 'w'], 'g', [intAttr('transB', 1)])] : [value('wRow', ['unit', 'in']), node('MatMul', ['dy', 'wRow'], 'g')];
  const inputs = [value('dy', ['rows', 'out']), w], outputs = [value('dx', ['rows', 'in'])];
  if (!activation) return encode('linear_input_grad', [{ ...op, output: ['dx'], name: 'dx' }], inputs, outputs);
  inputs.push(value('y', ['rows', 'in']));
  return encode(`linear_input_grad_${activation}`, [op, ...activationGradNodes(activation, 'y', 'g', 'dx')], inputs, outputs, CONSTANTS);
}

/** y[n] = act(x[n]). */
export function activationForwardModel(kind: Activation): Uint8Array {
  return encode(`${kind}_forward`, activationNodes(kind, 'x', 'y'), [value('x', ['n'])], [value('y', ['n'])], CONSTANTS);
}

/** dx[n] = dy·act'(x) from the forward output y. */
export function activationBackwardModel(kind: Activation): Uint8Array {
  return encode(`${kind}_backward`, activationGradNodes(kind, 'y', 'dy', 'dx'), [value('y', ['n']), value('dy', ['n'])], [value('dx', ['n'])], CONSTANTS);
}

/** dst[m, w] = src[idx[i], :] for i < m (idx int32 [m]). */
export function gatherRowsModel(): Uint8Array {
  const idx: pb.IValueInfoProto = { name: 'idx', type: { tensorType: { elemType: INT32, shape: { dim: [{ dimParam: 'm' }] } } } };
  return encode('gather_rows', [node('Gather', ['src', 'idx'], 'dst', [intAttr('axis', 0)])], [value('src', ['n', 'w']), idx], [value('dst', ['m', 'w'])]);
}
