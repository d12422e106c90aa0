/**
 * The policy graph as ONNX (opset 17) protobuf messages: `obs [batch, obs_dim]` → baked
 * observation normalization → the actor MLP (Gemm + Tanh/Elu) → deterministic mean, and,
 * when asked, the action post-processing the env applies (Clip, Mul by scale, Add offset) →
 * `actions [batch, act_dim]`. Messages come from `onnx-proto` (the ONNX schema compiled by
 * protobufjs), so the bytes are whatever the official schema says.
 */
import onnxProto from 'onnx-proto';
import type { onnx as pb } from 'onnx-proto';
import type { ActorWeights } from '../rl/ppo_types.ts';

const { onnx } = onnxProto;

/** The ONNX operator set the graph uses. */
export const OPSET_VERSION = 17;
/** ONNX IR version matching opset 17. */
const IR_VERSION = 8;
/** Name of the graph's input. */
export const INPUT_NAME = 'obs';
/** Name of the graph's output. */
export const OUTPUT_NAME = 'actions';
/** Symbolic name of the batch dimension. */
const BATCH_DIM = 'batch';

/** Action post-processing to bake in: actions = offsets + scales · clip(mean, ±clip). */
export interface GraphPostprocess {
  clip: number;
  scales: readonly number[];
  offsets: readonly number[];
}

/** What the graph is built from besides the weights. */
export interface GraphOptions {
  /** Post-processing to bake into the graph; null leaves the raw policy mean as the output. */
  postprocess: GraphPostprocess | null;
  /** `metadata_props` entries. */
  metadata: Readonly<Record<string, string>>;
  producerVersion: string;
  docString?: string;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** Collects nodes and initializers with unique names. */
class GraphBuilder {
  readonly nodes: pb.INodeProto[] = [];
  readonly initializers: pb.ITensorProto[] = [];

  /** A float32 constant tensor (exact: float32 values survive the float field unchanged). */
  constant(name: string, dims: number[], values: ArrayLike<number>): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new Error(`ONNX export: ${name} has ${values.length} values, shape [${dims.join(', ')}] needs ${n}`);
    this.initializers.push({ name, dims, dataType: FLOAT, floatData: Array.from(Float32Array.from(values)) });
    return name;
  }

  /** Appends one node and returns its (single) output name. */
  node(opType: string, inputs: string[], output: string, attributes: pb.IAttributeProto[] = []): string {
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute: attributes });
    return output;
  }
}

/** A `[batch, dim]` float32 value description. */
function batchValue(name: string, dim: number): pb.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: BATCH_DIM }, { dimValue: dim }] } } },
  };
}

/** Checks that the layers chain from obs_dim to act_dim and every array has its declared size. */
function checkWeights(w: ActorWeights, obsDim: number, actDim: number): void {
  if (w.layers.length === 0) throw new Error('ONNX export: the actor has no layers');
  let width = obsDim;
  w.layers.forEach((l, i) => {
    if (l.inDim !== width) throw new Error(`ONNX export: layer ${i} takes ${l.inDim} inputs, the previous width is ${width}`);
    if (l.weight.length !== l.inDim * l.outDim || l.bias.length !== l.outDim) throw new Error(`ONNX export: layer ${i} arrays do not match [${l.inDim}, ${l.outDim}]`);
    width = l.outDim;
  });
  if (width !== actDim) throw new Error(`ONNX export: the actor outputs ${width} actions, the contract has act_dim ${actDim}`);
  const n = w.obsNormalizer;
  if (n && (n.mean.length !== obsDim || n.var.length !== obsDim)) throw new Error(`ONNX export: normalizer has ${n.mean.length} features, obs_dim is ${obsDim}`);
}

/**
 * The actor as an ONNX ModelProto. Normalization is (obs − mean) / √(var + eps) with the square
 * root taken in double precision at export, then Clip(±clip), as the trainer's normalizer does.
 */
export function buildPolicyGraph(w: ActorWeights, obsDim: number, actDim: number, o: GraphOptions): pb.ModelProto {
  checkWeights(w, obsDim, actDim);
  const g = new GraphBuilder();
  let h = INPUT_NAME;
  // -- observation normalization
  const norm = w.obsNormalizer;
  if (norm) {
    const std = Array.from(norm.var, (v) => Math.sqrt(v + norm.eps));
    h = g.node('Sub', [h, g.constant('obs_mean', [obsDim], norm.mean)], 'obs_centered');
    h = g.node('Div', [h, g.constant('obs_std', [obsDim], std)], 'obs_scaled');
    const lo = g.constant('obs_clip_min', [], [-norm.clip]);
    const hi = g.constant('obs_clip_max', [], [norm.clip]);
    h = g.node('Clip', [h, lo, hi], 'obs_normalized');
  }
  // -- MLP: hidden layers with the activation, then the linear head (the Gaussian mean)
  const last = w.layers.length - 1;
  const act = w.activation === 'tanh' ? 'Tanh' : w.activation === 'elu' ? 'Elu' : null;
  if (!act) throw new Error(`ONNX export: unsupported activation "${String(w.activation)}"`);
  w.layers.forEach((l, i) => {
    const W = g.constant(`actor.${i}.weight`, [l.inDim, l.outDim], l.weight);
    const b = g.constant(`actor.${i}.bias`, [l.outDim], l.bias);
    const out = i === last ? (o.postprocess ? 'action_mean' : OUTPUT_NAME) : `actor.${i}.linear`;
    h = g.node('Gemm', [h, W, b], out);
    if (i < last) h = g.node(act, [h], `actor.${i}.${act.toLowerCase()}`, act === 'Elu' ? [{ name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 }] : []);
  });
  // -- post-processing as the env applies it
  const p = o.postprocess;
  if (p) {
    if (p.scales.length !== actDim || p.offsets.length !== actDim) throw new Error(`ONNX export: post-processing needs ${actDim} scales and offsets`);
    h = g.node('Clip', [h, g.constant('action_clip_min', [], [-p.clip]), g.constant('action_clip_max', [], [p.clip])], 'action_clipped');
    h = g.node('Mul', [h, g.constant('action_scale', [actDim], p.scales)], 'action_scaled');
    g.node('Add', [h, g.constant('action_offset', [actDim], p.offsets)], OUTPUT_NAME);
  }
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'sim2real',
    producerVersion: o.producerVersion,
    docString: o.docString ?? '',
    graph: {
      name: 'sim2real_policy',
      node: g.nodes,
      initializer: g.initializers,
      input: [batchValue(INPUT_NAME, obsDim)],
      output: [batchValue(OUTPUT_NAME, actDim)],
    },
    metadataProps: Object.entries(o.metadata).map(([key, value]) => ({ key, value })),
  });
}

/** Serializes a ModelProto to the bytes of a `.onnx` file. */
export function encodeModel(model: pb.ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Parses `.onnx` bytes (protobuf errors become one line naming the problem). */
export function decodeModel(bytes: Uint8Array): pb.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`not an ONNX model: ${(e as Error).message}`);
  }
}

/** The model's `metadata_props` as a plain object (later duplicates win). */
export function metadataOf(model: pb.IModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of model.metadataProps ?? []) if (e.key) out[e.key] = e.value ?? '';
  return out;
}
