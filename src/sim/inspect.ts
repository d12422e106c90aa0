/**
 * What `sim2real urdf` reports about a user's robot: the parsed structure, and what happens when
 * it is built in Rapier and dropped onto the ground for a second with its joints passive (only
 * the URDF's own damping). It is the first check a user runs on their own URDF.
 */
import path from 'node:path';
import { loadRapier } from './rapier.ts';
import { buildRobot, createGround, createWorld, type BuiltRobot } from './build/build.ts';
import type { World } from './rapier.ts';
import { loadUrdf, totalMassKg } from '../robot/urdf/urdf_loader.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';
import type { Geometry, RobotModel } from '../robot/robot_model.ts';

export interface UrdfReport {
  robot: string;
  file: string;
  root_link: string;
  base: 'fixed' | 'floating';
  links: { name: string; mass_kg: number; collisions: string[] }[];
  joints: {
    name: string; type: string; parent: string; child: string; axis: number[];
    lower: number | null; upper: number | null; effort: number | null; velocity: number | null;
    damping: number; friction: number;
  }[];
  total_mass_kg: number;
  /** Movable joints (revolute, continuous, prismatic). */
  dof: number;
  /** Rigid bodies after merging links joined by fixed joints. */
  bodies: number;
  warnings: string[];
  /** The drop test; null when the robot has more rigid bodies than it runs for (`drop_skipped` says why). */
  drop: DropTest | null;
  drop_skipped: string | null;
}

/** A second of falling onto the ground with passive joints. */
export interface DropTest {
  seconds: number;
  start_height_m: number;
  final_height_m: number;
  finite: boolean;
  max_speed_m_s: number;
}

/**
 * The drop test runs for robots of at most this many rigid bodies. Rapier's step cost grows
 * faster than linearly with the joints on one body (a star of 10,000 links: ~0.1 s a step), and
 * no real robot comes near it (the quadruped has 13).
 */
export const MAX_DROP_BODIES = 1_000;

const MOVABLE = new Set(['revolute', 'continuous', 'prismatic']);
const DROP_DT_S = 0.002;
const DROP_S = 1;

/** Parses, builds and drops the robot in `file`; parse errors propagate as `UrdfError`. */
export async function inspectUrdf(file: string): Promise<UrdfReport> {
  const model = loadUrdf(file);
  const fixedBase = model.rootLink === 'world';
  const R = await loadRapier();
  const world = createWorld(R, { dtS: DROP_DT_S, solverIterations: 4 });
  try {
    createGround(R, world);
    const startHeight = fixedBase ? 0 : reachM(model) + 0.05;
    const robot = buildRobot(R, world, model, passiveSpec(model, file, fixedBase, startHeight), { origin: [0, 0, 0] });
    const bodies = robot.links.length;
    const drop = bodies <= MAX_DROP_BODIES ? dropTest(world, robot, startHeight) : null;
    const dropSkipped = drop === null ? `${bodies} rigid bodies: the drop test runs for robots of at most ${MAX_DROP_BODIES}` : null;
    return {
      robot: model.name,
      file: path.resolve(file),
      root_link: model.rootLink,
      base: fixedBase ? 'fixed' : 'floating',
      links: model.links.map((l) => ({ name: l.name, mass_kg: l.inertial?.massKg ?? 0, collisions: l.collisions.map((c) => c.geometry.kind) })),
      joints: model.joints.map((j) => ({
        name: j.name, type: j.type, parent: j.parent, child: j.child, axis: [...j.axis],
        lower: finiteOrNull(j.limit?.lower), upper: finiteOrNull(j.limit?.upper),
        effort: finiteOrNull(j.limit?.effort), velocity: finiteOrNull(j.limit?.velocity),
        damping: j.dynamics.damping, friction: j.dynamics.friction,
      })),
      total_mass_kg: Number(totalMassKg(model).toPrecision(12)), // drop float-sum noise such as 12.454000000000002
      dof: model.joints.filter((j) => MOVABLE.has(j.type)).length,
      bodies,
      warnings: [...model.warnings, ...robot.warnings],
      drop,
      drop_skipped: dropSkipped,
    };
  } finally {
    world.free();
  }
}

