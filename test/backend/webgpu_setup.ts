/**
 * The WebGPU backend for tests: one device per test file, or a skip with the fix when the
 * machine has no adapter — unless SIM2REAL_REQUIRE_WEBGPU=1 (CI with lavapipe installed), where
 * a missing adapter fails instead.
 */
import { afterAll, it } from 'vitest';
import { WebGpuBackend } from '../../src/backend/webgpu.ts';

/** Why WebGPU tests were skipped, and how to get them to run. */
export const NO_ADAPTER = 'no WebGPU adapter on this machine: scripts/install-system-deps.sh vulkan installs the Vulkan driver (Mesa 25 lavapipe)';

/** Opens the backend for this file (destroyed after its tests), or null after registering the skip. */
export async function webgpuForTests(): Promise<WebGpuBackend | null> {
  const gpu = await WebGpuBackend.create();
  if (!gpu) {
    if (process.env.SIM2REAL_REQUIRE_WEBGPU === '1') throw new Error(`SIM2REAL_REQUIRE_WEBGPU=1 but ${NO_ADAPTER}`);
    process.stderr.write(`webgpu tests skipped: ${NO_ADAPTER}\n`);
    it.skip(NO_ADAPTER, () => {});
    return null;
  }
  afterAll(() => gpu.destroy());
  return gpu;
}
