/**
 * A robot contract as a set of files that can travel: the contract JSON, its URDF and the STL
 * collision meshes the URDF uses, copied under one folder (a run directory's `robot/`) with the
 * references between them rewritten to the copies, and one SHA-256 over them all. A training
 * run keeps such a copy so that resuming it, exporting it or evaluating it never depends on the
 * original files staying where they were, or staying the same (docs/run-directory.md).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { MAX_MESH_BYTES, MAX_SPEC_BYTES, MAX_URDF_BYTES, readInputFile } from './input_file.ts';
import { loadRobotSpec } from './robot_spec.ts';
import { loadUrdf } from './urdf/urdf_loader.ts';
import { resolveMeshPath } from './urdf/geometry.ts';

/** One file of a robot copy: its path relative to the copy's folder, and its bytes. */
export interface RobotFile {
  rel: string;
  bytes: Buffer;
}

/** A robot ready to be written under a folder: its files (the contract first) and their digest. */
export interface RobotCopy {
  /** The robot's name. */
  name: string;
  /** The contract's path relative to the folder. */
  contract: string;
  files: RobotFile[];
  /** SHA-256 (hex) over every file's path and bytes, in order. */
  sha256: string;
}

/**
 * The files of robot `ref` (a contract path or a name in `robots/`), validated, laid out as
 * `<contract>.json`, `<urdf>` and `meshes/<n>_<mesh>.stl`, with the contract's `urdf` and the
 * URDF's collision mesh `filename`s pointing at the copies.
 */
export function robotCopy(ref: string): RobotCopy {
  const spec = loadRobotSpec(ref);
  const raw = JSON.parse(readInputFile(spec.specPath, MAX_SPEC_BYTES).toString('utf8')) as Record<string, unknown>;
  const urdfName = path.basename(spec.urdfPath);
  const contract = `${path.basename(spec.specPath, '.json')}.json`;
  if (contract === urdfName) throw new Error(`robot spec ${spec.specPath}: its URDF has the contract's file name`);
  const urdfDir = path.dirname(spec.urdfPath);
  const sources = new Set<string>();
  for (const link of loadUrdf(spec.urdfPath).links) for (const c of link.collisions) if (c.geometry.kind === 'convex') sources.add(c.geometry.source);
  const meshes = new Map<string, string>();
  [...sources].forEach((src, i) => meshes.set(src, `meshes/${i}_${path.basename(src)}`));
  // collision meshes the loader will find, by their attribute in the URDF: point them at the copies
  const urdf = readInputFile(spec.urdfPath, MAX_URDF_BYTES).toString('utf8').replace(/filename\s*=\s*(["'])(.*?)\1/g, (all: string, q: string, name: string) => {
    const found = resolveMeshPath(name, urdfDir).found;
    const copy = found === undefined ? undefined : meshes.get(found);
    return copy === undefined ? all : `filename=${q}${copy}${q}`;
  });
  const files: RobotFile[] = [
    { rel: contract, bytes: Buffer.from(`${JSON.stringify({ ...raw, urdf: urdfName }, null, 2)}\n`) },
    { rel: urdfName, bytes: Buffer.from(urdf) },
    ...[...meshes].map(([src, rel]) => ({ rel, bytes: readInputFile(src, MAX_MESH_BYTES) })),
  ];
  return { name: spec.name, contract, files, sha256: digest(files) };
}

/**
 * Checks the robot copy whose contract is `contract` (relative to `dir`) against `sha256`, and
 * returns the contract's absolute path; a missing or changed file is an error saying so.
 */
export function checkRobotCopy(dir: string, contract: string, sha256: string): string {
  const file = path.resolve(dir, contract);
  const base = path.dirname(file);
  let files: RobotFile[];
  let specPath: string;
  try {
    const spec = loadRobotSpec(file);
    specPath = spec.specPath;
    const meshes = new Set<string>();
    for (const link of loadUrdf(spec.urdfPath).links) for (const c of link.collisions) if (c.geometry.kind === 'convex') meshes.add(c.geometry.source);
    files = [
      { rel: path.basename(file), bytes: readInputFile(spec.specPath, MAX_SPEC_BYTES) },
      { rel: path.relative(base, spec.urdfPath), bytes: readInputFile(spec.urdfPath, MAX_URDF_BYTES) },
      ...[...meshes].map((src) => ({ rel: path.relative(base, src), bytes: readInputFile(src, MAX_MESH_BYTES) })),
    ];
  } catch (e) {
    throw new Error(`the robot copy ${file} cannot be used: ${(e as Error).message}`);
  }
  const now = digest(files);
  if (now !== sha256) throw new Error(`the robot copy ${file} (or its URDF or meshes) changed since the run started: sha256 ${now.slice(0, 12)}…, recorded ${sha256.slice(0, 12)}…`);
  return specPath;
}

/** SHA-256 over the files' paths and bytes. */
function digest(files: readonly RobotFile[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f.rel}\n${f.bytes.length}\n`);
    h.update(f.bytes);
  }
  return h.digest('hex');
}
