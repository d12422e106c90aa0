/**
 * The WebGPU device under the WebGPU backend: opening an adapter through Dawn (the `webgpu`
 * package), GPU buffers, and the command stream. Ops are recorded into one pending command
 * encoder and submitted together when the host needs a result (`read`), when a buffer that
 * pending work touches is uploaded to, or when the encoder grows large: on lavapipe a submit
 * round trip costs ~250 µs and a dispatch ~140 µs, on a discrete GPU ~36 µs and ~9 µs.
 * Kernel parameters (tensor element offsets, sizes, scalars) go through one uniform arena with a
 * dynamic offset per dispatch, so bind groups are cached per kernel and buffer set.
 */
import { create, globals } from 'webgpu';
import { adapterInfo, searchAhead, searchHere, type AdapterInfo, type NotOpened } from './adapter_search.ts';
import { kernelSource, type KernelName, type KernelSource } from './kernel_registry.ts';

export type { AdapterInfo, NotOpened } from './adapter_search.ts';

/** A GPU buffer that tensors and their views share. */
export class GpuRoot {
  private static nextId = 1;
  readonly id = GpuRoot.nextId++;
  destroyed = false;
  constructor(readonly buffer: GPUBuffer, readonly bytes: number) {}
}

/** A window of elements of a root buffer: what a kernel binding receives. */
export interface Operand {
  readonly root: GpuRoot;
  /** Element offset into the root (passed to the kernel as `<binding>_off`). */
  readonly offset: number;
  readonly size: number;
}

/** One kernel launch: override constants, operands by binding name, `Params` values, workgroup grid. */
export interface Launch {
  consts?: Record<string, number>;
  bind: Record<string, Operand>;
  params: Record<string, number>;
  groups: readonly [number, number?];
}

const SLOT_BYTES = 256;
const SLOTS = 1024;
const STAGING_BYTES = 4 << 20;
/** Dispatches per submit before the encoder is flushed without being asked. */
const MAX_DISPATCHES = 768;
const MAX_GROUPS = 65535;

// The object create() returns must outlive every adapter and device made from it (its garbage
// collection crashes the process), and holding it keeps the process alive: one per process,
// dropped when the last context is destroyed.
let gpuHandle: GPU | null = null;
let openContexts = 0;

/**
 * Opens the default adapter and a device on it, or says why not (`NotOpened`): no adapter (no
 * Vulkan, Metal or D3D12 driver), or with `hardwareOnly` only a software one. What Dawn prints
 * while it searches is read, not shown (`adapter_search.ts`).
 */
export async function openGpu(o: { hardwareOnly?: boolean } = {}): Promise<GpuContext | NotOpened> {
  // a Dawn instance already open has searched (and said its piece) before
  const ahead = gpuHandle ? null : searchAhead();
  if (ahead && !ahead.info) return { noAdapter: ahead.noAdapter };
  if (ahead?.info?.software && o.hardwareOnly) return { softwareAdapter: ahead.info };
  if (!gpuHandle) {
    Object.assign(globalThis, globals);
    gpuHandle = create([]);
  }
  const { adapter, noAdapter } = await searchHere(gpuHandle);
  const info = adapter && adapterInfo(adapter);
  if (!adapter || !info || (info.software && o.hardwareOnly)) {
    if (openContexts === 0) gpuHandle = null;
    return info ? { softwareAdapter: info } : { noAdapter };
  }
  const lim = adapter.limits;
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: 'sim2real',
      requiredLimits: {
        maxStorageBuffersPerShaderStage: lim.maxStorageBuffersPerShaderStage,
        maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
        maxBufferSize: lim.maxBufferSize,
      },
    });
  } catch (e) {
    if (openContexts === 0) gpuHandle = null;
    throw e;
  }
  openContexts++;
  return new GpuContext(device, info);
}