/** Steps `world` for {@link DROP_S} with the robot's joints passive, watching its root. */
function dropTest(world: World, robot: BuiltRobot, startHeight: number): DropTest {
  const base = new Float64Array(13);
  let maxSpeed = 0;
  let finite = true;
  for (let t = 0; t < Math.round(DROP_S / DROP_DT_S); t++) {
    robot.prePhysicsStep(DROP_DT_S);
    world.step();
    robot.readBase(base);
    if (!base.every(Number.isFinite)) { finite = false; break; }
    maxSpeed = Math.max(maxSpeed, Math.hypot(base[7] as number, base[8] as number, base[9] as number));
  }
  return { seconds: DROP_S, start_height_m: startHeight, final_height_m: finite ? (base[2] as number) : NaN, finite, max_speed_m_s: maxSpeed };
}

/** A robot spec with every movable joint unactuated (effort mode, zero command). */
function passiveSpec(model: RobotModel, file: string, fixedBase: boolean, height: number): LoadedRobotSpec {
  const joints = model.joints.filter((j) => MOVABLE.has(j.type)).map((j) => ({
    name: j.name, kp: 0, kd: 0, action_scale: 1,
    default_pos: Math.min(Math.max(0, j.limit?.lower ?? 0), j.limit?.upper ?? 0),
  }));
  return {
    name: model.name, urdf: path.basename(file), control_mode: 'effort', control_dt_s: DROP_DT_S, physics_dt_s: DROP_DT_S,
    action_clip: 1, joints, base: fixedBase ? { type: 'fixed' } : { type: 'floating', spawn_height_m: height },
    safe_command: { type: 'damping', kd: 0 }, specPath: path.resolve(file), urdfPath: path.resolve(file), decimation: 1,
  };
}

/** An upper bound on how far any collision shape reaches from the root link's origin (m). */
function reachM(model: RobotModel): number {
  const children = new Map<string, { link: string; offset: number }[]>();
  for (const j of model.joints) {
    const list = children.get(j.parent) ?? [];
    list.push({ link: j.child, offset: Math.hypot(...j.origin.xyz) + (j.type === 'prismatic' ? travelM(j.limit?.lower) + travelM(j.limit?.upper) : 0) });
    children.set(j.parent, list);
  }
  const links = new Map(model.links.map((l) => [l.name, l]));
  let best = 0.05;
  // an explicit stack: a chain of thousands of links must not overflow the call stack
  const stack: { link: string; dist: number }[] = [{ link: model.rootLink, dist: 0 }];
  for (let at = stack.pop(); at !== undefined; at = stack.pop()) {
    const { link, dist } = at;
    for (const c of links.get(link)?.collisions ?? []) best = Math.max(best, dist + Math.hypot(...c.origin.xyz) + geometryRadius(c.geometry));
    for (const ch of children.get(link) ?? []) stack.push({ link: ch.link, dist: dist + ch.offset });
  }
  return best;
}

function geometryRadius(g: Geometry): number {
  switch (g.kind) {
    case 'box': return Math.hypot(...g.size) / 2;
    case 'sphere': return g.radius;
    case 'cylinder': return Math.hypot(g.radius, g.length / 2);
    case 'capsule': return g.radius + g.length / 2;
    case 'convex': {
      let r = 0;
      for (let i = 0; i < g.vertices.length; i += 3) r = Math.max(r, Math.hypot(g.vertices[i] as number, g.vertices[i + 1] as number, g.vertices[i + 2] as number));
      return r;
    }
  }
}

/** How far a prismatic joint can slide one way, for the drop height (unlimited: 1 m). */
function travelM(limit: number | undefined): number {
  return limit === undefined ? 0 : Number.isFinite(limit) ? Math.abs(limit) : 1;
}

function finiteOrNull(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}
