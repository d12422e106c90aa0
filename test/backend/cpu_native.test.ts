/**
 * The CPU backend on native kernels (onnxruntime's MLAS, `src/backend/native_kernels.ts`)
 * against its TypeScript reference loops: every native op agrees with the reference within a
 * stated tolerance on fresh random inputs of awkward sizes with poisoned outputs, a layer fused
 * with its activation writes what the two ops write one after the other, a held-back op is
 * settled before anything can read its output, a whole PPO update agrees as the WebGPU one does,
 * results are bitwise the same for any thread count and from run to run, and a native path
 * that cannot load falls back with one line.
 *
 * Tolerances (inputs uniform in [−1, 1]): products of K terms 1e-6·K + 1e-5·|ref| (f32 sums in
 * another order); elementwise ops 1e-6 + 1e-5·|ref| (MLAS's exp and tanh against Math.expm1 and
 * Math.tanh: measured ≤ 2.4e-7); gathers exact.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Activation, Backend, Tensor } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { NATIVE_MIN_ELEMENTS, NATIVE_MIN_MACS, RUN_OUTPUT_ELEMENTS } from '../../src/backend/native_kernels.ts';
import type { PPO } from '../../src/rl/ppo.ts';
import { iterate, smallPpo } from '../rl/ppo_helpers.ts';
import { backendOpSuite } from './op_suite.ts';
import { expectClose, rand, tensorOf } from './helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ref = new CpuBackend({ kernels: 'ts' });
const native = [1, 2, 3].map((threads) => new CpuBackend({ threads, kernels: 'native' }));
const nat = native[0]!;
afterAll(() => {
  for (const b of [ref, ...native]) b.destroy();
});

backendOpSuite('cpu (native kernels)', () => new CpuBackend({ kernels: 'native' }));

/** Layer shapes [rows, in, out], all at or above the native threshold: ones, primes, one-output heads, row ranges. */
const SHAPES: [number, number, number][] = [
  [1, 129, 129], [3, 129, 67], [17, 129, 17], [129, 1, 129], [1031, 3, 17], [4099, 17, 1], [1031, 129, 3], [2053, 129, 67], [9001, 17, 33],
];

/** An elementwise relative-plus-absolute bound for a product of K terms. */
const productTol = (K: number) => [1e-6 * K, 1e-5] as const;

function expectBitwise(actual: Float32Array, expected: Float32Array, what: string): void {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length), e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  expect(a.length, what).toBe(e.length);
  const i = a.findIndex((v, j) => v !== e[j]);
  expect(i, `${what}: element ${i} is ${actual[i]} against ${expected[i]}`).toBe(-1);
}

/** A layer's operands on b: weights and gradients as views at odd offsets of flat buffers (as the actor-critic lays them out), outputs poisoned. */
function layer(b: Backend, [B, I, O]: [number, number, number], d: Float32Array[]) {
  const params = b.tensor([I * O + O + 5]), grads = b.tensor([I * O + O + 5]);
  const w = b.view(params, 5, [I, O]), bias = b.view(params, 5 + I * O, [O]);
  b.upload(w, d[0]!);
  b.upload(bias, d[1]!);
  b.upload(b.view(grads, 5, [I * O + O]), d[4]!);
  const y = b.tensor([B, O]), dx = b.tensor([B, I]);
  b.fill(y, NaN);
  b.fill(dx, NaN);
  return { x: tensorOf(b, [B, I], d[2]!), dy: tensorOf(b, [B, O], d[3]!), w, bias, y, dx, dw: b.view(grads, 5, [I, O]), db: b.view(grads, 5 + I * O, [O]) };
}

