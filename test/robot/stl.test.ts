import { describe, expect, it } from 'vitest';
import { STLLoader } from 'three/examples/jsm/loaders/STLLoader.js';
import { parseStl } from '../../src/robot/urdf/stl.ts';

/** Random triangles, a binary STL of them (header starting with "solid", as many exporters write) and an ASCII one. */
function randomMesh(n: number): { tri: Float32Array; binary: Uint8Array; ascii: Uint8Array } {
  const tri = Float32Array.from({ length: n * 9 }, () => (Math.random() - 0.5) * 10 ** (Math.random() * 4 - 2));
  const buf = Buffer.alloc(84 + 50 * n);
  buf.write('solid exported by a CAD tool', 0, 'ascii');
  buf.writeUInt32LE(n, 80);
  for (let t = 0; t < n; t++) for (let k = 0; k < 9; k++) buf.writeFloatLE(tri[t * 9 + k] as number, 84 + 50 * t + 12 + 4 * k);
  let text = 'solid part\n';
  for (let t = 0; t < n; t++) {
    text += ' facet normal 0 0 1\n  outer loop\n';
    for (let v = 0; v < 3; v++) text += `   vertex ${[0, 1, 2].map((k) => (tri[t * 9 + v * 3 + k] as number).toExponential(8)).join(' ')}\n`;
    text += '  endloop\n endfacet\n';
  }
  text += 'endsolid part\n';
  return { tri, binary: new Uint8Array(buf), ascii: new TextEncoder().encode(text) };
}

const viaThree = (data: Uint8Array): Float32Array =>
  new STLLoader().parse(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer).getAttribute('position').array as Float32Array;

describe('parseStl reads the triangles three.js reads', () => {
  it('binary and ASCII files of random triangles give the same vertices as three.js STLLoader (exact for binary, 1e-6 relative for ASCII)', () => {
    for (let trial = 0; trial < 5; trial++) {
      const { tri, binary, ascii } = randomMesh(1 + Math.floor(Math.random() * 200));
      expect(Array.from(parseStl(binary))).toEqual(Array.from(viaThree(binary)));
      expect(Array.from(parseStl(binary))).toEqual(Array.from(tri));
      const a = parseStl(ascii);
      const ref = viaThree(ascii);
      expect(a.length).toBe(ref.length);
      for (let i = 0; i < a.length; i++) expect(Math.abs((a[i] as number) - (ref[i] as number))).toBeLessThanOrEqual(1e-6 * Math.abs(ref[i] as number) + 1e-12);
    }
  });

  it('refuses a file that is neither binary nor ASCII STL, and an ASCII file with a bad number', () => {
    expect(() => parseStl(new TextEncoder().encode('not a mesh at all, just some text that is long enough to pass for a header of eighty bytes'))).toThrow(/neither a binary STL/);
    expect(() => parseStl(new TextEncoder().encode('solid x\n facet normal 0 0 1\n outer loop\n vertex 1 2 zz\n'))).toThrow(/bad vertex coordinate "zz"/);
  });
});
