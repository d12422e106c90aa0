/**
 * DESIGN.md's dependency rule for the deploy path: loading `src/onnx/onnx_policy.ts` must not load the
 * trainer, a tensor backend, the simulator or the viewer, and the bridge (`sim2real deploy`) adds
 * only the robot description readers (type-only imports are erased and allowed).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** Local files `file` loads at run time, transitively (skips `import type` and `export type`). */
function runtimeImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gms)) {
    if (m[2]) continue;
    runtimeImports(path.resolve(path.dirname(file), m[3]!), seen);
  }
  return seen;
}

describe('deploy path', () => {
  it('src/onnx/onnx_policy.ts loads only src/onnx at run time', () => {
    const files = [...runtimeImports(path.join(root, 'src/onnx/onnx_policy.ts'))].map((f) => path.relative(root, f)).sort();
    expect(files).toEqual(['src/onnx/graph.ts', 'src/onnx/metadata.ts', 'src/onnx/onnx_policy.ts', 'src/onnx/robot_fit.ts']);
  });

  it('the bridge server and its pure modules load no trainer, backend, physics, env or viewer code', () => {
    const rel = (f: string) => [...runtimeImports(path.join(root, f))].map((x) => path.relative(root, x)).sort();
    const files = rel('src/bridge/deploy.ts');
    for (const f of files) expect(['src/bridge/', 'src/onnx/', 'src/robot/'].some((room) => f.startsWith(room)), f).toBe(true);
    expect(files).toContain('src/bridge/server.ts');
    // what an on-robot agent would take: safety and codecs depend on nothing else
    expect(rel('src/bridge/safety.ts')).toEqual(['src/bridge/safety.ts']);
    expect(rel('src/bridge/binary.ts')).toEqual(['src/bridge/binary.ts', 'src/bridge/protocol.ts']);
  });
});