/** Forward, accumulating backward and overwriting backward without dx of one layer on b. */
async function layerOps(b: Backend, shape: [number, number, number], d: Float32Array[]): Promise<Float32Array[]> {
  const l = layer(b, shape, d);
  b.linearForward(l.x, l.w, l.bias, l.y);
  const y = await b.download(l.y);
  b.linearBackward({ x: l.x, w: l.w, dy: l.dy, dx: l.dx, dw: l.dw, db: l.db }, true);
  const acc = [await b.download(l.dx), await b.download(l.dw), await b.download(l.db)];
  b.fill(l.dw, NaN);
  b.fill(l.db, NaN);
  b.linearBackward({ x: l.x, w: l.w, dy: l.dy, dx: null, dw: l.dw, db: l.db }, false);
  return [y, ...acc, await b.download(l.dw), await b.download(l.db)];
}

/** A hidden layer as the actor-critic runs it: linear then activation in place, and back: input gradient then activation gradient in place. */
async function hiddenLayer(b: Backend, kind: Activation, shape: [number, number, number], d: Float32Array[]): Promise<Float32Array[]> {
  const l = layer(b, shape, d);
  const below = tensorOf(b, [shape[0], shape[1]], d[2]!.map((v) => (kind === 'tanh' ? Math.tanh(v) : v > 0 ? v : Math.expm1(v))));
  b.linearForward(l.x, l.w, l.bias, l.y);
  b.activationForward(kind, l.y, l.y);
  const y = await b.download(l.y);
  b.linearBackward({ x: below, w: l.w, dy: l.dy, dx: l.dx, dw: l.dw, db: l.db }, false);
  b.activationBackward(kind, below, l.dx, l.dx);
  return [y, await b.download(l.dx), await b.download(l.dw), await b.download(l.db)];
}

