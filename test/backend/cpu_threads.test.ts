/**
 * The CPU backend's TypeScript kernels with a thread pool (`new CpuBackend({ threads, kernels: 'ts' })`;
 * the native kernels' threads are onnxruntime's, tested in cpu_native.test.ts): linear layers and a whole
 * PPO update give bitwise the same numbers as on one thread for any thread count, the op suite
 * holds, pool threads end with `destroy()` (and never keep the process alive), and a failing
 * pool thread surfaces as an error on the caller.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../src/backend/backend.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { gemm } from '../../src/backend/cpu_gemm.ts';
import { CpuPool, MIN_PARALLEL_MACS, planGemm } from '../../src/backend/cpu_pool.ts';
import { iterate, smallPpo } from '../rl/ppo_helpers.ts';
import { backendOpSuite } from './op_suite.ts';
import { rand, randn } from './helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Runs `body` in a fresh Node process and returns what it passed to `out(value)`. The body has
 * `pooledBackend()` (a 3-thread CPU backend whose pool threads have been seen to compute), `sleep`
 * and `readdirSync`. A CommonJS `-e` script: worker threads inherit the parent's flags, and with
 * `--input-type` they would fail to start (leaving nothing to test).
 */
function inChild(body: string): unknown {
  const script = `(async () => {
    const { readdirSync } = require('node:fs');
    const { register } = await import('tsx/esm/api');
    register();
    const { CpuBackend } = await import(${JSON.stringify(path.join(ROOT, 'src/backend/cpu.ts'))});
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const out = (v) => console.log(JSON.stringify(v));
    const pooledBackend = async () => {
      const b = new CpuBackend({ threads: 3, kernels: 'ts' });
      const x = b.tensor([600, 300]), w = b.tensor([300, 200]), bias = b.tensor([200]), y = b.tensor([600, 200]);
      for (const t0 = Date.now(); b.pooledParts === 0; await sleep(10)) {
        if (Date.now() - t0 > 30_000) throw new Error('the pool threads never took part');
        b.linearForward(x, w, bias, y);
      }
      return b;
    };
    ${body}
  })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(r.error, r.stderr).toBeUndefined();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const one = new CpuBackend({ kernels: 'ts' });
const pooled = [new CpuBackend({ threads: 2, kernels: 'ts' }), new CpuBackend({ threads: 3, kernels: 'ts' })];
afterAll(() => {
  for (const b of pooled) b.destroy();
});

backendOpSuite('cpu (3 threads)', () => pooled[1]!);

/** Layer shapes [B, in, out]: rows and columns splits, n = 1, remainders of every block size. */
const SHAPES: [number, number, number][] = [
  [1037, 48, 128], [6, 777, 33], [2049, 67, 1], [301, 129, 12], [9, 1500, 12], [3, 40_000, 1], [13, 4, 64], [515, 33, 131],
];

/** The element-by-element comparison, reporting the first differing element (bitwise, so NaN-safe on the bits). */
function expectBitwise(actual: Float32Array, expected: Float32Array, what: string): void {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length), e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  expect(a.length, what).toBe(e.length);
  const i = a.findIndex((v, j) => v !== e[j]);
  expect(i, `${what}: element ${i} is ${actual[i]} against ${expected[i]} on one thread`).toBe(-1);
}

/** A layer's operands on backend b, weights and gradients as views at odd offsets of flat buffers (as the actor-critic lays them out). */
function layer(b: Backend, [B, I, O]: [number, number, number], data: Float32Array[]) {
  const params = b.tensor([I * O + O + 7]), grads = b.tensor([I * O + O + 7]);
  const t = (shape: number[], d: Float32Array): Tensor => {
    const x = b.tensor(shape);
    b.upload(x, d);
    return x;
  };
  const w = b.view(params, 7, [I, O]), bias = b.view(params, 7 + I * O, [O]);
  b.upload(w, data[0]!);
  b.upload(bias, data[1]!);
  b.upload(b.view(grads, 7, [I * O + O]), data[4]!);
  return {
    x: t([B, I], data[2]!), dy: t([B, O], data[3]!), w, bias, y: b.tensor([B, O]), dx: b.tensor([B, I]),
    dw: b.view(grads, 7, [I, O]), db: b.view(grads, 7 + I * O, [O]),
  };
}

describe('cpu backend on several threads', () => {
  it('splits large products by rows, few-row products by columns, and leaves small ones on the calling thread', () => {
    expect(planGemm(3072, 48, 128, 2)).toEqual({ split: 0, step: 1536, parts: 2 });
    expect(planGemm(1037, 48, 128, 3)).toMatchObject({ split: 0, step: 348 }); // blocks of four rows
    expect(planGemm(6, 777, 33, 2)).toMatchObject({ split: 1, parts: 2 });
    expect(planGemm(13, 4, 64, 8)).toBeNull(); // under MIN_PARALLEL_MACS
    expect(planGemm(3, 40_000, 1, 4)).toBeNull(); // neither 4 rows nor 8 columns per part
    expect(13 * 4 * 64).toBeLessThan(MIN_PARALLEL_MACS);
  });

  for (const shape of SHAPES) {
    it(`linear forward and backward are bitwise those of one thread, on 2 and 3 threads [${shape.join(', ')}]`, async () => {
      const [B, I, O] = shape;
      const data = [randn(I * O, 0.3), randn(O), randn(B * I), randn(B * O), randn(I * O + O)];
      const results: Float32Array[][] = [];
      for (const b of [one, ...pooled]) {
        const l = layer(b, shape, data);
        b.linearForward(l.x, l.w, l.bias, l.y);
        const y = await b.download(l.y);
        b.linearBackward({ x: l.x, w: l.w, dy: l.dy, dx: l.dx, dw: l.dw, db: l.db }, true); // dw, db added to their old values
        const acc = [await b.download(l.dx), await b.download(l.dw), await b.download(l.db)];
        b.linearBackward({ x: l.x, w: l.w, dy: l.dy, dx: null, dw: l.dw, db: l.db }, false);
        results.push([y, ...acc, await b.download(l.dw)]);
      }
      const names = ['y', 'dx', 'dw (accumulated)', 'db (accumulated)', 'dw'];
      for (let t = 1; t < results.length; t++) {
        names.forEach((n, k) => expectBitwise(results[t]![k]!, results[0]![k]!, `${pooled[t - 1]!.threads} threads, ${n}`));
      }
    });
  }

  for (const kind of ['tanh', 'elu'] as const) {
    it(`${kind} forward and backward, in place or not, are bitwise those of one thread`, async () => {
      const n = 70_001, x = randn(n, 2), dy = randn(n);
      const results: Float32Array[][] = [];
      for (const b of [one, ...pooled]) {
        const X = b.tensor([n]), Y = b.tensor([n]), dY = b.tensor([n]), dX = b.tensor([n]);
        b.upload(X, x);
        b.upload(dY, dy);
        b.activationForward(kind, X, Y);
        b.activationBackward(kind, Y, dY, dX);
        const out = [await b.download(Y), await b.download(dX)];
        b.activationForward(kind, X, X);
        b.activationBackward(kind, X, dY, dY);
        results.push([...out, await b.download(X), await b.download(dY)]);
      }
      for (let t = 1; t < results.length; t++) {
        ['y', 'dx', 'y in place', 'dx in place'].forEach((w, k) => expectBitwise(results[t]![k]!, results[0]![k]!, `${pooled[t - 1]!.threads} threads, ${w}`));
      }
    });
  }

  it.each(['elu', 'tanh'])('a whole PPO update (rollout, GAE, 3 epochs of minibatches, Adam) ends with bitwise the same parameters (%s)', async (activation) => {
    // layers large enough that acting, every minibatch product and the activations go through the pool
    const cfg = { num_envs: 70, num_steps: 9, minibatch_size: 630, num_epochs: 3, actor_hidden: [129, 66], critic_hidden: [97, 40], activation };
    const seed = Math.floor(Math.random() * 1e9);
    const runs: { params: Float32Array; stats: unknown[] }[] = [];
    const before = pooled.map((b) => b.pooledParts);
    for (const b of [one, ...pooled]) {
      const { ppo, env } = smallPpo(b, cfg, seed);
      const stats = [await iterate(ppo, env), await iterate(ppo, env)];
      runs.push({ params: await b.download(ppo.ac.params), stats });
    }
    for (let t = 1; t < runs.length; t++) {
      expectBitwise(runs[t]!.params, runs[0]!.params, `seed ${seed}, ${pooled[t - 1]!.threads} threads, parameters`);
      expect(runs[t]!.stats).toEqual(runs[0]!.stats);
    }
    // the pool threads did share the work (they are up: earlier tests waited on them)
    pooled.forEach((b, i) => expect(b.pooledParts, `${b.threads} threads`).toBeGreaterThan(before[i]!));
  });

  it('rejects a bad thread count or an unknown option, naming it', () => {
    expect(() => new CpuBackend({ threads: 0 })).toThrow(/threads must be an integer in 1\.\.64, got 0/);
    expect(() => new CpuBackend({ threads: 2.5 })).toThrow(/threads/);
    expect(() => new CpuBackend({ thread: 2 } as never)).toThrow(/unknown option "thread"/);
    expect(() => new CpuBackend({ kernels: 'fast' } as never)).toThrow(/kernels: 'fast': expected one of auto, native, ts/);
  });

  it('throws a clear error when used after destroy(), on either kernels', () => {
    for (const [threads, kernels] of [[1, 'ts'], [2, 'ts'], [1, 'native'], [2, 'native']] as const) {
      const b = new CpuBackend({ threads, kernels });
      const x = b.tensor([64, 64]), w = b.tensor([64, 64]), bias = b.tensor([64]), y = b.tensor([64, 64]);
      b.linearForward(x, w, bias, y);
      b.destroy();
      b.destroy(); // twice is fine
      expect(() => b.linearForward(x, w, bias, y)).toThrow(/used after destroy\(\)/);
      expect(() => b.linearBackward({ x, w, dy: y, dx: x, dw: w, db: bias }, false)).toThrow(/used after destroy\(\)/);
      expect(() => b.activationForward('elu', y, y)).toThrow(/used after destroy\(\)/);
    }
  });

  it('a pool thread that throws surfaces as an error on the caller, and the pool goes on afterwards', () => {
    const pool = new CpuPool(2);
    try {
      const [m, k, n] = [512, 256, 128];
      const shared = (len: number, d?: Float32Array) => {
        const a = new Float32Array(new SharedArrayBuffer(len * 4));
        if (d) a.set(d);
        return a;
      };
      const a = shared(m * k, rand(m * k)), b = shared(k * n, rand(k * n)), c = shared(m * n), ref = new Float32Array(m * n);
      gemm(a, b, ref, m, k, n, false);
      pool.injectFailure();
      // the caller claims parts too: keep posting until a pool thread (still booting at first) claims one
      let error: unknown = null;
      for (const t0 = Date.now(); !error && Date.now() - t0 < 30_000;) {
        try {
          pool.gemm(a, b, c, m, k, n, false);
        } catch (e) {
          error = e;
        }
      }
      expect(String(error)).toMatch(/pool thread 0 failed in a matrix product: .*injected failure/);
      pool.injectFailure(false);
      pool.gemm(a, b, c, m, k, n, false);
      expectBitwise(c, ref, 'after the failure');
    } finally {
      pool.destroy();
    }
  });

  it.skipIf(process.platform !== 'linux')('destroy() ends the pool threads (the OS thread count falls back), and a second call is harmless', () => {
    for (const destroy of [true, false]) {
      // counted in a child process, where no other test's threads come and go
      const { before, running, after } = inChild(`
        const threads = () => readdirSync('/proc/self/task').length;
        const before = threads();
        const b = await pooledBackend();
        const running = threads();
        ${destroy ? 'b.destroy(); b.destroy();' : ''}
        let after = threads();
        for (const t0 = Date.now(); after > before && Date.now() - t0 < ${destroy ? 20_000 : 500};) {
          await sleep(20);
          after = threads();
        }
        out({ before, running, after, parts: b.pooledParts });
      `) as Record<string, number>;
      expect(running, 'two pool threads started').toBeGreaterThanOrEqual(before! + 2);
      if (destroy) expect(after, 'every thread the pool started has ended').toBe(before);
      else expect(after, 'without destroy() the pool threads are still there').toBeGreaterThanOrEqual(before! + 2);
    }
  });

  it('pool threads never keep the process alive, with or without destroy()', () => {
    for (const destroy of [true, false]) {
      const active = inChild(`
        const b = await pooledBackend();
        ${destroy ? 'b.destroy();' : ''}
        await sleep(50);
        // what keeps the event loop alive, less our own stdio (a ref'd worker shows as a MessagePort)
        out(process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap'));
      `);
      expect(active).toEqual([]);
    }
  });
});
