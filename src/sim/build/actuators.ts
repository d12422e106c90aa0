/**
 * The actuators of a built robot: the engine-free actuator law (`../actuator_law.ts`) applied
 * as Rapier joint-motor settings, so the solver applies every joint force as an equal and
 * opposite pair on the two bodies.
 *
 * - Position control: force-based PD motor (Kp·strength·kpScale, Kd·kdScale + damping) limited
 *   to the effort.
 * - Effort control: a velocity motor aimed at an unreachable speed with its force limit at
 *   |τ|: it saturates and applies exactly τ. Joint damping d is added explicitly as −d·q̇,
 *   refreshed before every physics step (`dampingStep`). (A velocity motor with damping d and
 *   target τ/d would be implicit, but Rapier caps what such a motor delivers: with d = 1e-3 a
 *   10 N command moved a 1 kg cart at 6% of the right acceleration.)
 *
 * This replaces applying impulses in `prePhysicsStep` (measured: 1–3 Rapier calls per joint
 * per physics step made per-env overhead ~50% of `world.step()` for 256 cartpoles; motor
 * settings change only with the action). Rapier has no motor "off": a motor with zero gains is
 * a velocity lock, so such motors get a zero force limit, and passive joints without damping
 * get no motor at all (no solver work).
 */
import type { Rapier } from '../rapier.ts';
import type { JointLimit } from '../../robot/robot_model.ts';
import type { LoadedRobotSpec } from '../../robot/robot_spec.ts';
import { ActuatorLaw } from '../actuator_law.ts';

/** A revolute or prismatic impulse joint (motor and limit API). */
export type UnitJoint = InstanceType<Rapier['UnitImpulseJoint']>;

/** Largest finite f32: Rapier's "no limit" for motor forces. */
const F32_MAX = 3.4028234663852886e38;

/** Saturating velocity motor for undamped effort control: target speed and damping (SI). */
const SAT_SPEED = 1e5;
const SAT_DAMPING = 1e3;
/** Joint damping below this is negligible and not applied in effort mode. */
const MIN_DAMPING = 1e-9;

/** What the actuators need to know of the robot. */
export interface ActuatorParts {
  spec: LoadedRobotSpec;
  /** Joint to the parent per body (null for the root). */
  joints: readonly (UnitJoint | null)[];
  /** URDF damping per body's joint (0 for the root). */
  urdfDamping: Float64Array;
  /** Body moved by each spec joint. */
  act: Int32Array;
  jointLimits: readonly JointLimit[];
  forceBased: number;
}

/** What `Actuators.saveState` captures (spec joint order; typed arrays keep NaN exact). */
export interface ActuatorState {
  command: Float64Array;
  sentVel: Float64Array;
  sentForce: Float64Array;
  strength: number;
  extraDamping: number;
  /** Randomized gain scales (absent in checkpoints older than them: 1). */
  kpScale?: number;
  kdScale?: number;
}

/** The actuator law of one robot's joints (`ActuatorLaw`) with the Rapier motor settings that apply it. */
export class Actuators extends ActuatorLaw {
  private readonly p: ActuatorParts;
  private readonly actIndex: Int32Array;
  /** Effort mode: the target velocity and force limit last sent per spec joint (NaN: unknown). */
  private readonly sentVel: Float64Array;
  private readonly sentForce: Float64Array;

  constructor(parts: ActuatorParts) {
    super({ spec: parts.spec, jointLimits: parts.jointLimits, jointDamping: Float64Array.from(parts.act, (b) => parts.urdfDamping[b] as number) });
    this.p = parts;
    this.sentVel = new Float64Array(parts.act.length).fill(NaN);
    this.sentForce = new Float64Array(parts.act.length).fill(NaN);
    this.actIndex = new Int32Array(parts.joints.length).fill(-1);
    parts.act.forEach((b, k) => (this.actIndex[b] = k));
  }

  /**
   * The JS side of the actuators for a checkpoint: commands, strength and damping, and effort
   * mode's last-sent motor settings (NaN where unknown). The motors themselves live in the
   * Rapier world and are saved with its snapshot.
   */
  saveState(): ActuatorState {
    return {
      command: this.command.slice(), sentVel: this.sentVel.slice(), sentForce: this.sentForce.slice(),
      strength: this.strength, extraDamping: this.extraDamping, kpScale: this.kpScale, kdScale: this.kdScale,
    };
  }