describe('cpu backend, native kernels against the TypeScript reference', () => {
  it('takes the native path here and says so', () => {
    expect(nat.kernels).toBe('native');
    expect(nat.kernelsDescription).toMatch(/^native kernels: onnxruntime-node \d+\.\d+\.\d+ \(MLAS\)$/);
    expect(ref.kernels).toBe('ts');
    for (const [B, I, O] of SHAPES) expect(B * I * O).toBeGreaterThanOrEqual(NATIVE_MIN_MACS);
    expect(9001 * 33).toBeGreaterThan(2 * RUN_OUTPUT_ELEMENTS); // the largest shape runs in several row ranges
  });

  for (const shape of SHAPES) {
    it(`linear forward and backward agree [${shape.join(', ')}]`, async () => {
      const [B, I, O] = shape;
      const d = [rand(I * O), rand(O), rand(B * I), rand(B * O), rand(I * O + O)];
      const [want, got] = [await layerOps(ref, shape, d), await layerOps(nat, shape, d)];
      const tol = [productTol(I), productTol(O), productTol(B), productTol(B), productTol(B), productTol(B)];
      ['y', 'dx', 'dw accumulated', 'db accumulated', 'dw', 'db'].forEach((what, k) => {
        try {
          expectClose(got[k]!, want[k]!, ...tol[k]!);
        } catch (e) {
          throw new Error(`${what}: ${(e as Error).message}`);
        }
      });
    });
  }

  for (const kind of ['elu', 'tanh'] as const) {
    it(`a ${kind} layer fused with its activation agrees, and writes the bits of the two ops run apart`, async () => {
      for (const shape of [[1031, 129, 67], [3, 129, 129], [2053, 48, 128]] as [number, number, number][]) {
        const [B, I, O] = shape;
        const d = [rand(I * O), rand(O), rand(B * I, -3, 3), rand(B * O), rand(I * O + O)];
        const [want, got] = [await hiddenLayer(ref, kind, shape, d), await hiddenLayer(nat, kind, shape, d)];
        expectClose(got[0]!, want[0]!, 1e-6 * I, 1e-5);
        expectClose(got[1]!, want[1]!, 1e-6 * O, 1e-5);
        // apart (a download between the ops settles the held-back linear op first), where the lone activation runs natively too
        if (B * O < NATIVE_MIN_ELEMENTS.forward) continue;
        const l = layer(nat, shape, d);
        nat.linearForward(l.x, l.w, l.bias, l.y);
        await nat.download(l.bias);
        nat.activationForward(kind, l.y, l.y);
        expectBitwise(await nat.download(l.y), got[0]!, `${kind} [${shape.join(', ')}] forward, apart`);
      }
    });

    it(`${kind} alone agrees, in place or not, on awkward lengths, and lets NaN through`, async () => {
      for (const n of [513, 4099, RUN_OUTPUT_ELEMENTS + 7]) {
        const x = rand(n, -4, 4), dy = rand(n);
        const run = async (b: Backend) => {
          const X = tensorOf(b, [n], x), Y = b.tensor([n]), dY = tensorOf(b, [n], dy), dX = b.tensor([n]);
          b.fill(Y, NaN);
          b.fill(dX, NaN);
          b.activationForward(kind, X, Y);
          b.activationBackward(kind, Y, dY, dX);
          const apart = [await b.download(Y), await b.download(dX)];
          b.activationForward(kind, X, X);
          b.activationBackward(kind, X, dY, dY);
          return [...apart, await b.download(X), await b.download(dY)];
        };
        const [want, got] = [await run(ref), await run(nat)];
        got.forEach((g, k) => expectClose(g, want[k]!, 1e-6, 1e-5));
      }
      const specials = Float32Array.from([NaN, 0.5, -0.5, NaN]), X = tensorOf(nat, [1024], new Float32Array(1024)), dY = tensorOf(nat, [2048], new Float32Array(2048).fill(1));
      nat.upload(nat.view(X, 0, [4]), specials);
      nat.activationForward(kind, X, X);
      const y = await nat.download(X);
      expect([Number.isNaN(y[0]!), Number.isNaN(y[3]!)]).toEqual([true, true]);
      const Y2 = tensorOf(nat, [2048], new Float32Array(2048).fill(NaN));
      nat.activationBackward(kind, Y2, dY, dY);
      expect((await nat.download(dY)).every(Number.isNaN)).toBe(true);
    });
  }

  it('gathers rows exactly, wide and narrow', async () => {
    for (const [rows, width, m] of [[12_288, 48, 3072], [1000, 8, 999], [77, 129, 1031], [5000, 1, 300]]) {
      const src = rand(rows! * width!), ix = Uint32Array.from({ length: m! }, () => Math.floor(Math.random() * rows!));
      const out = await Promise.all([ref, nat].map(async (b) => {
        const I = b.indexTensor(m!), D = b.tensor([m!, width!]);
        b.uploadIndices(I, ix);
        b.fill(D, NaN);
        b.gatherRows(tensorOf(b, [rows!, width!], src), I, D);
        return b.download(D);
      }));
      expectBitwise(out[1]!, out[0]!, `gather ${m} of ${rows} rows of ${width}`);
    }
    const I = nat.indexTensor(2);
    nat.uploadIndices(I, Uint32Array.from([0, 12]));
    expect(() => nat.gatherRows(nat.tensor([12, 16]), I, nat.tensor([2, 16]))).toThrow(/index 12 outside 12 rows/);
  });

  it('settles a held-back op before any other op reads its output', async () => {
    const [B, I, O] = [300, 64, 64], d = [rand(I * O), rand(O), rand(B * I), rand(B * O), rand(I * O + O)];
    const l = layer(nat, [B, I, O], d), lr = layer(ref, [B, I, O], d);
    for (const b of [nat, ref]) {
      const t = b === nat ? l : lr, copy = b.tensor([B, O]);
      b.linearForward(t.x, t.w, t.bias, t.y);
      b.copy(t.y, copy); // an elementwise op reads y right after the (held-back) forward
      b.activationForward('elu', t.y, copy); // not in place on y: no fusion
      b.linearBackward({ x: t.x, w: t.w, dy: t.dy, dx: t.dx, dw: t.dw, db: t.db }, false);
      b.activationBackward('tanh', t.x, t.dy, t.dy); // not a continuation of the held-back dx
      b.sumSquares(t.dx, b.view(t.bias, 0, [1]));
    }
    expectClose(await nat.download(l.y), await ref.download(lr.y), ...productTol(I));
    expectClose(await nat.download(l.dx), await ref.download(lr.dx), ...productTol(O));
    expectClose(await nat.download(l.bias), await ref.download(lr.bias), 1e-3, 1e-4);
  });
});

