/**
 * Finding the WebGPU adapter without Dawn talking over us. Dawn prints from C++ to stderr while it
 * searches (synchronously, inside `requestAdapter()`): "Couldn't load Vulkan" with a path on the
 * machine that built it, or two notes on clamped limits for every adapter. The search runs with
 * fd 2 captured (`native_stderr.ts`, ~0.1 ms) and what Dawn said is read (`dawn_log.ts`). Where fd
 * 2 cannot be captured (a socket, as when a Node process spawned ours; a file opened without
 * O_APPEND; Windows), a child process asks first (~0.1 s): when it finds no adapter, or only a
 * software one nobody asked for, Dawn never starts here. SIM2REAL_DEBUG=1 shows Dawn as it is.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readDawnLog } from './dawn_log.ts';
import { canCaptureStderr, captureStderr } from './native_stderr.ts';

/** What the adapter says about itself, for logs and for `--backend auto`. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software rasterizer or fallback adapter (lavapipe, SwiftShader): a CPU, not a GPU. */
  software: boolean;
}

/**
 * Why no device was opened: the machine offers no adapter (`noAdapter`, one clause in our words,
 * e.g. `Vulkan loader libvulkan.so.1 not found`), or only a software one and a hardware one was
 * asked for (`softwareAdapter`).
 */
export type NotOpened = { readonly noAdapter: string } | { readonly softwareAdapter: AdapterInfo };

/** The adapter's fields as Dawn reports them (`isFallbackAdapter` moved from the adapter to its info). */
interface RawInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

/** What `adapter` says about itself, and whether it is a CPU emulating a GPU. */
export function adapterInfo(adapter: GPUAdapter): AdapterInfo {
  const i = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return fromRaw({ vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter ?? legacy });
}

function fromRaw(i: RawInfo): AdapterInfo {
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`;
  const software = Boolean(i.isFallbackAdapter) || i.architecture === 'software' || /llvmpipe|lavapipe|swiftshader|software/i.test(text);
  return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, software };
}

/** One line naming the adapter for logs, e.g. `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6), mesa software`. */
export function describeAdapter(i: AdapterInfo): string {
  const head = i.description || i.device || 'unknown adapter';
  const tail = [i.vendor, i.architecture].filter((s) => s && !head.includes(s)).join(' ');
  return tail ? `${head}, ${tail}` : head;
}

const SEARCH = { powerPreference: 'high-performance' } as const;

/** Whether Dawn's output is shown as it is (SIM2REAL_DEBUG=1) rather than read. */
function raw(): boolean {
  return Boolean(process.env.SIM2REAL_DEBUG);
}

/**
 * Asks Dawn, in a child process whose stderr is read, what adapter there is: only where this
 * process cannot capture its own fd 2 (otherwise null, as when the child fails: search here).
 */
export function searchAhead(): { info: AdapterInfo | null; noAdapter: string } | null {
  if (raw() || canCaptureStderr()) return null;
  const webgpu = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  const script = `
    const { create, globals } = await import(${JSON.stringify(webgpu)});
    Object.assign(globalThis, globals);
    const a = await create([]).requestAdapter(${JSON.stringify(SEARCH)});
    const i = a && a.info;
    process.stdout.write(JSON.stringify(i && { vendor: i.vendor, architecture: i.architecture, device: i.device,
      description: i.description, isFallbackAdapter: i.isFallbackAdapter ?? a.isFallbackAdapter }));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  if (r.status !== 0) return null;
  let found: RawInfo | null;
  try {
    found = JSON.parse(r.stdout) as RawInfo | null;
  } catch {
    return null;
  }
  const dawn = readDawnLog(r.stderr);
  passOn(dawn.other);
  return { info: found && fromRaw(found), noAdapter: dawn.noAdapter };
}

/** Dawn's search for the default adapter on `gpu`, its stderr captured and read where fd 2 allows. */
export async function searchHere(gpu: GPU): Promise<{ adapter: GPUAdapter | null; noAdapter: string }> {
  const search = () => gpu.requestAdapter(SEARCH);
  const found = raw() ? { value: search(), text: null } : captureStderr(search);
  const adapter = await found.value;
  const dawn = readDawnLog(found.text ?? '');
  passOn(dawn.other);
  return { adapter, noAdapter: dawn.noAdapter };
}

/** What Dawn said that is not understood here: one line each, as `webgpu: …`. */
function passOn(lines: string[]): void {
  for (const line of lines) process.stderr.write(`webgpu: ${line}\n`);
}
