/**
 * The WebGPU backend on the shared op suite (every op against a naive f64 reference), plus its
 * memory model: uploads ordered against recorded ops, views at offsets, aliasing rejected; and
 * `destroy()`: idempotent, final, leaving other open backends working and the process free to exit.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { WebGpuBackend } from '../../src/backend/webgpu.ts';
import { backendOpSuite } from './op_suite.ts';
import { expectClose, rand, tensorOf } from './helpers.ts';
import { webgpuForTests } from './webgpu_setup.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const gpu = await webgpuForTests();

if (gpu) {
  backendOpSuite('webgpu', () => gpu);

  describe('webgpu memory', () => {
    it('names its adapter', () => {
      expect(gpu.adapterDescription.length).toBeGreaterThan(0);
      expect(typeof gpu.adapter.software).toBe('boolean');
    });

    it('orders uploads after the ops recorded before them (no stale or early data)', async () => {
      const n = 37, a = gpu.tensor([n]), b = gpu.tensor([n]), c = gpu.tensor([n]);
      const first = rand(n), second = rand(n), third = rand(n);
      gpu.upload(a, first);
      gpu.copy(a, b); // recorded, not yet submitted
      gpu.upload(a, second); // must not reach b
      gpu.copy(a, c);
      gpu.upload(a, third);
      const [B, C, A] = await Promise.all([gpu.download(b), gpu.download(c), gpu.download(a)]);
      expectClose(B, first, 0);
      expectClose(C, second, 0);
      expectClose(A, third, 0);
    });

    it('copies between views of one buffer, and rejects overlapping or aliased operands naming the op', async () => {
      const base = tensorOf(gpu, [20], rand(20));
      const host = await gpu.download(base);
      gpu.copy(gpu.view(base, 2, [5]), gpu.view(base, 12, [5]));
      const after = await gpu.download(base);
      expectClose(after.subarray(12, 17), host.subarray(2, 7), 0);
      expectClose(after.subarray(0, 12), host.subarray(0, 12), 0);
      expect(() => gpu.copy(gpu.view(base, 0, [5]), gpu.view(base, 3, [5]))).toThrow(/overlap/);
      const x = tensorOf(gpu, [4, 5], rand(20)), w = gpu.view(base, 0, [5, 3]);
      expect(() => gpu.linearForward(x, w, gpu.view(base, 15, [3]), gpu.view(base, 0, [4, 3]))).toThrow(/linearForward.*share one GPU buffer/);
    });

    it('activations run in place on views', async () => {
      const x = rand(50, -2, 2), t = tensorOf(gpu, [50], x), v = gpu.view(t, 10, [30]);
      gpu.activationForward('tanh', v, v);
      const y = await gpu.download(t);
      expectClose(y.subarray(10, 40), Array.from(x.subarray(10, 40), Math.tanh), 1e-6, 1e-6);
      expectClose(y.subarray(0, 10), x.subarray(0, 10), 0);
    });

    it('rejects tensors of another backend', () => {
      expect(() => gpu.fill({ dtype: 'f32', shape: [2], size: 2 }, 1)).toThrow(/another backend/);
    });
  });

  describe('webgpu destroy()', () => {
    it('releases a second device, twice without harm; it throws afterwards, and the other backend goes on', async () => {
      const other: Backend | null = await WebGpuBackend.create();
      expect(other).not.toBeNull();
      const data = rand(33), t = tensorOf(other!, [33], data), u = other!.tensor([33]);
      other!.copy(t, u); // recorded, never submitted: destroy() drops it
      other!.destroy();
      other!.destroy();
      expect(() => other!.fill(u, 1)).toThrow(/used after destroy\(\)/);
      expect(() => other!.tensor([4])).toThrow(/used after destroy\(\)/);
      await expect(other!.download(t)).rejects.toThrow(/used after destroy\(\)/);
      // this file's backend shares the process's Dawn instance, which must outlive its device
      const mine = tensorOf(gpu, [33], data), copy = gpu.tensor([33]);
      gpu.copy(mine, copy);
      expectClose(await gpu.download(copy), data, 0);
      const third = await WebGpuBackend.create();
      expectClose(await third!.download(tensorOf(third!, [33], data)), data, 0);
      third!.destroy();
    });

    it('a process that opens WebGPU, runs ops and destroys the backend exits by itself', () => {
      const script = `
        import { register } from 'tsx/esm/api';
        register();
        const { WebGpuBackend } = await import(${JSON.stringify(path.join(ROOT, 'src/backend/webgpu.ts'))});
        const b = await WebGpuBackend.create();
        const x = b.tensor([1000]);
        b.fill(x, 2);
        const y = await b.download(x);
        b.destroy();
        b.destroy();
        console.log(y[999]);
      `;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.error, r.stderr).toBeUndefined();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('2');
    });
  });
}
