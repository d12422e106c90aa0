/**
 * The stand check of a legged robot's contract: built in Rapier exactly as training builds it
 * (or on another engine: the sim-to-sim tests stand each robot in MuJoCo too), set in its
 * default pose at its spawn height, then held with zero actions for a few seconds.
 * It passes when the base settles within 10% of the nominal height, stays upright and still,
 * and nothing but the feet touches the ground. `sim2real urdf --init` runs it on the contract it
 * writes, so a contract that cannot even stand is caught before any training.
 */
import { RAPIER_ENGINE } from './rapier_scene.ts';
import type { PhysicsEngine } from './physics_scene.ts';
import type { RobotModel } from '../robot/robot_model.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';

/** What to hold the robot to. */
export interface StandCheckConfig {
  /** Links allowed to touch the ground (the feet). */
  feet: readonly string[];
  /** The height the base should stand at (m). */
  nominalHeightM: number;
  /** How long to stand (s); default {@link STAND_S}. */
  seconds?: number;
}

/** What happened, with the verdict and the reasons for a failure. */
export interface StandReport {
  seconds: number;
  start_height_m: number;
  nominal_height_m: number;
  /** Base height at the end, and its lowest and highest after {@link SETTLE_S} (m). */
  final_height_m: number;
  min_height_m: number;
  max_height_m: number;
  /** min_height_m / nominal_height_m. */
  min_height_ratio: number;
  /** Largest tilt of the base from level after settling (degrees). */
  max_tilt_deg: number;
  /** Base speed at the end (m/s). */
  final_speed_m_s: number;
  /** Largest joint deviation from the default pose at the end (rad or m). */
  final_joint_error: number;
  /** Links other than the feet that touched the ground at any time. */
  other_contacts: string[];
  pass: boolean;
  /** Why it failed, one line each (empty when it passed). */
  failures: string[];
}

/** How long the robot stands (s). */
export const STAND_S = 5;
/** Time allowed to land from the spawn height before the height is held to the band (s). */
export const SETTLE_S = 1;
/** The base must stay within this fraction of the nominal height. */
export const HEIGHT_BAND = 0.1;
/** Largest tilt allowed (degrees). */
export const MAX_TILT_DEG = 10;
/** "Still": the base's speed at the end is below this (m/s). */
export const STILL_M_S = 0.05;

/** Runs the stand check of `spec` (a floating-base, position-controlled robot) on `model`, on `engine` (default Rapier). */
export async function standCheck(model: RobotModel, spec: LoadedRobotSpec, cfg: StandCheckConfig, engine: PhysicsEngine = RAPIER_ENGINE): Promise<StandReport> {
  const seconds = cfg.seconds ?? STAND_S;
  const dt = spec.physics_dt_s;
  const scene = await engine.createScene({ model, spec, numEnvs: 1, envSpacingM: 0, gravity: [0, 0, -9.81] });
  try {
    const robot = scene.addRobot([0, 0, 0]);
    const n = robot.numJoints;
    const start = spec.base.spawn_height_m ?? cfg.nominalHeightM;
    const defaults = spec.joints.map((j) => j.default_pos);
    robot.setJoints(defaults, new Array<number>(n).fill(0));
    robot.setBase([0, 0, start], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
    robot.setAction(new Float32Array(n));
    const feet = new Set(cfg.feet);
    const watched = model.links.filter((l) => l.collisions.length > 0 && !feet.has(l.name))
      .map((l) => ({ name: l.name, index: robot.linkContactIndex(l.name) })).filter((w) => w.index >= 0);
    const touched = new Set<string>();
    const base = new Float64Array(13);
    let minH = Infinity, maxH = -Infinity, maxTilt = 0, finite = true;
    const steps = Math.round(seconds / dt);
    for (let t = 1; t <= steps; t++) {
      robot.prePhysicsStep(dt);
      scene.step();
      robot.readBase(base);
      if (!base.every(Number.isFinite)) { finite = false; break; }
      for (const w of watched) if (robot.linkInContact(w.index)) touched.add(w.name);
      if (t * dt < SETTLE_S) continue;
      const h = base[2] as number;
      minH = Math.min(minH, h);
      maxH = Math.max(maxH, h);
      maxTilt = Math.max(maxTilt, tiltDeg(base));
    }
    const pos = new Float64Array(n), vel = new Float64Array(n);
    robot.readJoints(pos, vel);
    const jointErr = Math.max(0, ...defaults.map((d, k) => Math.abs((pos[k] as number) - d)));
    return verdict({
      seconds, start_height_m: start, nominal_height_m: cfg.nominalHeightM,
      final_height_m: finite ? (base[2] as number) : NaN, min_height_m: minH, max_height_m: maxH,
      min_height_ratio: minH / cfg.nominalHeightM, max_tilt_deg: maxTilt,
      final_speed_m_s: finite ? Math.hypot(base[7] as number, base[8] as number, base[9] as number) : NaN,
      final_joint_error: jointErr, other_contacts: [...touched], pass: false, failures: [],
    }, finite);
  } finally {
    scene.dispose();
  }
}

/** Fills `pass` and `failures` from the numbers. */
function verdict(r: StandReport, finite: boolean): StandReport {
  const f: string[] = [];
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  if (!finite) f.push('the simulation produced non-finite values');
  else {
    if (r.min_height_m < (1 - HEIGHT_BAND) * r.nominal_height_m) f.push(`the base sank to ${r.min_height_m.toFixed(3)} m, ${pct(r.min_height_ratio)} of nominal ${r.nominal_height_m} m (at least ${pct(1 - HEIGHT_BAND)})`);
    if (r.max_height_m > (1 + HEIGHT_BAND) * r.nominal_height_m) f.push(`the base rose to ${r.max_height_m.toFixed(3)} m, above ${pct(1 + HEIGHT_BAND)} of nominal ${r.nominal_height_m} m`);
    if (r.max_tilt_deg > MAX_TILT_DEG) f.push(`the base tilted ${r.max_tilt_deg.toFixed(1)}° (at most ${MAX_TILT_DEG}°)`);
    if (!(r.final_speed_m_s < STILL_M_S)) f.push(`the base still moves at ${r.final_speed_m_s.toFixed(3)} m/s after ${r.seconds} s`);
  }
  if (r.other_contacts.length > 0) f.push(`links other than the feet touched the ground: ${r.other_contacts.join(', ')}`);
  return { ...r, pass: f.length === 0, failures: f };
}

/** Angle between the base's z axis and the world's (degrees), from a readBase row. */
function tiltDeg(b: Float64Array): number {
  const x = b[3] as number, y = b[4] as number;
  // z-component of R·ez = 1 − 2(x² + y²)
  const c = Math.min(1, Math.max(-1, 1 - 2 * (x * x + y * y)));
  return (Math.acos(c) * 180) / Math.PI;
}
