/** The kernel registry: every WGSL file in kernels/ is listed, and its interface parses. */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { KERNELS, kernelSource, parseInterface, type KernelName } from '../../src/backend/kernel_registry.ts';

const dir = path.resolve(import.meta.dirname, '../../kernels');

describe('kernel registry', () => {
  it('lists every kernel file (the prelude is shared code, not a kernel)', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl') && f !== 'prelude.wgsl').map((f) => f.slice(0, -5)).sort();
    expect(Object.keys(KERNELS).sort()).toEqual(files);
  });

  it('reads each kernel\'s parameters, bindings and overrides from its source', () => {
    for (const name of Object.keys(KERNELS) as KernelName[]) {
      const k = kernelSource(name);
      expect(k.bindings.length, name).toBeGreaterThan(0);
      expect(k.code).toContain('fn main(');
      for (const b of k.bindings) {
        // every storage binding but scratch-only ones takes an element offset
        if (!['terms'].includes(b.name)) expect(k.params.map((p) => p.name), `${name}.${b.name}`).toContain(`${b.name}_off`);
      }
    }
    expect(kernelSource('gemm').overrides).toEqual(['TRANS_A', 'TRANS_B', 'TM', 'TN']);
  });

  it('rejects a kernel whose interface it cannot read', () => {
    expect(() => parseInterface('x', 'fn main() {}')).toThrow(/struct Params/);
    expect(() => parseInterface('x', 'struct Params { a: vec2f }')).toThrow(/only u32 and f32/);
    const gap = 'struct Params { n: u32 }\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(2) var<storage, read> a: array<f32>;';
    expect(() => parseInterface('x', gap)).toThrow(/numbered 1, 2/);
  });
});
