/**
 * URDF `<geometry>` for collisions: the primitive shapes, and STL meshes loaded as convex hulls.
 * Any other mesh (missing file, .dae, .obj) is an error that suggests primitives instead.
 */
import { existsSync, statSync } from 'node:fs';
import { MAX_MESH_BYTES, readInputFile } from '../input_file.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Geometry, Vec3 } from '../robot_model.ts';
import { parseStl } from './stl.ts';
import { fail, number, numbers, reqString, showAttr, type XmlElement, type XmlPlace } from './xml.ts';

/** The collision shapes a `<geometry>` may hold. */
const SHAPES = ['box', 'cylinder', 'sphere', 'capsule', 'mesh'] as const;

const PRIMITIVES_HINT = 'use <box>, <cylinder>, <sphere> or <capsule> collision shapes instead';

/** Reads a collision `<geometry>`: exactly one shape; meshes resolve against `baseDir`. */
export function readCollisionGeometry(place: XmlPlace, geometry: XmlElement, baseDir: string): Geometry {
  const shapes = geometry.children.filter((c) => (SHAPES as readonly string[]).includes(c.tag));
  const shape = shapes[0];
  if (shape === undefined) {
    const other = geometry.children[0];
    const found = other === undefined ? 'it is empty' : `found <${other.tag}>`;
    throw fail(place, geometry, `<geometry> needs one of <box>, <cylinder>, <sphere>, <capsule>, <mesh>; ${found}`);
  }
  if (shapes.length > 1) throw fail(place, geometry, `<geometry> holds ${shapes.length} shapes; one is allowed`);
  const positive = (attr: string): number => {
    const v = number(place, shape, attr);
    if (v <= 0) throw fail(place, shape, `${showAttr(shape, attr)} must be > 0`, attr);
    return v;
  };
  switch (shape.tag) {
    case 'box': {
      const size = numbers(place, shape, 'size', 3) as Vec3;
      if (size.some((s) => s <= 0)) throw fail(place, shape, `${showAttr(shape, 'size')}: every side must be > 0`, 'size');
      return { kind: 'box', size };
    }
    case 'sphere':
      return { kind: 'sphere', radius: positive('radius') };
    case 'cylinder':
      return { kind: 'cylinder', radius: positive('radius'), length: positive('length') };
    case 'capsule':
      return { kind: 'capsule', radius: positive('radius'), length: positive('length') };
    default:
      return readMesh(place, shape, baseDir);
  }
}

/** Where a mesh `filename` may be: the first existing candidate, and every path tried. */
export function resolveMeshPath(filename: string, baseDir: string): { found?: string; tried: string[] } {
  let candidates: string[];
  const pkg = /^package:\/\/([^/]+)\/(.+)$/.exec(filename);
  if (pkg !== null) {
    const [, name, rest] = pkg as unknown as [string, string, string];
    candidates = [];
    for (let dir = path.resolve(baseDir); ; dir = path.dirname(dir)) {
      candidates.push(path.join(dir, rest), path.join(dir, name, rest));
      if (path.dirname(dir) === dir) break;
    }
  } else if (filename.startsWith('file://')) {
    candidates = [fileURLToPath(filename)];
  } else {
    candidates = [path.resolve(baseDir, filename)];
  }
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return found === undefined ? { tried: candidates } : { found, tried: candidates };
}

/** A collision `<mesh>`: an STL file becomes a convex hull of its (distinct, scaled) vertices. */
function readMesh(place: XmlPlace, mesh: XmlElement, baseDir: string): Geometry {
  const filename = reqString(place, mesh, 'filename');
  const scale = numbers(place, mesh, 'scale', 3, [1, 1, 1]) as Vec3;
  if (scale.some((s) => s === 0)) throw fail(place, mesh, `${showAttr(mesh, 'scale')}: a zero scale flattens the mesh`, 'scale');
  const ext = path.extname(filename.replace(/[?#].*$/, '')).toLowerCase();
  if (ext !== '.stl') {
    throw fail(place, mesh, `collision mesh ${filename} is not STL; only STL collision meshes are loaded: ${PRIMITIVES_HINT}, or convert the mesh to STL`, 'filename');
  }
  const { found, tried } = resolveMeshPath(filename, baseDir);
  if (found === undefined) {
    const looked = tried.length > 4 ? `${tried.slice(0, 4).join(', ')} and ${tried.length - 4} more` : tried.join(', ');
    throw fail(place, mesh, `collision mesh ${filename} not found (looked for ${looked}): put the STL file there, or ${PRIMITIVES_HINT}`, 'filename');
  }
  const vertices = loadStlVertices(found, (why) => fail(place, mesh, `collision mesh ${filename} (${found}): ${why}`, 'filename'));
  for (let i = 0; i < vertices.length; i++) vertices[i] = (vertices[i] as number) * (scale[i % 3] as number);
  return { kind: 'convex', vertices, source: found };
}

/**
 * The distinct vertices of an STL file (binary or ASCII) as a flat `[x, y, z, …]` array;
 * `bad(why)` builds the error for an unreadable, empty or flat mesh.
 */
function loadStlVertices(file: string, bad: (why: string) => Error): Float32Array {
  let positions: ArrayLike<number>;
  let bytes: Buffer;
  try {
    bytes = readInputFile(file, MAX_MESH_BYTES);
  } catch (e) {
    throw bad((e as Error).message);
  }
  try {
    positions = parseStl(bytes);
  } catch (e) {
    throw bad(`not a readable STL file (${(e as Error).message})`);
  }
  const seen = new Set<string>();
  const out: number[] = [];
  for (let i = 0; i + 2 < positions.length; i += 3) {
    const x = positions[i] as number;
    const y = positions[i + 1] as number;
    const z = positions[i + 2] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) throw bad('has non-finite vertex coordinates');
    const key = `${x},${y},${z}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(x, y, z);
  }
  if (out.length === 0) throw bad('has no triangles');
  if (isFlat(out)) throw bad('is flat (all vertices on one plane or line); a convex hull needs volume');
  return Float32Array.from(out);
}

/** Relative thickness below which a mesh counts as flat (float32 STL noise is ~1e-7). */
const FLAT_TOL = 1e-6;

/** Whether the points (flat xyz) span less than three dimensions, relative to their extent. */
function isFlat(p: number[]): boolean {
  const n = p.length / 3;
  const at = (i: number): Vec3 => [p[3 * i] as number, p[3 * i + 1] as number, p[3 * i + 2] as number];
  const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const argmax = (f: (v: Vec3) => number): [Vec3, number] => {
    let best = at(0);
    let bestV = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = f(at(i));
      if (v > bestV) [best, bestV] = [at(i), v];
    }
    return [best, bestV];
  };
  const a = at(0);
  const [b, d2] = argmax((v) => dot(sub(v, a), sub(v, a)));
  const extent = Math.sqrt(d2);
  if (extent === 0) return true;
  const ab = sub(b, a);
  const [c, area2] = argmax((v) => dot(cross(ab, sub(v, a)), cross(ab, sub(v, a))));
  // distance of c from the line a-b, then of the farthest point from the plane a-b-c
  if (Math.sqrt(area2) / extent <= FLAT_TOL * extent) return true;
  const normal = cross(ab, sub(c, a));
  const [, height] = argmax((v) => Math.abs(dot(normal, sub(v, a))));
  return height / Math.sqrt(dot(normal, normal)) <= FLAT_TOL * extent;
}
