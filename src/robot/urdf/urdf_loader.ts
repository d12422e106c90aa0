/**
 * The URDF loader: a robot description file → {@link RobotModel}, checked as a whole (links,
 * joints, one tree with one root) so the physics builder never sees a half-valid robot.
 * What it reads but does not simulate becomes a warning line; anything it cannot honour is a
 * {@link UrdfError} naming file, line, element and attribute. See docs/urdf.md.
 */
import path from 'node:path';
import type { Joint, Link, RobotModel } from '../robot_model.ts';
import { UrdfError } from './urdf_error.ts';
import { InputFileError, MAX_URDF_BYTES, readInputFile } from '../input_file.ts';
import { readJoint, type ReadJoint } from './joint.ts';
import { readLink } from './link.ts';
import { listNames, WarningLog, type UrdfContext } from './warnings.ts';
import { fail, parseXml, reqString, type XmlElement, type XmlPlace } from './xml.ts';

export { UrdfError, type UrdfErrorInit } from './urdf_error.ts';
export { rpyToQuat } from './pose.ts';

/** Options of {@link parseUrdf}. */
export interface ParseUrdfOptions {
  /** Directory that relative and `package://` mesh filenames resolve against (default: the cwd). */
  baseDir?: string;
}

/** Top-level elements that are part of common URDFs but describe nothing we simulate. */
const NOT_SIMULATED = ['material', 'transmission', 'gazebo', 'ros2_control'];

/** Most links a URDF may have: real robots have tens; the loader and builder stay fast up to this. */
export const MAX_URDF_LINKS = 10_000;

/**
 * Reads and parses a URDF file; meshes resolve relative to the file's directory. A file that is
 * not a regular file, or is larger than {@link MAX_URDF_BYTES}, is refused before it is read.
 */
export function loadUrdf(file: string): RobotModel {
  let xml: string;
  try {
    xml = readInputFile(file, MAX_URDF_BYTES).toString('utf8');
  } catch (e) {
    const detail = e instanceof InputFileError ? e.message : `cannot read the file (${(e as Error).message})`;
    throw new UrdfError({ source: file, element: '', detail });
  }
  return parseUrdf(xml, file, { baseDir: path.dirname(path.resolve(file)) });
}

/**
 * Parses URDF text. `source` names the file in messages. Throws {@link UrdfError} for anything
 * that would make a wrong or half-built robot; everything else not simulated is in `warnings`.
 */
export function parseUrdf(xml: string, source: string, opts: ParseUrdfOptions = {}): RobotModel {
  const ctx: UrdfContext = { source, baseDir: path.resolve(opts.baseDir ?? '.'), warnings: new WarningLog() };
  const root = parseXml(xml.replace(/^\uFEFF/, ''), source);
  const robotPlace: XmlPlace = { source, element: 'robot' };
  if (root.tag !== 'robot') {
    throw fail({ source, element: '' }, root, `the root element is <${root.tag}>; a URDF file holds one <robot> element`);
  }
  const name = reqString(robotPlace, root, 'name');

  // -- sort the top-level elements; read links first so joints can check their references
  const linkEls: [XmlElement, string][] = [];
  const jointEls: [XmlElement, string][] = [];
  const linkLines = new Map<string, number>();
  const jointLines = new Map<string, number>();
  for (const el of root.children) {
    if (el.tag === 'link' || el.tag === 'joint') {
      const seen = el.tag === 'link' ? linkLines : jointLines;
      const elName = reqString({ source, element: el.tag }, el, 'name');
      const first = seen.get(elName);
      if (first !== undefined) {
        throw fail({ source, element: `${el.tag} "${elName}"` }, el, `duplicate ${el.tag} name (first defined on line ${first})`, 'name');
      }
      seen.set(elName, el.line);
      (el.tag === 'link' ? linkEls : jointEls).push([el, elName]);
    } else {
      warnTopLevel(ctx, el.tag);
    }
  }
  if (linkEls.length === 0) throw fail(robotPlace, root, '<robot> has no <link> elements');
  if (linkEls.length > MAX_URDF_LINKS) throw fail(robotPlace, root, `<robot> has ${linkEls.length} links; at most ${MAX_URDF_LINKS} are loaded`);

  const links: Link[] = linkEls.map(([el, n]) => readLink(ctx, el, n));
  const linkNames = new Set(linkLines.keys());
  const read = jointEls.map(([el, n]) => readJoint(ctx, el, n, linkNames));
  const rootLink = checkTree(source, root, links, read);
  return { name, links, joints: read.map((r) => r.joint), rootLink, warnings: ctx.warnings.lines() };
}

