/**
 * Dawn's adapter-search output read into our words (`src/backend/dawn_log.ts`): the texts below
 * are what the `webgpu` package (Dawn, Linux x64) printed on this machine in each case.
 */
import { describe, expect, it } from 'vitest';
import { readDawnLog } from '../../src/backend/dawn_log.ts';

const BUILD = '/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan';
const CLAMPED = [
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
].join('\n') + '\n';

describe('readDawnLog', () => {
  it('no Vulkan loader: names the library, drops the build path', () => {
    const r = readDawnLog(`Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n    at operator() (${BUILD}/BackendVk.cpp:368)\n\n`, 'linux');
    expect(r).toEqual({ noAdapter: 'Vulkan loader libvulkan.so.1 not found', other: [] });
  });

  it('a Vulkan loader that does not load: says which file and why', () => {
    const r = readDawnLog(`Warning: Couldn't load Vulkan: /opt/vk/libvulkan.so.1: file too short\n    at operator() (${BUILD}/BackendVk.cpp:368)\n\n`, 'linux');
    expect(r).toEqual({ noAdapter: 'Vulkan loader /opt/vk/libvulkan.so.1 did not load: file too short', other: [] });
  });

  it('a loader without drivers: one clause for both of its messages', () => {
    const r = readDawnLog(`Warning: vkCreateInstance: Found no drivers!\nWarning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER\n    at CheckVkSuccessImpl (${BUILD}/VulkanError.cpp:106)\n\n`, 'linux');
    expect(r).toEqual({ noAdapter: 'the Vulkan loader found none', other: [] });
  });

  it('an adapter: the notes on clamped limits say nothing to act on', () => {
    expect(readDawnLog(CLAMPED, 'linux').other).toEqual([]);
  });

  it('anything else is passed on, one line each, without source locations; silence falls back to the platform', () => {
    const r = readDawnLog(`${CLAMPED}Warning: something new\n    at Fn (${BUILD}/X.cpp:1)\n\n`, 'darwin');
    expect(r).toEqual({ noAdapter: 'Metal lists no GPU', other: ['something new'] });
    expect(readDawnLog('', 'linux').noAdapter).toBe('Vulkan lists no usable GPU');
  });
});
