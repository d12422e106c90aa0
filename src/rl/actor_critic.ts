/**
 * The actor-critic: two separate MLPs (policy mean and value) and a state-independent log
 * standard deviation, with every parameter a view into ONE flat backend buffer and every
 * gradient a view into another, so Adam, the global grad norm and checkpoints each see a single
 * buffer. Forward activations live in per-batch-size workspaces allocated once.
 */
import type { Activation, Backend, Tensor } from '../backend/backend.ts';
import type { Rng } from '../task/rng.ts';
import { INIT_GAIN, orthogonal } from './init.ts';

/** One linear layer: parameter and gradient views, y = x·w + b with w [inDim, outDim]. */
export interface LinearLayer {
  inDim: number;
  outDim: number;
  w: Tensor;
  b: Tensor;
  gw: Tensor;
  gb: Tensor;
  /** Offsets of w and b in the flat parameter buffer. */
  wOffset: number;
  bOffset: number;
}

/** Forward activations and backward scratch of one MLP for one batch size. */
interface MlpWorkspace {
  /** The input of the last forward pass (read by backward). */
  input: Tensor | null;
  /** outs[l]: [B, outDim_l] output of layer l (after the activation for hidden layers). */
  outs: Tensor[];
  /** grads[l]: [B, outDim_l] gradient w.r.t. layer l's output (pre-activation after backward). */
  grads: Tensor[];
}

/** A multilayer perceptron: hidden layers with an activation, then a linear head. */
export class Mlp {
  private readonly workspaces = new Map<number, MlpWorkspace>();

  constructor(private readonly backend: Backend, readonly layers: readonly LinearLayer[], readonly activation: Activation) {}

  /** Runs the network on x [B, inDim]; returns the [B, outDim] output (valid until the next forward at this B). */
  forward(x: Tensor, batch: number): Tensor {
    const ws = this.workspace(batch);
    ws.input = x;
    let h = x;
    this.layers.forEach((layer, l) => {
      const out = ws.outs[l]!;
      this.backend.linearForward(h, layer.w, layer.b, out);
      if (l < this.layers.length - 1) this.backend.activationForward(this.activation, out, out);
      h = out;
    });
    return h;
  }

  /** Backpropagates dOut [B, outDim] through the last forward at this batch size, overwriting the gradients. */
  backward(dOut: Tensor, batch: number): void {
    const ws = this.workspace(batch);
    if (!ws.input) throw new Error('Mlp.backward before forward');
    let dy = dOut;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l]!;
      const x = l > 0 ? ws.outs[l - 1]! : ws.input;
      const dx = l > 0 ? ws.grads[l - 1]! : null;
      this.backend.linearBackward({ x, w: layer.w, dy, dx, dw: layer.gw, db: layer.gb }, false);
      if (dx) this.backend.activationBackward(this.activation, x, dx, dx);
      if (dx) dy = dx;
    }
  }

  private workspace(batch: number): MlpWorkspace {
    let ws = this.workspaces.get(batch);
    if (!ws) {
      const shapes = this.layers.map((l) => [batch, l.outDim]);
      ws = { input: null, outs: shapes.map((s) => this.backend.tensor(s)), grads: shapes.map((s) => this.backend.tensor(s)) };
      this.workspaces.set(batch, ws);
    }
    return ws;
  }
}

/** Sizes of the actor-critic. */
export interface ActorCriticSpec {
  obsDim: number;
  /** The critic's input width when it has observations of its own (default `obsDim`). */
  criticObsDim?: number;
  actDim: number;
  actorHidden: readonly number[];
  criticHidden: readonly number[];
  activation: Activation;
  initLogStd: number;
}

/** Actor and critic MLPs plus log-std over one flat parameter buffer and one flat gradient buffer. */
export class ActorCritic {
  /** All parameters: actor layers, log-std, critic layers. */
  readonly params: Tensor;
  /** Gradients, same layout as `params`. */
  readonly grads: Tensor;
  readonly numParams: number;
  readonly actor: Mlp;
  readonly critic: Mlp;
  /** [actDim] log standard deviation (a view of `params`) and its gradient. */
  readonly logStd: Tensor;
  readonly gradLogStd: Tensor;
  readonly logStdOffset: number;

  constructor(private readonly backend: Backend, readonly spec: ActorCriticSpec) {
    const actorDims = [spec.obsDim, ...spec.actorHidden, spec.actDim];
    const criticDims = [spec.criticObsDim ?? spec.obsDim, ...spec.criticHidden, 1];
    const layerSize = (dims: number[]) => dims.slice(1).reduce((s, d, i) => s + d * (dims[i]! + 1), 0);
    this.numParams = layerSize(actorDims) + spec.actDim + layerSize(criticDims);
    this.params = backend.tensor([this.numParams]);
    this.grads = backend.tensor([this.numParams]);
    let offset = 0;
    const makeLayers = (dims: number[]): LinearLayer[] =>
      dims.slice(1).map((outDim, i) => {
        const inDim = dims[i]!;
        const wOffset = offset, bOffset = offset + inDim * outDim;
        offset = bOffset + outDim;
        const v = (t: Tensor, o: number, shape: number[]) => backend.view(t, o, shape);
        return { inDim, outDim, wOffset, bOffset, w: v(this.params, wOffset, [inDim, outDim]), b: v(this.params, bOffset, [outDim]),
          gw: v(this.grads, wOffset, [inDim, outDim]), gb: v(this.grads, bOffset, [outDim]) };
      });
    this.actor = new Mlp(backend, makeLayers(actorDims), spec.activation);
    this.logStdOffset = offset;
    this.logStd = backend.view(this.params, offset, [spec.actDim]);
    this.gradLogStd = backend.view(this.grads, offset, [spec.actDim]);
    offset += spec.actDim;
    this.critic = new Mlp(backend, makeLayers(criticDims), spec.activation);
  }

  /**
   * Fresh parameters: orthogonal weights (gain √2 hidden, 0.01 policy head, 1 value head), zero
   * biases, log-std at `initLogStd`. Draws from `rng` in a fixed order (actor, then critic).
   */
  initialize(rng: Rng): void {
    const host = new Float32Array(this.numParams);
    const fill = (layers: readonly LinearLayer[], headGain: number) =>
      layers.forEach((l, i) => host.set(orthogonal(l.inDim, l.outDim, i === layers.length - 1 ? headGain : INIT_GAIN.hidden, rng), l.wOffset));
    fill(this.actor.layers, INIT_GAIN.policy);
    host.fill(this.spec.initLogStd, this.logStdOffset, this.logStdOffset + this.spec.actDim);
    fill(this.critic.layers, INIT_GAIN.value);
    this.backend.upload(this.params, host);
  }

  /** Policy mean [B, actDim] of normalized observations [B, obsDim]. */
  actorForward(obs: Tensor, batch: number): Tensor {
    return this.actor.forward(obs, batch);
  }

  /** Value estimates [B, 1] of normalized observations. */
  criticForward(obs: Tensor, batch: number): Tensor {
    return this.critic.forward(obs, batch);
  }
}
