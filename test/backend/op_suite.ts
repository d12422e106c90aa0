/**
 * Every backend op against a naive f64 reference on awkward sizes (not multiples of 4 or 8),
 * written once for any `Backend`: `cpu.test.ts` runs it on the CPU reference, and a device
 * backend's test runs the same suite. Inputs are fresh random numbers on every run.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { expectClose, naiveMatmul, rand, randn, tensorOf } from './helpers.ts';

const LOG_2PI = Math.log(2 * Math.PI);

/** Layer shapes [B, in, out] the linear ops are checked on. */
const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [13, 4, 64], [37, 67, 61], [258, 64, 1], [5, 1, 9]];

export function backendOpSuite(name: string, make: () => Backend): void {
  describe(`${name} backend ops`, () => {
    it('keeps tensor memory behind upload/download, and views share their base', async () => {
      const b = make();
      const base = tensorOf(b, [10], rand(10));
      const v = b.view(base, 3, [2, 2]);
      const data = rand(4);
      b.upload(v, data);
      const all = await b.download(base);
      expectClose(all.subarray(3, 7), data, 0);
      all[3] = 123; // a download is a copy
      expect((await b.download(v))[0]).toBe(data[0]);
      expect(() => b.upload(v, rand(5))).toThrow(/4/);
      expect(() => b.view(base, 8, [3])).toThrow(/outside/);
    });

    it('linearForward: y = x·w + b', async () => {
      const b = make();
      for (const [B, I, O] of SHAPES) {
        const x = rand(B * I), w = rand(I * O), bias = rand(O), y = b.tensor([B, O]);
        b.linearForward(tensorOf(b, [B, I], x), tensorOf(b, [I, O], w), tensorOf(b, [O], bias), y);
        expectClose(await b.download(y), naiveMatmul(x, w, B, I, O, bias), 1e-5 * I, 1e-5);
      }
    });

    it('linearBackward: dx = dy·wᵀ, dw = xᵀ·dy, db = Σ dy, overwriting or accumulating as asked', async () => {
      const b = make();
      for (const [B, I, O] of SHAPES) {
        const x = rand(B * I), w = rand(I * O), dy = rand(B * O), dw0 = rand(I * O), db0 = rand(O);
        const dx = b.tensor([B, I]), dw = tensorOf(b, [I, O], dw0), db = tensorOf(b, [O], db0);
        const X = tensorOf(b, [B, I], x), W = tensorOf(b, [I, O], w), dY = tensorOf(b, [B, O], dy);
        // reference: transposes through the naive product
        const xT = new Float64Array(I * B), wT = new Float64Array(O * I);
        for (let i = 0; i < B; i++) for (let k = 0; k < I; k++) xT[k * B + i] = x[i * I + k]!;
        for (let k = 0; k < I; k++) for (let j = 0; j < O; j++) wT[j * I + k] = w[k * O + j]!;
        const dwRef = naiveMatmul(xT, dy, I, B, O), dxRef = naiveMatmul(dy, wT, B, O, I);
        const dbRef = new Float64Array(O);
        for (let i = 0; i < B; i++) for (let j = 0; j < O; j++) dbRef[j]! += dy[i * O + j]!;
        b.linearBackward({ x: X, w: W, dy: dY, dx, dw, db }, true);
        expectClose(await b.download(dw), dwRef.map((v, i) => v + dw0[i]!), 1e-5 * B, 1e-5);
        expectClose(await b.download(db), dbRef.map((v, j) => v + db0[j]!), 1e-5 * B, 1e-5);
        expectClose(await b.download(dx), dxRef, 1e-5 * O, 1e-5);
        b.linearBackward({ x: X, w: W, dy: dY, dx: null, dw, db }, false);
        expectClose(await b.download(dw), dwRef, 1e-5 * B, 1e-5);
        expectClose(await b.download(db), dbRef, 1e-5 * B, 1e-5);
      }
    });

    it('activations: tanh and elu forward, and backward from the forward output', async () => {
      const b = make();
      const n = 101, x = rand(n, -3, 3), dy = rand(n);
      const ref = { tanh: (v: number) => Math.tanh(v), elu: (v: number) => (v > 0 ? v : Math.exp(v) - 1) };
      const dref = { tanh: (v: number) => 1 - Math.tanh(v) ** 2, elu: (v: number) => (v > 0 ? 1 : Math.exp(v)) };
      for (const kind of ['tanh', 'elu'] as const) {
        const y = b.tensor([n]), dx = b.tensor([n]);
        b.activationForward(kind, tensorOf(b, [n], x), y);
        expectClose(await b.download(y), Array.from(x, ref[kind]), 1e-6, 1e-6);
        b.activationBackward(kind, y, tensorOf(b, [n], dy), dx);
        expectClose(await b.download(dx), Array.from(x, (v, i) => dy[i]! * dref[kind](v)), 1e-6, 1e-5);
      }
    });

    it('Gaussian sample and log-probability with a state-independent log-std', async () => {
      const b = make();
      const B = 29, A = 3, mean = rand(B * A, -2, 2), logStd = rand(A, -1.5, 0.5), noise = randn(B * A);
      const out = b.tensor([B, A]), lp = b.tensor([B]);
      const M = tensorOf(b, [B, A], mean), LS = tensorOf(b, [A], logStd);
      b.gaussianSample(M, LS, tensorOf(b, [B, A], noise), out);
      const actions = await b.download(out);
      expectClose(actions, Array.from(mean, (m, i) => m + Math.exp(logStd[i % A]!) * noise[i]!), 1e-6, 1e-6);
      b.gaussianLogProb(M, LS, out, lp);
      const lpRef = Array.from({ length: B }, (_, i) => {
        let s = 0;
        for (let j = 0; j < A; j++) s += -0.5 * ((actions[i * A + j]! - mean[i * A + j]!) / Math.exp(logStd[j]!)) ** 2 - logStd[j]! - 0.5 * LOG_2PI;
        return s;
      });
      expectClose(await b.download(lp), lpRef, 1e-5, 1e-5);
    });

    it('gatherRows copies the indexed rows, and rejects an index past the end', async () => {
      const b = make();
      const R = 23, C = 5, M = 11, src = rand(R * C), ix = Uint32Array.from({ length: M }, () => Math.floor(Math.random() * R));
      const idx = b.indexTensor(M + 3);
      b.uploadIndices(idx, Uint32Array.from([...ix, 0, 0, 0]));
      const dst = b.tensor([M, C]);
      b.gatherRows(tensorOf(b, [R, C], src), b.indexView(idx, 0, M), dst);
      expectClose(await b.download(dst), Array.from({ length: M * C }, (_, k) => src[ix[Math.floor(k / C)]! * C + (k % C)]!), 0);
      b.uploadIndices(b.indexView(idx, 0, 1), Uint32Array.of(R));
      expect(() => b.gatherRows(tensorOf(b, [R, C], src), b.indexView(idx, 0, M), dst)).toThrow(/index/);
    });

    it('gae matches the textbook backward recursion on a random [T, N] rollout', async () => {
      const b = make();
      const T = 17, N = 5, gamma = 0.97, lambda = 0.9;
      const r = rand(T * N), v = rand(T * N, -2, 2), last = rand(N), done = Float32Array.from({ length: T * N }, () => (Math.random() < 0.15 ? 1 : 0));
      const adv = b.tensor([T, N]), ret = b.tensor([T, N]);
      b.gae({ rewards: tensorOf(b, [T, N], r), values: tensorOf(b, [T, N], v), dones: tensorOf(b, [T, N], done), lastValues: tensorOf(b, [N], last), advantages: adv, returns: ret }, gamma, lambda);
      const advRef = new Float64Array(T * N);
      for (let e = 0; e < N; e++) {
        for (let t = T - 1; t >= 0; t--) {
          const i = t * N + e, nonTerminal = 1 - done[i]!;
          const nextV = t === T - 1 ? last[e]! : v[i + N]!;
          const nextA = t === T - 1 ? 0 : advRef[i + N]!;
          advRef[i] = r[i]! + gamma * nonTerminal * nextV - v[i]! + gamma * lambda * nonTerminal * nextA;
        }
      }
      expectClose(await b.download(adv), advRef, 1e-5, 1e-5);
      expectClose(await b.download(ret), advRef.map((a, i) => a + v[i]!), 1e-5, 1e-5);
    });

    it('standardize gives mean 0 and std 1', async () => {
      const b = make();
      const x = tensorOf(b, [131], rand(131, 3, 9));
      b.standardize(x, 1e-8);
      const y = await b.download(x);
      const mean = y.reduce((s, v) => s + v, 0) / y.length;
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / y.length)).toBeCloseTo(1, 5);
    });

    it('sumSquares, countNonFinite, and a clamp that lets NaN through', async () => {
      const b = make();
      const x = rand(77, -3, 3), out = b.tensor([1]);
      b.sumSquares(tensorOf(b, [77], x), out);
      expect((await b.download(out))[0]).toBeCloseTo(x.reduce((s, v) => s + v * v, 0), 3);
      const bad = Float32Array.from(x);
      bad[5] = NaN;
      bad[60] = -Infinity;
      const t = tensorOf(b, [77], bad);
      b.countNonFinite(t, out);
      expect((await b.download(out))[0]).toBe(2);
      b.clamp(t, -1, 2);
      const c = await b.download(t);
      expect(Number.isNaN(c[5])).toBe(true);
      expect(c[60]).toBe(-1);
      for (let i = 0; i < 77; i++) if (i !== 5) expect(c[i]).toBe(Math.min(2, Math.max(-1, bad[i]!)));
    });

    it('normalize: (x − mean)/√(var + eps), clipped', async () => {
      const b = make();
      const B = 19, D = 3, x = rand(B * D, -5, 5), mean = rand(D), variance = rand(D, 0.001, 0.1), out = b.tensor([B, D]);
      b.normalize(tensorOf(b, [B, D], x), tensorOf(b, [D], mean), tensorOf(b, [D], variance), 1e-8, 10, out);
      const ref = Array.from(x, (v, i) => Math.max(-10, Math.min(10, (v - mean[i % D]!) / Math.sqrt(variance[i % D]! + 1e-8))));
      expectClose(await b.download(out), ref, 1e-5, 1e-5);
      expect(ref.some((v) => Math.abs(v) === 10)).toBe(true);
    });
  });
}
