/**
 * Timing of one PPO update on a backend, for `npm run bench:train`: a synthetic rollout of the
 * requested shape is recorded through the trainer's own verbs (`act`, `processEnvStep`,
 * `computeReturns`), then `update` is timed. FLOPs are counted from the layer sizes, and the
 * backend's own matmul peak (a large `linearForward`) gives the floor an update could reach.
 */
import type { Backend } from '../src/backend/backend.ts';
import { PPO } from '../src/rl/ppo.ts';
import { validatePpoConfig, minibatchesPerEpoch, type PpoConfig } from '../src/rl/ppo_config.ts';
import { Rng } from '../src/task/rng.ts';

/** A network and rollout shape to time. */
export interface UpdateShape {
  name: string;
  obsDim: number;
  actDim: number;
  hidden: number[];
  activation: 'elu' | 'tanh';
  numEnvs: number;
  numSteps: number;
  epochs: number;
  minibatches: number;
}

/** legged_gym's ANYmal recipe (rsl_rl defaults): 4096 envs × 24 steps, 5 epochs × 4 minibatches. */
export const LEGGED_SHAPE: UpdateShape = {
  name: 'legged_gym', obsDim: 48, actDim: 12, hidden: [512, 256, 128], activation: 'elu', numEnvs: 4096, numSteps: 24, epochs: 5, minibatches: 4,
};

/** Cartpole's default recipe: 16 envs × 128 steps, 10 epochs × 8 minibatches of 256, 64-64 tanh. */
export const CARTPOLE_SHAPE: UpdateShape = {
  name: 'cartpole', obsDim: 4, actDim: 1, hidden: [64, 64], activation: 'tanh', numEnvs: 16, numSteps: 128, epochs: 10, minibatches: 8,
};

/** Multiply–adds of one forward pass of one sample through an MLP with these layer widths. */
function macs(widths: number[]): number {
  let m = 0;
  for (let l = 0; l + 1 < widths.length; l++) m += widths[l]! * widths[l + 1]!;
  return m;
}

/**
 * FLOPs of one PPO update: per sample and epoch, the forward pass of actor and critic (2·MACs)
 * and the backward pass (weight gradients 2·MACs, input gradients 2·MACs except the first
 * layer's). Elementwise work (activations, loss, Adam) is left out: it is bandwidth, not FLOPs.
 */
export function updateFlops(s: UpdateShape): number {
  const actor = [s.obsDim, ...s.hidden, s.actDim], critic = [s.obsDim, ...s.hidden, 1];
  const perNet = (w: number[]) => 2 * macs(w) + 2 * macs(w) + 2 * (macs(w) - w[0]! * w[1]!);
  const samples = s.minibatches * Math.floor((s.numEnvs * s.numSteps) / s.minibatches);
  return s.epochs * samples * (perNet(actor) + perNet(critic));
}

/** The PPO configuration of a shape (all other keys at their defaults). */
function shapeConfig(s: UpdateShape, epochs = s.epochs): PpoConfig {
  return validatePpoConfig({
    num_envs: s.numEnvs, num_steps: s.numSteps, num_epochs: epochs, minibatch_size: Math.floor((s.numEnvs * s.numSteps) / s.minibatches),
    actor_hidden: s.hidden, critic_hidden: s.hidden, activation: s.activation, lr_schedule: 'fixed',
  }, 'bench');
}

/** Records one synthetic rollout (random observations and rewards, a few episode ends). */
async function fillRollout(ppo: PPO, s: UpdateShape, rng: Rng): Promise<void> {
  const obs = new Float32Array(s.numEnvs * s.obsDim);
  const rewards = new Float32Array(s.numEnvs);
  const terminated = new Uint8Array(s.numEnvs), truncated = new Uint8Array(s.numEnvs);
  for (let t = 0; t < s.numSteps; t++) {
    for (let i = 0; i < obs.length; i++) obs[i] = rng.normal();
    for (let i = 0; i < s.numEnvs; i++) {
      rewards[i] = rng.normal();
      terminated[i] = rng.uniform(0, 1) < 0.01 ? 1 : 0;
    }
    await ppo.act(obs);
    await ppo.processEnvStep(rewards, terminated, truncated, obs);
  }
  for (let i = 0; i < obs.length; i++) obs[i] = rng.normal();
  await ppo.computeReturns(obs);
}

/** One timed measurement of a shape on a backend. */
export interface UpdateTiming {
  shape: string;
  backend: string;
  samples: number;
  epochs: number;
  minibatches: number;
  /** Epochs actually run per timed update (fewer than `epochs` when `extrapolated`). */
  epochs_run: number;
  extrapolated: boolean;
  /** Seconds of one full update (scaled from `epochs_run` when extrapolated). */
  update_s: number;
  gflop: number;
  gflops_achieved: number;
}

