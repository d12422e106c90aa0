/**
 * Every WebGPU op against its CPU twin (`cpu.ts`) on fresh random inputs of awkward sizes (not
 * multiples of the 64×64 GEMM tile, the 256-wide workgroups or the reduction chunks), outputs
 * poisoned first, NaN inputs included.
 *
 * Tolerances: elementwise ops 1e-6 absolute + 1e-5 relative (f32 rounding of one or two
 * operations, and GPU exp/log within a few ulp). Sums of K terms of size O(1) carry an f32
 * rounding error that grows like ε·√K…ε·K with the summation order, which differs between the
 * CPU (sequential, 4-way blocked) and the GPU (tiles, trees): GEMMs get 1e-6·K absolute, and
 * the global reductions 1e-5 relative, far below any difference in the math.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../src/backend/backend.ts';
import { rand, randn } from './helpers.ts';
import { twin, withNonFinite } from './webgpu_twin.ts';
import { webgpuForTests } from './webgpu_setup.ts';

const gpu = await webgpuForTests();

/** Layer shapes [B, in, out]: edges of the 16- and 64-wide tiles, and one long batch. */
const LAYERS: [number, number, number][] = [[1, 1, 1], [17, 3, 65], [70, 67, 130], [129, 64, 1], [16, 16, 17], [1100, 5, 2]];

const check = async (c: Parameters<typeof twin>[1]) => expect(await twin(gpu!, c)).toBeNull();
const inp = (shape: number[], data: Float32Array) => ({ shape, data });
const uploadAs = (b: Backend, t: Record<string, Tensor>, k: string, v: { shape: number[]; data: Float32Array }) => {
  t[k] = b.tensor(v.shape);
  b.upload(t[k], v.data);
};