/** The sum of the links' inertial masses (kg); links without `<inertial>` count 0. */
export function totalMassKg(model: RobotModel): number {
  return model.links.reduce((sum, l) => sum + (l.inertial?.massKg ?? 0), 0);
}

/** One warning line per kind of ignored top-level element, with its count. */
function warnTopLevel(ctx: UrdfContext, tag: string): void {
  let why: string;
  if (NOT_SIMULATED.includes(tag)) why = 'not simulated';
  else if (tag.startsWith('xacro:')) why = 'unexpanded xacro: run the file through xacro first';
  else why = 'unknown element';
  ctx.warnings.group(`top:${tag}`, tag, (all) =>
    all.length === 1 ? `top-level <${tag}> ignored (${why})` : `${all.length} top-level <${tag}> elements ignored (${why})`,
  );
}

/**
 * Checks that the joints make one tree: each link the child of at most one joint, no cycle,
 * exactly one root. Returns the root link's name.
 */
function checkTree(source: string, robot: XmlElement, links: Link[], joints: ReadJoint[]): string {
  const parentJoint = new Map<string, ReadJoint>();
  for (const r of joints) {
    const { joint, childEl } = r;
    const before = parentJoint.get(joint.child);
    if (before !== undefined) {
      throw fail(
        { source, element: `joint "${joint.name}"` },
        childEl,
        `link "${joint.child}" is already the child of joint "${before.joint.name}" (line ${before.el.line}); a link can have one parent joint`,
        'link',
      );
    }
    parentJoint.set(joint.child, r);
  }
  // -- cycles: walk up from every link; a walk that meets itself is a cycle
  const done = new Set<string>();
  for (const link of links) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let at: string | undefined = link.name;
    while (at !== undefined && !done.has(at)) {
      if (onPath.has(at)) throw cycleError(source, path.slice(path.indexOf(at)), parentJoint);
      path.push(at);
      onPath.add(at);
      at = parentJoint.get(at)?.joint.parent;
    }
    for (const p of path) done.add(p);
  }
  const roots = links.filter((l) => !parentJoint.has(l.name)).map((l) => `"${l.name}"`);
  if (roots.length !== 1) {
    throw fail(
      { source, element: 'robot' },
      robot,
      `${roots.length} root links (links that are no joint's child): ${listNames(roots, 10)}; connect them with joints so exactly one remains`,
    );
  }
  return (links.find((l) => !parentJoint.has(l.name)) as Link).name;
}

/** The error for links `cycle` (each the parent of the one before it). */
function cycleError(source: string, cycle: string[], parentJoint: Map<string, ReadJoint>): UrdfError {
  const top = parentJoint.get(cycle[0] as string) as ReadJoint;
  const joints: Joint[] = cycle.map((l) => (parentJoint.get(l) as ReadJoint).joint);
  const chain = [...cycle].reverse().map((l) => `"${l}"`).join(' → ');
  return fail(
    { source, element: `joint "${top.joint.name}"` },
    top.el,
    `joints ${joints.map((j) => `"${j.name}"`).join(', ')} form a cycle: link ${chain} → "${cycle[cycle.length - 1]}"`,
  );
}
