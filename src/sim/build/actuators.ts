/**
 * The actuators of a built robot: policy actions become Rapier joint-motor settings, so the
 * solver applies every joint force as an equal and opposite pair on the two bodies.
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
import type { JointSpec, LoadedRobotSpec } from '../../robot/robot_spec.ts';

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

/** Commands, gains and motor settings of one robot's joints. */
export class Actuators {
  /** Motor strength (scale on Kp, effort limits and effort commands). */
  strength = 1;
  /** Viscous damping added to every actuated joint (N·m·s/rad or N·s/m). */
  extraDamping = 0;
  /** Scales on every joint's Kp and Kd (randomized actuator gains). */
  kpScale = 1;
  kdScale = 1;
  /** Per spec joint: position target (position mode) or effort (effort mode) now in force. */
  readonly command: Float64Array;
  readonly positionMode: boolean;
  private readonly p: ActuatorParts;
  private readonly actIndex: Int32Array;
  /** Effort mode: the target velocity and force limit last sent per spec joint (NaN: unknown). */
  private readonly sentVel: Float64Array;
  private readonly sentForce: Float64Array;

  constructor(parts: ActuatorParts) {
    this.p = parts;
    this.positionMode = parts.spec.control_mode === 'position';
    this.command = new Float64Array(parts.act.length);
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
    for (let k = 0; k < this.command.length; k++) this.command[k] = this.positionMode ? this.clampTarget(k, pos[k] as number) : 0;
    this.configure();
  }

  /** See `SimRobot.setAction`. */
  setAction(action: ArrayLike<number>): void {
    const { spec, joints, act, jointLimits } = this.p;
    const clip = spec.action_clip;
    const s = this.strength;
    for (let k = 0; k < this.command.length; k++) {
      const a = action[k] as number;
      if (!Number.isFinite(a)) throw new Error(`action[${k}] (joint ${spec.joints[k]?.name}) is ${a}`);
      const js = spec.joints[k] as JointSpec;
      const c = a > clip ? clip : a < -clip ? -clip : a;
      const lim = (jointLimits[k] as JointLimit).effort * s;
      if (this.positionMode) {
        const target = this.clampTarget(k, js.default_pos + js.action_scale * c);
        this.command[k] = target;
        setMotor(joints[act[k] as number] as UnitJoint, target, this.kpOf(js), this.kdOf(js, k), lim);
      } else {
        const e = js.action_scale * c * s;
        this.command[k] = e > lim ? lim : e < -lim ? -lim : e;
        this.sendEffort(k, 0);
      }
    }
  }

  /** Effort mode with joint damping: whether `dampingStep` must run before each physics step. */
  get dampedEffort(): boolean {
    if (this.positionMode) return false;
    for (let k = 0; k < this.command.length; k++) if (this.dampingOf(k) >= MIN_DAMPING) return true;
    return false;
  }

  /** Effort mode: re-sends every damped joint's force as effort − damping·`vel[k]`. */
  dampingStep(vel: Float64Array): void {
    for (let k = 0; k < this.command.length; k++) if (this.dampingOf(k) >= MIN_DAMPING) this.sendEffort(k, vel[k] as number);
  }

  /** The actuator torques for joint positions/rates `pos`, `vel` (spec order), into `out`. */
  torques(pos: Float64Array, vel: Float64Array, out: Float64Array): void {
    if (!this.positionMode) {
      out.set(this.command);
      return;
    }
    const s = this.strength;
    for (let k = 0; k < this.command.length; k++) {
      const js = this.p.spec.joints[k] as JointSpec;
      const lim = (this.p.jointLimits[k] as JointLimit).effort * s;
      const t = this.kpOf(js) * ((this.command[k] as number) - (pos[k] as number)) - this.kdOf(js, k) * (vel[k] as number);
      out[k] = t > lim ? lim : t < -lim ? -lim : t;
    }
  }

  /** (Re)configures every motor from the commands, gains, strength and damping now in force. */
  configure(): void {
    const { joints, spec, jointLimits, urdfDamping, forceBased } = this.p;
    const s = this.strength;
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
        const js = spec.joints[k] as JointSpec;
        setMotor(joint, this.command[k] as number, this.kpOf(js), this.kdOf(js, k), (jointLimits[k] as JointLimit).effort * s);
      } else {
        this.sendEffort(k, 0);
      }
    }
  }

  /** Effort mode: sets spec joint `k`'s motor to apply its effort minus damping at rate `qd`. */
  private sendEffort(k: number, qd: number): void {
    const joint = this.p.joints[this.p.act[k] as number] as UnitJoint;
    const d = this.dampingOf(k);
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

  /** Position gain in force now: Kp × motor strength × kp scale. */
  private kpOf(js: JointSpec): number {
    return js.kp * this.strength * this.kpScale;
  }

  /** Velocity gain in force now for spec joint `k`: Kd × kd scale, plus URDF and randomized damping. */
  private kdOf(js: JointSpec, k: number): number {
    return js.kd * this.kdScale + this.dampingOf(k);
  }

  /** URDF damping plus randomized extra damping of spec joint `k`. */
  private dampingOf(k: number): number {
    return (this.p.urdfDamping[this.p.act[k] as number] as number) + this.extraDamping;
  }

  private clampTarget(k: number, target: number): number {
    const lim = this.p.jointLimits[k] as JointLimit;
    return target > lim.upper ? lim.upper : target < lim.lower ? lim.lower : target;
  }
}

/** Configures a force-based PD motor; zero gains switch it off (force limit 0). */
function setMotor(joint: UnitJoint, target: number, kp: number, kd: number, maxForce: number): void {
  joint.configureMotor(target, 0, kp, kd);
  joint.setMotorMaxForce(kp === 0 && kd === 0 ? 0 : Math.min(F32_MAX, maxForce));
}