describe.runIf(gpu)('webgpu ops against the CPU reference', () => {
  it('fill, copy, and clamp letting NaN through', async () => {
    const n = 1037, x = withNonFinite(rand(n, -2, 2), 6);
    await check({
      inputs: { x: inp([n], x), src: inp([n], rand(n)) }, outputs: { a: [n], b: [n], c: [n] }, abs: 0,
      run: (b, t) => {
        b.fill(t.a!, 0.3);
        b.fill(b.view(t.b!, 100, [37]), NaN);
        b.copy(t.src!, t.c!);
        b.clamp(t.x!, -0.5, 0.7);
      },
    });
  });

  it('linearForward: y = x·w + b on tile edges, and a NaN input row stays in its row', async () => {
    for (const [B, I, O] of LAYERS) {
      const x = rand(B * I);
      if (B > 2) x.fill(NaN, I, I + 1); // row 1
      await check({
        inputs: { x: inp([B, I], x), w: inp([I, O], rand(I * O)), b: inp([O], rand(O)) }, outputs: { y: [B, O] }, abs: 1e-6 * I, rel: 1e-5,
        run: (b, t) => b.linearForward(t.x!, t.w!, t.b!, t.y!),
      });
    }
  });

  it('linearBackward: dx, dw and db, fused (db after dw in one buffer) or not, overwriting or accumulating', async () => {
    for (const [B, I, O] of LAYERS) {
      for (const accumulate of [false, true]) {
        for (const fused of [true, false]) {
          await check({
            inputs: { x: inp([B, I], rand(B * I)), w: inp([I, O], rand(I * O)), dy: inp([B, O], rand(B * O)), grads: inp([I * O + O + 3], rand(I * O + O + 3)) },
            outputs: { dx: [B, I] }, abs: { x: 0, w: 0, dy: 0, dx: 1e-6 * O, grads: 1e-6 * B }, rel: 1e-5,
            run: (b, t) => {
              const dw = b.view(t.grads!, fused ? 0 : O + 3, [I, O]), db = b.view(t.grads!, fused ? I * O : 0, [O]);
              b.linearBackward({ x: t.x!, w: t.w!, dy: t.dy!, dx: t.dx!, dw, db }, accumulate);
            },
          });
        }
      }
    }
  });

  it('activations forward and backward, in place or not, with tiny, huge and non-finite inputs', async () => {
    const n = 1031, x = withNonFinite(rand(n, -4, 4), 6);
    x.set([1e-6, -1e-6, 3e-4, -3e-4, 30, -30, 0, -0], 20);
    for (const kind of ['tanh', 'elu'] as const) {
      await check({
        inputs: { x: inp([n], x), dy: inp([n], rand(n)), xi: inp([n], x) }, outputs: { y: [n], dx: [n] }, abs: 1e-6, rel: 1e-5,
        run: (b, t) => {
          b.activationForward(kind, t.x!, t.y!);
          b.activationForward(kind, t.xi!, t.xi!);
          b.activationBackward(kind, t.y!, t.dy!, t.dx!);
          b.activationBackward(kind, t.xi!, t.dy!, t.dy!);
        },
      });
    }
  });

  it('Gaussian sample and log-probability', async () => {
    const B = 301, A = 3, mean = rand(B * A, -2, 2);
    mean[7] = NaN;
    await check({
      inputs: { mean: inp([B, A], mean), logStd: inp([A], rand(A, -1.5, 0.5)), noise: inp([B, A], randn(B * A)) },
      outputs: { a: [B, A], lp: [B] }, abs: 1e-5, rel: 1e-5,
      run: (b, t) => {
        b.gaussianSample(t.mean!, t.logStd!, t.noise!, t.a!);
        b.gaussianLogProb(t.mean!, t.logStd!, t.a!, t.lp!);
      },
    });
  });

  it('gatherRows for widths 1 and 7', async () => {
    for (const w of [1, 7]) {
      const R = 301, M = 257, indices = Uint32Array.from({ length: M + 2 }, () => Math.floor(Math.random() * R));
      await check({
        inputs: { src: inp(w === 1 ? [R] : [R, w], rand(R * w)) }, outputs: { dst: w === 1 ? [M] : [M, w] }, abs: 0,
        run: (b, t) => {
          const ix = b.indexTensor(M + 2);
          b.uploadIndices(ix, indices);
          b.gatherRows(t.src!, b.indexView(ix, 2, M), t.dst!);
        },
      });
    }
  });

  it('gae over [T, N] with episode ends', async () => {
    const T = 23, N = 300, done = Float32Array.from({ length: T * N }, () => (Math.random() < 0.1 ? 1 : 0));
    await check({
      inputs: { r: inp([T, N], rand(T * N)), v: inp([T, N], rand(T * N, -2, 2)), d: inp([T, N], done), last: inp([N], rand(N)) },
      outputs: { adv: [T, N], ret: [T, N] }, abs: 1e-5, rel: 1e-5,
      run: (b, t) => b.gae({ rewards: t.r!, values: t.v!, dones: t.d!, lastValues: t.last!, advantages: t.adv!, returns: t.ret! }, 0.99, 0.95),
    });
  });

  it('standardize, sumSquares and countNonFinite across several reduction chunks', async () => {
    for (const n of [1, 255, 9001]) {
      await check({
        inputs: { x: inp([n], rand(n, 3, 9)), y: inp([n], rand(n, -2, 2)), bad: inp([n], withNonFinite(rand(n), Math.min(n, 5))) },
        outputs: { ss: [1], nf: [2] }, abs: { x: 1e-5, ss: 0, nf: 0 }, rel: 1e-5,
        run: (b, t) => {
          b.standardize(t.x!, 1e-8);
          b.sumSquares(t.y!, t.ss!);
          b.countNonFinite(t.bad!, b.view(t.nf!, 1, [1]));
        },
      });
    }
  });

  it('clipGradNorm: clipped, unclipped, and a NaN gradient that must stay NaN', async () => {
    const n = 9001, g = rand(n, -0.01, 0.01), nan = Float32Array.from(g);
    nan[4321] = NaN;
    await check({
      inputs: { big: inp([n], rand(n)), small: inp([n], g), nan: inp([n], nan) }, outputs: { norms: [3] }, abs: 0, rel: 1e-5,
      run: (b, t) => {
        b.clipGradNorm(t.big!, 0.5, b.view(t.norms!, 0, [1]));
        b.clipGradNorm(t.small!, 5, b.view(t.norms!, 1, [1]));
        b.clipGradNorm(t.nan!, 0.5, b.view(t.norms!, 2, [1]));
      },
    });
  });

  it('adam: three steps from nonzero moments', async () => {
    const n = 5003;
    await check({
      inputs: { w: inp([n], rand(n)), g: inp([n], randn(n, 0.1)), m: inp([n], randn(n, 0.01)), v: inp([n], rand(n, 0, 1e-3)) }, abs: 1e-6, rel: 1e-5,
      run: (b, t) => {
        for (let step = 1; step <= 3; step++) b.adam(t.w!, t.g!, t.m!, t.v!, { lr: 1e-3 * step, beta1: 0.9, beta2: 0.999, eps: 1e-8, step });
      },
    });
  });

  it('momentsUpdate over batches of 1, 33 and 600 rows, then normalize with clipping and NaN', async () => {
    const D = 7, x = rand(700 * D, -20, 20);
    const obs = rand(300 * D, -30, 30);
    obs[5] = NaN;
    await check({
      inputs: { x: inp([700, D], x), obs: inp([300, D], obs), count: inp([1], Float32Array.of(5)), mean: inp([D], rand(D)), var: inp([D], rand(D, 0.5, 2)) },
      outputs: { out: [300, D] }, abs: 1e-5, rel: 1e-5,
      run: (b, t) => {
        let row = 0;
        for (const rows of [1, 33, 600]) {
          b.momentsUpdate(b.view(t.x!, row * D, [rows, D]), { count: t.count!, mean: t.mean!, var: t.var! });
          row += rows;
        }
        b.normalize(t.obs!, t.mean!, t.var!, 1e-8, 1.5, t.out!);
      },
    });
  });
});

