/**
 * What Dawn printed while it looked for an adapter, in our words. Its warnings carry source
 * locations on the machine that built the `webgpu` package (`at … (/home/runner/work/…)`), which
 * no user can act on; its notes on clamping `maxDynamic*BuffersPerPipelineLayout` (printed for
 * every adapter, about limits the kernels never come near: one dynamic uniform buffer each) say
 * nothing to act on either. What is left is either why there is no adapter, or passed on.
 */
import path from 'node:path';

/** Dawn's adapter-discovery output, read. */
export interface DawnReport {
  /** Why there is no adapter, one clause (used only when none was found), e.g. `Vulkan loader libvulkan.so.1 not found`. */
  noAdapter: string;
  /** Messages not understood here, one line each, without their build-machine source locations. */
  other: string[];
}

const CLAMPED_LIMIT = /^max\w+ artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.?$/;
const NO_LOADER = /^Couldn't load Vulkan: (.*)$/;
const NO_DRIVER = /^vkCreateInstance(: Found no drivers!| failed with VK_ERROR_INCOMPATIBLE_DRIVER)$/;
const MISSING = /cannot open shared object file|no such file|image not found|not found/i;

/** Reads what Dawn wrote to stderr during `requestAdapter` (`platform` picks the fallback wording). */
export function readDawnLog(text: string, platform: NodeJS.Platform = process.platform): DawnReport {
  let loader: string | undefined, driver: string | undefined;
  const other: string[] = [];
  for (const raw of text.split('\n')) {
    // "Warning: <message>", then an indented "at <function> (<build path>:<line>)" and a blank line
    if (!raw.trim() || /^\s+at .*\(.*\)\s*$/.test(raw)) continue;
    const line = raw.replace(/^(Debug|Info|Warning|Error): /, '').trim();
    if (CLAMPED_LIMIT.test(line)) continue;
    const noLoader = NO_LOADER.exec(line);
    if (noLoader) loader ??= loaderReason(noLoader[1] ?? '');
    else if (NO_DRIVER.test(line)) driver ??= 'the Vulkan loader found none';
    else other.push(line);
  }
  return { noAdapter: loader ?? driver ?? FALLBACK[platform] ?? 'Dawn found no adapter', other };
}

const FALLBACK: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'Vulkan lists no usable GPU',
  darwin: 'Metal lists no GPU',
  win32: 'D3D12 lists no adapter',
};

function loaderReason(cause: string): string {
  // the dynamic loader's words: "libvulkan.so.1: cannot open shared object file: No such file or directory"
  const at = cause.indexOf(': ');
  const lib = at > 0 ? cause.slice(0, at) : 'libvulkan';
  if (MISSING.test(cause)) return `Vulkan loader ${path.basename(lib)} not found`;
  return at > 0 ? `Vulkan loader ${lib} did not load: ${cause.slice(at + 2)}` : `Vulkan loader did not load: ${cause}`;
}
