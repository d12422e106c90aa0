/**
 * URDF `<link>`: inertial and collisions are read into the model; visuals are not simulated
 * (a visual mesh is noted as a warning, never loaded).
 */
import type { Collision, Inertial, Link } from '../robot_model.ts';
import { readCollisionGeometry } from './geometry.ts';
import { readOrigin } from './pose.ts';
import { warnUnknown, type UrdfContext } from './warnings.ts';
import { childrenNamed, fail, number, optionalChild, showAttr, type XmlElement, type XmlPlace } from './xml.ts';

/** Reads one `<link>` whose name attribute was already checked. */
export function readLink(ctx: UrdfContext, el: XmlElement, name: string): Link {
  const where = `link "${name}"`;
  const link: Link = { name, collisions: [] };
  const inertialEl = optionalChild({ source: ctx.source, element: where }, el, 'inertial');
  if (inertialEl !== undefined) link.inertial = readInertial(ctx, inertialEl, `${where}/inertial`);
  for (const child of el.children) {
    if (child.tag === 'collision') link.collisions.push(readCollision(ctx, child, `${where}/collision[${link.collisions.length}]`));
    else if (child.tag === 'visual') noteVisual(ctx, child, where);
    else if (child.tag !== 'inertial') warnUnknown(ctx, where, 'link', child);
  }
  return link;
}

function readInertial(ctx: UrdfContext, el: XmlElement, where: string): Inertial {
  const place: XmlPlace = { source: ctx.source, element: where };
  const origin = readOrigin(place, optionalChild(place, el, 'origin'));
  const massEl = optionalChild(place, el, 'mass');
  if (massEl === undefined) throw fail(place, el, '<inertial> needs a <mass value="…"> element');
  const massKg = number(place, massEl, 'value');
  if (massKg < 0) throw fail(place, massEl, `${showAttr(massEl, 'value')}: mass must be ≥ 0`, 'value');
  const inertia = optionalChild(place, el, 'inertia');
  if (inertia === undefined) throw fail(place, el, '<inertial> needs an <inertia ixx ixy ixz iyy iyz izz> element');
  const get = (attr: string): number => number(place, inertia, attr);
  const [ixx, ixy, ixz, iyy, iyz, izz] = ['ixx', 'ixy', 'ixz', 'iyy', 'iyz', 'izz'].map(get) as [number, number, number, number, number, number];
  for (const [attr, v] of [['ixx', ixx], ['iyy', iyy], ['izz', izz]] as const) {
    if (v < 0) throw fail(place, inertia, `${showAttr(inertia, attr)}: a diagonal moment of inertia must be ≥ 0`, attr);
  }
  for (const child of el.children) {
    if (!['origin', 'mass', 'inertia'].includes(child.tag)) warnUnknown(ctx, where, 'inertial', child);
  }
  return { origin, massKg, ixx, ixy, ixz, iyy, iyz, izz };
}

function readCollision(ctx: UrdfContext, el: XmlElement, where: string): Collision {
  const place: XmlPlace = { source: ctx.source, element: where };
  const origin = readOrigin(place, optionalChild(place, el, 'origin'));
  const geometryEl = optionalChild(place, el, 'geometry');
  if (geometryEl === undefined) throw fail(place, el, '<collision> needs a <geometry> element');
  const geometry = readCollisionGeometry(place, geometryEl, ctx.baseDir);
  for (const child of el.children) {
    if (child.tag !== 'origin' && child.tag !== 'geometry') warnUnknown(ctx, where, 'collision', child);
  }
  const name = el.attrs.name;
  return name === undefined ? { origin, geometry } : { name, origin, geometry };
}

/** Visuals are not simulated; a visual mesh gets one warning line (the file is never opened). */
function noteVisual(ctx: UrdfContext, el: XmlElement, where: string): void {
  for (const geometry of childrenNamed(el, 'geometry')) {
    for (const mesh of childrenNamed(geometry, 'mesh')) {
      const file = mesh.attrs.filename ?? '(no filename)';
      ctx.warnings.add(`${where}: visual mesh ${file} is not loaded (visuals are not simulated)`);
    }
  }
}
