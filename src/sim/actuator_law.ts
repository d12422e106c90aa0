/**
 * The engine-free half of a robot's actuators, the same in every physics engine: a policy action
 * becomes a position target (clipped, scaled, offset by the default pose, clamped to the joint's
 * limits) or an effort (clipped, scaled, times motor strength, clamped to the effort limit),
 * under the gains, strength and damping randomization puts in force; and the torque that PD law
 * gives at a joint state. Rapier's motors (`build/actuators.ts`) and MuJoCo's actuators
 * (`src/mujoco/mujoco_actuators.ts`) are configured from it, so both engines drive a joint with
 * the same numbers.
 */
import type { JointLimit } from '../robot/robot_model.ts';
import type { JointSpec, LoadedRobotSpec } from '../robot/robot_spec.ts';

/** What the law needs to know of the robot: its contract and each actuated joint's URDF limits and damping. */
export interface ActuatorLawParts {
  spec: LoadedRobotSpec;
  /** URDF limits per spec joint. */
  jointLimits: readonly JointLimit[];
  /** URDF damping per spec joint (N·m·s/rad or N·s/m). */
  jointDamping: Float64Array;
}

/** Commands, gains and limits of one robot's actuated joints, spec order. */
export class ActuatorLaw {
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
  protected readonly spec: LoadedRobotSpec;
  protected readonly jointLimits: readonly JointLimit[];
  private readonly jointDamping: Float64Array;

  constructor(parts: ActuatorLawParts) {
    this.spec = parts.spec;
    this.jointLimits = parts.jointLimits;
    this.jointDamping = parts.jointDamping;
    this.positionMode = parts.spec.control_mode === 'position';
    this.command = new Float64Array(parts.spec.joints.length);
  }

  /** Position targets = `pos` clamped to the limits (position mode) or zero efforts. */
  resetCommands(pos: ArrayLike<number>): void {
    for (let k = 0; k < this.command.length; k++) this.command[k] = this.positionMode ? this.clampTarget(k, pos[k] as number) : 0;
  }

  /** The commands for a policy action (see `SimRobot.setAction`); a non-finite entry is an error naming the joint. */
  commandAction(action: ArrayLike<number>): void {
    const clip = this.spec.action_clip;
    for (let k = 0; k < this.command.length; k++) {
      const a = action[k] as number;
      if (!Number.isFinite(a)) throw new Error(`action[${k}] (joint ${this.spec.joints[k]?.name}) is ${a}`);
      const js = this.spec.joints[k] as JointSpec;
      const c = a > clip ? clip : a < -clip ? -clip : a;
      if (this.positionMode) {
        this.command[k] = this.clampTarget(k, js.default_pos + js.action_scale * c);
      } else {
        const e = js.action_scale * c * this.strength;
        const lim = this.effortLimit(k);
        this.command[k] = e > lim ? lim : e < -lim ? -lim : e;
      }
    }
  }

  /** The actuator torques for joint positions/rates `pos`, `vel` (spec order), into `out`. */
  torques(pos: Float64Array, vel: Float64Array, out: Float64Array): void {
    if (!this.positionMode) {
      out.set(this.command);
      return;
    }
    for (let k = 0; k < this.command.length; k++) {
      const lim = this.effortLimit(k);
      const t = this.kp(k) * ((this.command[k] as number) - (pos[k] as number)) - this.kd(k) * (vel[k] as number);
      out[k] = t > lim ? lim : t < -lim ? -lim : t;
    }
  }

  /** Position gain in force now for spec joint `k`: Kp × motor strength × kp scale. */
  kp(k: number): number {
    return (this.spec.joints[k] as JointSpec).kp * this.strength * this.kpScale;
  }

  /** Velocity gain in force now for spec joint `k`: Kd × kd scale, plus URDF and randomized damping. */
  kd(k: number): number {
    return (this.spec.joints[k] as JointSpec).kd * this.kdScale + this.damping(k);
  }

  /** URDF damping plus randomized extra damping of spec joint `k`. */
  damping(k: number): number {
    return (this.jointDamping[k] as number) + this.extraDamping;
  }

  /** Effort limit in force now for spec joint `k`: the URDF's × motor strength (Infinity: none). */
  effortLimit(k: number): number {
    return (this.jointLimits[k] as JointLimit).effort * this.strength;
  }

  private clampTarget(k: number, target: number): number {
    const lim = this.jointLimits[k] as JointLimit;
    return target > lim.upper ? lim.upper : target < lim.lower ? lim.lower : target;
  }
}
