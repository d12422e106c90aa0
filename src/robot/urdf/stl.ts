/**
 * STL files (binary and ASCII) read into a flat list of triangle vertices. The robot room reads
 * collision meshes without a rendering library, so the deploy path and the robot computer stay
 * free of three.js.
 */

/** The vertex positions of every triangle, xyz per vertex (9 numbers per triangle). */
export function parseStl(data: Uint8Array): Float32Array {
  if (isBinaryStl(data)) return parseBinary(data);
  return parseAscii(new TextDecoder('latin1').decode(data));
}

const HEADER_BYTES = 80;
const TRIANGLE_BYTES = 50;

/**
 * Binary when the size matches the triangle count in the header exactly. An ASCII file starts
 * with `solid`, but so do many binary headers; the size test is what tells them apart.
 */
function isBinaryStl(data: Uint8Array): boolean {
  if (data.byteLength < HEADER_BYTES + 4) return false;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(HEADER_BYTES, true);
  return HEADER_BYTES + 4 + count * TRIANGLE_BYTES === data.byteLength;
}

function parseBinary(data: Uint8Array): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(HEADER_BYTES, true);
  const out = new Float32Array(count * 9);
  for (let t = 0; t < count; t++) {
    const at = HEADER_BYTES + 4 + t * TRIANGLE_BYTES + 12; // skip the facet normal
    for (let k = 0; k < 9; k++) out[t * 9 + k] = view.getFloat32(at + 4 * k, true);
  }
  return out;
}

function parseAscii(text: string): Float32Array {
  if (!/^\s*solid\b/.test(text)) throw new Error('neither a binary STL (size does not match its triangle count) nor an ASCII one (no "solid")');
  const out: number[] = [];
  const vertex = /vertex\s+(\S+)\s+(\S+)\s+(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = vertex.exec(text))) {
    for (const s of [m[1], m[2], m[3]]) {
      const v = Number(s);
      if (s === undefined || s.trim() === '' || Number.isNaN(v)) throw new Error(`bad vertex coordinate "${s}"`);
      out.push(v);
    }
  }
  if (out.length % 9 !== 0) throw new Error(`${out.length / 3} vertices do not make whole triangles`);
  return Float32Array.from(out);
}