  /** Restores `saveState`'s values without touching the motors (the world snapshot holds them). */
  loadState(s: ActuatorState): void {
    const n = this.command.length;
    for (const key of ['command', 'sentVel', 'sentForce'] as const) {
      const a = s[key];
      if (!(a instanceof Float64Array) || a.length !== n) throw new Error(`actuator state: ${key} must be a Float64Array of ${n}`);
    }
    for (const key of ['strength', 'extraDamping'] as const) {
      if (typeof s[key] !== 'number') throw new Error(`actuator state: ${key} must be a number`);
    }
    for (const key of ['kpScale', 'kdScale'] as const) {
      if (s[key] !== undefined && typeof s[key] !== 'number') throw new Error(`actuator state: ${key} must be a number`);
    }
    this.command.set(s.command);
    this.sentVel.set(s.sentVel);
    this.sentForce.set(s.sentForce);
    this.strength = s.strength;
    this.extraDamping = s.extraDamping;
    this.kpScale = s.kpScale ?? 1;
    this.kdScale = s.kdScale ?? 1;
  }

  /** Position targets = `pos` clamped to the limits (position mode) or zero efforts; motors reconfigured. */
  reset(pos: ArrayLike<number>): void {
    this.resetCommands(pos);
    this.configure();
  }

  /** See `SimRobot.setAction`. */
  setAction(action: ArrayLike<number>): void {
    this.commandAction(action);
    const { joints, act } = this.p;
    for (let k = 0; k < this.command.length; k++) {
      if (this.positionMode) setMotor(joints[act[k] as number] as UnitJoint, this.command[k] as number, this.kp(k), this.kd(k), this.effortLimit(k));
      else this.sendEffort(k, 0);
    }
  }

  /** Effort mode with joint damping: whether `dampingStep` must run before each physics step. */
  get dampedEffort(): boolean {
    if (this.positionMode) return false;
    for (let k = 0; k < this.command.length; k++) if (this.damping(k) >= MIN_DAMPING) return true;
    return false;
  }

  /** Effort mode: re-sends every damped joint's force as effort − damping·`vel[k]`. */
  dampingStep(vel: Float64Array): void {
    for (let k = 0; k < this.command.length; k++) if (this.damping(k) >= MIN_DAMPING) this.sendEffort(k, vel[k] as number);
  }

  /** (Re)configures every motor from the commands, gains, strength and damping now in force. */
  configure(): void {
    const { joints, urdfDamping, forceBased } = this.p;
    this.sentVel.fill(NaN);
    this.sentForce.fill(NaN);
    for (let b = 1; b < joints.length; b++) {
      const joint = joints[b] as UnitJoint;
      const k = this.actIndex[b] as number;
      if (k < 0 && !((urdfDamping[b] as number) > 0)) continue;
      joint.configureMotorModel(forceBased);
      if (k < 0) {
        setMotor(joint, 0, 0, urdfDamping[b] as number, F32_MAX);
      } else if (this.positionMode) {
        setMotor(joint, this.command[k] as number, this.kp(k), this.kd(k), this.effortLimit(k));
      } else {
        this.sendEffort(k, 0);
      }
    }
  }

  /** Effort mode: sets spec joint `k`'s motor to apply its effort minus damping at rate `qd`. */
  private sendEffort(k: number, qd: number): void {
    const joint = this.p.joints[this.p.act[k] as number] as UnitJoint;
    const d = this.damping(k);
    const e = (this.command[k] as number) - (d >= MIN_DAMPING ? d * qd : 0);
    const vel = e > 0 ? SAT_SPEED : e < 0 ? -SAT_SPEED : 0;
    if (vel !== this.sentVel[k]) {
      joint.configureMotor(0, vel, 0, e === 0 ? 0 : SAT_DAMPING);
      this.sentVel[k] = vel;
    }
    const force = Math.abs(e);
    if (force !== this.sentForce[k]) {
      joint.setMotorMaxForce(force);
      this.sentForce[k] = force;
    }
  }
}

/** Configures a force-based PD motor; zero gains switch it off (force limit 0). */
function setMotor(joint: UnitJoint, target: number, kp: number, kd: number, maxForce: number): void {
  joint.configureMotor(target, 0, kp, kd);
  joint.setMotorMaxForce(kp === 0 && kd === 0 ? 0 : Math.min(F32_MAX, maxForce));
}