describe.runIf(gpu)('webgpu fused PPO loss against the CPU reference', () => {
  const batch = (M: number, A: number) => {
    const mean = rand(M * A, -1, 1), logStd = rand(A, -1, 0.3), actions = Float32Array.from(mean, (m, k) => m + Math.exp(logStd[k % A]!) * randn(1)[0]!);
    const oldLogProb = new Float32Array(M);
    for (let i = 0; i < M; i++) {
      let lp = 0;
      for (let j = 0; j < A; j++) lp += -0.5 * ((actions[i * A + j]! - mean[i * A + j]!) / Math.exp(logStd[j]!)) ** 2 - logStd[j]! - 0.9189385;
      oldLogProb[i] = lp + (Math.random() - 0.5) * 0.8; // ratios on both sides of the clip range
    }
    const value = randn(M, 2);
    return {
      mean: inp([M, A], mean), logStd: inp([A], logStd), value: inp([M], value), actions: inp([M, A], actions), oldLogProb: inp([M], oldLogProb),
      oldValue: inp([M], Float32Array.from(value, (v) => v + (Math.random() - 0.5))), advantages: inp([M], randn(M)), returns: inp([M], randn(M, 2)),
    };
  };
  const run = (clipValue: boolean) => (b: Backend, t: Record<string, Tensor>) => b.ppoLoss(
    { mean: t.mean!, logStd: t.logStd!, value: t.value!, actions: t.actions!, oldLogProb: t.oldLogProb!, oldValue: t.oldValue!, advantages: t.advantages!, returns: t.returns! },
    { clip: 0.2, clipValue, valueCoef: 0.5, entropyCoef: 0.01 },
    { gradMean: t.gradMean!, gradLogStd: t.gradLogStd!, gradValue: t.gradValue!, stats: t.stats! },
  );

  it('statistics and gradients for any minibatch size (one workgroup, several, two reduction stages)', async () => {
    for (const [M, A] of [[1, 1], [37, 3], [700, 2], [1500, 12]] as const) {
      for (const clipValue of [false, true]) {
        await check({
          inputs: batch(M, A), outputs: { gradMean: [M, A], gradLogStd: [A], gradValue: [M], stats: [5] }, abs: 1e-6, rel: 1e-5,
          run: run(clipValue),
        });
      }
    }
  });

  it('a NaN policy mean makes the statistics NaN, as on the CPU', async () => {
    const inputs = batch(40, 2);
    inputs.mean.data[13] = NaN;
    await check({ inputs, outputs: { gradMean: [40, 2], gradLogStd: [2], gradValue: [40], stats: [5] }, abs: 1e-6, rel: 1e-5, run: run(true) });
    const g = gpu!, t: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) uploadAs(g, t, k, v);
    for (const [k, shape] of Object.entries({ gradMean: [40, 2], gradLogStd: [2], gradValue: [40], stats: [5] })) t[k] = g.tensor(shape);
    run(true)(g, t);
    const stats = await g.download(t.stats!);
    expect(Number.isNaN(stats[0])).toBe(true); // the policy loss: the trainer's guard sees it
  });
});