/**
 * Times `repeats` updates of shape `s` on `backend` after one warm-up update (pipelines compiled,
 * buffers touched). With `epochsRun < s.epochs` each timed update runs that many epochs and the
 * time is scaled to the full count (the epochs are identical work).
 */
export async function timeUpdate(backend: Backend, s: UpdateShape, o: { repeats: number; epochsRun?: number; seed?: number }): Promise<UpdateTiming> {
  const epochsRun = o.epochsRun ?? s.epochs;
  const cfg = shapeConfig(s, epochsRun);
  const rng = new Rng(o.seed ?? 1);
  const ppo = new PPO(backend, { obsDim: s.obsDim, actDim: s.actDim, numEnvs: s.numEnvs }, cfg, rng);
  await fillRollout(ppo, s, rng);
  await ppo.update();
  let total = 0;
  for (let r = 0; r < o.repeats; r++) {
    await fillRollout(ppo, s, rng);
    const t0 = performance.now();
    await ppo.update();
    total += performance.now() - t0;
  }
  const updateS = (total / o.repeats / 1000) * (s.epochs / epochsRun);
  const flops = updateFlops(s);
  return {
    shape: s.name, backend: backend.name, samples: minibatchesPerEpoch(cfg) * cfg.minibatch_size, epochs: s.epochs, minibatches: s.minibatches,
    epochs_run: epochsRun, extrapolated: epochsRun < s.epochs, update_s: updateS, gflop: flops / 1e9, gflops_achieved: flops / updateS / 1e9,
  };
}

/** The backend's f32 matmul rate (GFLOP/s) on an n×n·n×n `linearForward`, best of `repeats` batches. */
export async function matmulPeak(backend: Backend, n: number, repeats: number, perBatch: number): Promise<number> {
  const rng = new Rng(7);
  const x = backend.tensor([n, n]), w = backend.tensor([n, n]), b = backend.tensor([n]), y = backend.tensor([n, n]);
  const data = new Float32Array(n * n);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  backend.upload(x, data);
  backend.upload(w, data);
  backend.linearForward(x, w, b, y);
  await backend.download(b);
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let k = 0; k < perBatch; k++) backend.linearForward(x, w, b, y);
    await backend.download(b);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  for (const t of [x, w, b, y]) backend.dispose(t);
  return (2 * n * n * n * perBatch) / best / 1e9;
}

/** The matrix-product rate of one layer shape on a backend: forward, and backward with dx and dw (+ db). */
export interface LayerRate {
  /** "rows×in·in×out". */
  layer: string;
  forward_gflops: number;
  backward_gflops: number;
}

/**
 * GFLOP/s of `linearForward` and of `linearBackward` (dx, dw and db; counted as the two
 * products) at every distinct layer shape of `s`'s actor and critic over one minibatch, best of
 * `repeats` batches, on fresh random operands. A `download` ends each batch, so an op a backend
 * holds back or queues is counted.
 */
export async function layerRates(backend: Backend, s: UpdateShape, repeats = 5): Promise<LayerRate[]> {
  const rows = Math.floor((s.numEnvs * s.numSteps) / s.minibatches), rng = new Rng(11);
  const dims = new Set<string>();
  for (const out of [s.actDim, 1]) [s.obsDim, ...s.hidden, out].forEach((d, i, all) => i + 1 < all.length && dims.add(`${d}x${all[i + 1]}`));
  const rates: LayerRate[] = [];
  for (const key of dims) {
    const [nIn, nOut] = key.split('x').map(Number) as [number, number];
    const t = (shape: number[]) => {
      const x = backend.tensor(shape), data = new Float32Array(x.size);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal();
      backend.upload(x, data);
      return x;
    };
    const x = t([rows, nIn]), w = t([nIn, nOut]), b = t([nOut]), y = backend.tensor([rows, nOut]), dy = t([rows, nOut]), dx = backend.tensor([rows, nIn]);
    const dw = backend.tensor([nIn, nOut]), db = backend.tensor([nOut]), flops = 2 * rows * nIn * nOut;
    const perBatch = Math.max(1, Math.min(50, Math.round(2e8 / flops)));
    const best = async (op: () => void) => {
      op();
      await backend.download(db);
      let s = Infinity;
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        for (let k = 0; k < perBatch; k++) op();
        await backend.download(db);
        s = Math.min(s, (performance.now() - t0) / 1000 / perBatch);
      }
      return s;
    };
    const fwd = await best(() => backend.linearForward(x, w, b, y));
    const bwd = await best(() => backend.linearBackward({ x, w, dy, dx, dw, db }, false));
    rates.push({ layer: `${rows}×${nIn}·${nIn}×${nOut}`, forward_gflops: flops / fwd / 1e9, backward_gflops: (2 * flops) / bwd / 1e9 });
    for (const z of [x, w, b, y, dy, dx, dw, db]) backend.dispose(z);
  }
  return rates;
}