/** The device, its pipeline and bind-group caches, and the pending command encoder. */
export class GpuContext {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Roots that recorded-but-unsubmitted commands read or write. */
  private readonly touched = new Set<number>();
  private dispatches = 0;
  private readonly uniformHost = new ArrayBuffer(SLOTS * SLOT_BYTES);
  private readonly uniformU32 = new Uint32Array(this.uniformHost);
  private readonly uniformF32 = new Float32Array(this.uniformHost);
  private readonly uniformGpu: GPUBuffer;
  private slotsUsed = 0;
  private readonly stagingHost = new Uint8Array(STAGING_BYTES);
  private readonly stagingGpu: GPUBuffer;
  private stagingUsed = 0;
  private readonly layouts = new Map<KernelName, { layout: GPUBindGroupLayout; pipelineLayout: GPUPipelineLayout; module: GPUShaderModule }>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly readbacks = new Map<number, GPUBuffer[]>();
  private retired: GPUBuffer[] = [];
  private flushing: Promise<void> | null = null;
  private error: string | null = null;
  private closed = false;
  /** A tiny buffer bound where a kernel's binding is unused (in-place variants). */
  readonly dummy: Operand;

  constructor(readonly device: GPUDevice, readonly info: AdapterInfo) {
    device.addEventListener('uncapturederror', (e) => {
      this.error ??= (e as GPUUncapturedErrorEvent).error.message;
    });
    void device.lost.then((l) => {
      if (!this.closed) this.error ??= `device lost (${l.reason}): ${l.message}`;
    });
    this.uniformGpu = device.createBuffer({ label: 'uniform arena', size: SLOTS * SLOT_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.stagingGpu = device.createBuffer({ label: 'upload staging', size: STAGING_BYTES, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.dummy = { root: this.createRoot(16, 'dummy'), offset: 0, size: 4 };
  }

  /** A zero-filled storage buffer of at least `bytes` bytes. */
  createRoot(bytes: number, label?: string): GpuRoot {
    this.assertOpen();
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const buffer = this.device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    return new GpuRoot(buffer, size);
  }

  /** Frees a root's buffer (after submitting any recorded work that uses it). */
  destroyRoot(root: GpuRoot): void {
    if (root.destroyed || this.closed) return;
    if (this.touched.has(root.id)) this.retired.push(root.buffer);
    else root.buffer.destroy();
    root.destroyed = true;
    const tag = `,${root.id},`;
    for (const key of [...this.bindGroups.keys()]) if (key.includes(tag)) this.bindGroups.delete(key);
  }

  /** Copies host bytes into a root, ordered after every op recorded so far. */
  write(root: GpuRoot, byteOffset: number, data: ArrayBufferView): void {
    this.assertOpen();
    let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length === 0) return;
    if (!(data.buffer instanceof ArrayBuffer)) bytes = bytes.slice(); // Dawn takes no SharedArrayBuffer views
    if (this.touched.has(root.id) && this.stagingUsed + bytes.length > STAGING_BYTES) this.flush();
    if (!this.touched.has(root.id)) {
      // nothing pending touches it: the queue write lands before the next submit, as if in order
      this.device.queue.writeBuffer(root.buffer, byteOffset, bytes);
      return;
    }
    // pending work reads or writes it: copy from the staging area inside the command stream
    this.stagingHost.set(bytes, this.stagingUsed);
    this.endPass();
    this.encoderNow().copyBufferToBuffer(this.stagingGpu, this.stagingUsed, root.buffer, byteOffset, bytes.length);
    this.stagingUsed += Math.ceil(bytes.length / 4) * 4;
  }

  /** Records one kernel launch. Throws naming `op` when operands alias or a parameter is missing. */
  dispatch(op: string, kernel: KernelName, l: Launch): void {
    this.assertOpen();
    const src = kernelSource(kernel);
    const pipeline = this.pipeline(src, l.consts ?? {});
    const roots = src.bindings.map((b) => {
      const o = l.bind[b.name];
      if (!o) throw new Error(`${op}: kernel ${kernel} needs operand "${b.name}"`);
      if (o.root.destroyed) throw new Error(`${op}: operand "${b.name}" was disposed`);
      return o.root;
    });
    for (let i = 0; i < roots.length; i++) {
      for (let j = i + 1; j < roots.length; j++) {
        const bi = src.bindings[i]!, bj = src.bindings[j]!;
        if (roots[i] === roots[j] && (bi.access === 'read_write' || bj.access === 'read_write')) {
          throw new Error(`${op}: "${bi.name}" and "${bj.name}" share one GPU buffer, and kernel ${kernel} writes one of them; pass separate tensors`);
        }
      }
    }
    if (this.slotsUsed === SLOTS) this.flush();
    const slot = this.slotsUsed++;
    this.writeParams(op, src, l, slot * (SLOT_BYTES / 4));
    const key = `${kernel}|,${roots.map((r) => r.id).join(',')},`;
    let bg = this.bindGroups.get(key);
    if (!bg) {
      bg = this.device.createBindGroup({
        label: kernel,
        layout: this.layouts.get(kernel)!.layout,
        entries: [{ binding: 0, resource: { buffer: this.uniformGpu, offset: 0, size: SLOT_BYTES } },
          ...roots.map((r, i) => ({ binding: i + 1, resource: { buffer: r.buffer } }))],
      });
      if (this.bindGroups.size > 8192) this.bindGroups.clear();
      this.bindGroups.set(key, bg);
    }
    const [x, y = 1] = l.groups;
    if (x > MAX_GROUPS || y > MAX_GROUPS) throw new Error(`${op}: ${x}×${y} workgroups exceed the limit of ${MAX_GROUPS} per dimension`);
    this.pass ??= this.encoderNow().beginComputePass({ label: op });
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bg, [slot * SLOT_BYTES]);
    this.pass.dispatchWorkgroups(x, y);
    for (const r of roots) this.touched.add(r.id);
    if (++this.dispatches >= MAX_DISPATCHES) this.flush();
  }

  /** Resolves to a copy of `bytes` bytes of a root once every op recorded before it has run. */
  async read(root: GpuRoot, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    this.assertOpen();
    if (bytes === 0) return new ArrayBuffer(0);
    const rb = this.takeReadback(bytes);
    this.endPass();
    this.encoderNow().copyBufferToBuffer(root.buffer, byteOffset, rb, 0, bytes);
    this.touched.add(root.id);
    await this.flushSoon();
    try {
      await rb.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (e) {
      this.throwIfFailed();
      throw e;
    }
    const out = rb.getMappedRange(0, bytes).slice(0);
    rb.unmap();
    this.giveBackReadback(rb);
    this.throwIfFailed();
    return out;
  }

  /** Submits everything recorded so far (without waiting for it). */
  flush(): void {
    if (!this.encoder || this.closed) return;
    this.endPass();
    const q = this.device.queue;
    if (this.stagingUsed) q.writeBuffer(this.stagingGpu, 0, this.stagingHost, 0, this.stagingUsed);
    if (this.slotsUsed) q.writeBuffer(this.uniformGpu, 0, this.uniformHost, 0, this.slotsUsed * SLOT_BYTES);
    q.submit([this.encoder.finish()]);
    this.encoder = null;
    this.touched.clear();
    this.dispatches = this.slotsUsed = this.stagingUsed = 0;
    for (const b of this.retired) b.destroy();
    this.retired = [];
  }

  /** The first GPU error reported so far (validation, out of memory, device lost), if any. */
  get failure(): string | null {
    return this.error;
  }

  /**
   * Destroys the context's own buffers and the device (which frees every buffer made on it), drops
   * the caches, and lets go of the Dawn instance when this was the last open context. Unusable
   * afterwards; a second call does nothing.
   */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.encoder = this.pass = null;
    const own = [this.uniformGpu, this.stagingGpu, this.dummy.root.buffer, ...this.retired, ...[...this.readbacks.values()].flat()];
    for (const b of own) b.destroy();
    this.dummy.root.destroyed = true;
    this.retired = [];
    this.readbacks.clear();
    this.bindGroups.clear();
    this.pipelines.clear();
    this.layouts.clear();
    this.touched.clear();
    this.device.destroy();
    if (--openContexts === 0) gpuHandle = null;
  }

  // -- internals

  private writeParams(op: string, src: KernelSource, l: Launch, base: number): void {
    const given = new Set(Object.keys(l.params));
    src.params.forEach((f, i) => {
      let v = l.params[f.name];
      given.delete(f.name);
      if (v === undefined && f.name.endsWith('_off')) v = l.bind[f.name.slice(0, -4)]?.offset;
      if (v === undefined) throw new Error(`${op}: kernel ${src.name} needs parameter ${f.name}`);
      if (f.type === 'u32') {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${op}: kernel ${src.name} parameter ${f.name} = ${v} is not a u32`);
        this.uniformU32[base + i] = v;
      } else this.uniformF32[base + i] = v;
    });
    if (given.size) throw new Error(`${op}: kernel ${src.name} has no parameter ${[...given].join(', ')}`);
    for (const b of src.bindings) {
      const o = l.bind[b.name]!;
      if (o.offset !== 0 && !src.params.some((f) => f.name === `${b.name}_off`)) throw new Error(`${op}: kernel ${src.name} cannot take "${b.name}" at an offset`);
    }
  }

  private pipeline(src: KernelSource, consts: Record<string, number>): GPUComputePipeline {
    const names = Object.keys(consts).sort();
    const key = `${src.name}${names.map((n) => ` ${n}=${consts[n]}`).join('')}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    for (const n of names) if (!src.overrides.includes(n)) throw new Error(`kernel ${src.name} has no override ${n}`);
    let k = this.layouts.get(src.name);
    if (!k) {
      const layout = this.device.createBindGroupLayout({
        label: src.name,
        entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
          ...src.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.access === 'read' ? 'read-only-storage' as const : 'storage' as const } }))],
      });
      k = { layout, pipelineLayout: this.device.createPipelineLayout({ label: src.name, bindGroupLayouts: [layout] }), module: this.device.createShaderModule({ label: src.name, code: src.code }) };
      this.layouts.set(src.name, k);
    }
    p = this.device.createComputePipeline({ label: key, layout: k.pipelineLayout, compute: { module: k.module, entryPoint: 'main', constants: consts } });
    this.pipelines.set(key, p);
    return p;
  }

  private encoderNow(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder({ label: 'sim2real' }));
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** One submit for every read issued in the same tick (e.g. a Promise.all of downloads). */
  private flushSoon(): Promise<void> {
    this.flushing ??= new Promise<void>((resolve, reject) => queueMicrotask(() => {
      this.flushing = null;
      try {
        this.flush();
        resolve();
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    }));
    return this.flushing;
  }

  private takeReadback(bytes: number): GPUBuffer {
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
    return this.readbacks.get(size)?.pop() ?? this.device.createBuffer({ label: 'readback', size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  private giveBackReadback(b: GPUBuffer): void {
    const list = this.readbacks.get(b.size) ?? [];
    if (list.length < 8) list.push(b);
    else b.destroy();
    this.readbacks.set(b.size, list);
  }

  private throwIfFailed(): void {
    if (this.error) throw new Error(`webgpu: ${this.error}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('webgpu backend: used after destroy()');
    this.throwIfFailed();
  }
}

/** A (x, y) grid of 256-wide workgroups covering n invocations (kernels use `flat_index`). */
export function grid1d(n: number, wg = 256): readonly [number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  const x = Math.min(groups, MAX_GROUPS);
  return [x, Math.ceil(groups / x)];
}