const ROLLOUT_KEYS = ['obs', 'actions', 'logProb', 'values', 'rewards', 'dones', 'advantages', 'returns'] as const;

/** Hands `ppo` the reference trainer's state and rollout (as test/backend/webgpu_ppo.test.ts does). */
async function sameStart(from: PPO, ppo: PPO): Promise<void> {
  const s = from.storage, data = await Promise.all(ROLLOUT_KEYS.map((k) => from.backend.download(s.data[k])));
  ppo.setState(await from.getState());
  for (let t = 0; t < ppo.storage.numSteps; t++) {
    ppo.storage.beginAct();
    ppo.storage.beginEnvStep();
  }
  ppo.storage.beginReturns();
  ROLLOUT_KEYS.forEach((k, i) => ppo.backend.upload(ppo.storage.data[k], data[i]!));
}

/** Layers large enough that acting, every minibatch product, the activations and the observation gathers run natively. */
const PPO_CFG = { num_envs: 70, num_steps: 9, minibatch_size: 630, num_epochs: 3, actor_hidden: [129, 66], critic_hidden: [97, 40] };

describe('a PPO update on native kernels', () => {
  for (const overrides of [
    { activation: 'tanh', clip_value_loss: false, advantage_norm: 'batch' },
    { activation: 'elu', clip_value_loss: true, advantage_norm: 'minibatch', entropy_coef: 0.01 },
  ]) {
    it(`matches the reference from the same state and minibatch order (${overrides.activation})`, async () => {
      const cfg = { ...PPO_CFG, ...overrides }, seed = Math.floor(Math.random() * 1e9);
      const a = smallPpo(ref, cfg, seed), b = smallPpo(nat, cfg, seed);
      await iterate(a.ppo, a.env);
      for (let t = 0; t < cfg.num_steps; t++) {
        a.env.step(await a.ppo.act(a.env.obs));
        await a.ppo.processEnvStep(a.env.rewards, a.env.terminated, a.env.truncated, a.env.terminalObs);
      }
      await a.ppo.computeReturns(a.env.obs);
      await sameStart(a.ppo, b.ppo);
      const [sa, sb] = [await a.ppo.update(), await b.ppo.update()];
      const pa = await ref.download(a.ppo.ac.params), pb = await nat.download(b.ppo.ac.params);
      let diff = 0, scale = 0;
      pa.forEach((v, i) => ((diff = Math.max(diff, Math.abs(v - pb[i]!))), (scale = Math.max(scale, Math.abs(v)))));
      expect(diff / scale, `seed ${seed}`).toBeLessThan(1e-4); // f32 rounding through 3 epochs of Adam steps
      expect(sb.nonfinite).toBe(false);
      for (const k of ['policy_loss', 'value_loss', 'entropy', 'approx_kl', 'grad_norm', 'learning_rate'] as const) {
        expect(Math.abs(sb[k] - sa[k]), `${k}, seed ${seed}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(sa[k])));
      }
      expect(Math.abs(sb.clipfrac - sa.clipfrac)).toBeLessThanOrEqual(0.05);
    });
  }

  it('layers, fused layers, activations and gathers large enough for every thread are bitwise those of one thread', async () => {
    const shape: [number, number, number] = [4099, 129, 67], [B, I, O] = shape;
    const d = [rand(I * O), rand(O), rand(B * I, -3, 3), rand(B * O), rand(I * O + O)], ix = Uint32Array.from({ length: 3072 }, () => Math.floor(Math.random() * B));
    const results: Float32Array[][] = [];
    for (const b of native) {
      const I32 = b.indexTensor(ix.length), G = b.tensor([ix.length, I]);
      b.uploadIndices(I32, ix);
      b.gatherRows(tensorOf(b, [B, I], d[2]!), I32, G);
      results.push([...(await layerOps(b, shape, d)), ...(await hiddenLayer(b, 'elu', shape, d)), ...(await hiddenLayer(b, 'tanh', shape, d)), await b.download(G)]);
    }
    for (let t = 1; t < results.length; t++) results[t]!.forEach((r, k) => expectBitwise(r, results[0]![k]!, `${native[t]!.threads} threads, output ${k}`));
  });

  it.each(['elu', 'tanh'])('gives bitwise the same parameters for 1, 2 and 3 threads, and from run to run (%s)', async (activation) => {
    const cfg = { ...PPO_CFG, activation }, seed = Math.floor(Math.random() * 1e9);
    const runs: Float32Array[] = [];
    for (const b of [...native, new CpuBackend({ threads: 2, kernels: 'native' })]) {
      const { ppo, env } = smallPpo(b, cfg, seed);
      await iterate(ppo, env);
      await iterate(ppo, env);
      runs.push(await b.download(ppo.ac.params));
    }
    runs.slice(1).forEach((p, i) => expectBitwise(p, runs[0]!, `seed ${seed}, run ${i + 2} (${[2, 3, 2][i]} threads)`));
  });
});

describe('choosing the kernels', () => {
  it('takes them from the option, else SIM2REAL_CPU_KERNELS, and rejects unknown values', () => {
    const saved = process.env.SIM2REAL_CPU_KERNELS;
    try {
      process.env.SIM2REAL_CPU_KERNELS = 'ts';
      expect(new CpuBackend().kernelsDescription).toBe('TypeScript kernels (SIM2REAL_CPU_KERNELS=ts)');
      expect(new CpuBackend({ kernels: 'native' }).kernels).toBe('native');
      process.env.SIM2REAL_CPU_KERNELS = 'fast';
      expect(() => new CpuBackend()).toThrow(/SIM2REAL_CPU_KERNELS=fast: expected one of auto, native, ts/);
    } finally {
      if (saved === undefined) delete process.env.SIM2REAL_CPU_KERNELS;
      else process.env.SIM2REAL_CPU_KERNELS = saved;
    }
    expect(() => new CpuBackend({ kernels: 'gpu' as never })).toThrow(/kernels: 'gpu': expected one of/);
  });

  it('falls back to the TypeScript kernels with one line when onnxruntime cannot load, and refuses native then', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-native-'));
    const hook = path.join(dir, 'no_ort.cjs');
    writeFileSync(hook, `const M = require('node:module'), load = M._load;
M._load = function (request, ...rest) {
  if (/onnxruntime-node[\\\\/]dist[\\\\/]binding/.test(request)) throw new Error('simulated: no native binary for this platform\\n    at a stack frame');
  return load.call(this, request, ...rest);
};`);
    const script = `(async () => {
      const { register } = await import('tsx/esm/api');
      register();
      const { CpuBackend } = await import(${JSON.stringify(path.join(ROOT, 'src/backend/cpu.ts'))});
      const b = new CpuBackend({ threads: 2 });
      const x = b.tensor([300, 64]), w = b.tensor([64, 64]), y = b.tensor([300, 64]);
      b.linearForward(x, w, b.tensor([64]), y);
      let refused = '';
      try { new CpuBackend({ kernels: 'native' }); } catch (e) { refused = e.message; }
      b.destroy();
      console.log(JSON.stringify({ kernels: b.kernels, line: b.kernelsDescription, refused }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['--require', hook, '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { kernels: string; line: string; refused: string };
    expect(out.kernels).toBe('ts');
    expect(out.line).toBe('TypeScript kernels (onnxruntime-node cannot be loaded: simulated: no native binary for this platform)');
    expect(out.refused).toBe("CpuBackend: kernels: 'native': onnxruntime-node cannot be loaded: simulated: no native binary for this platform");
  });
});
