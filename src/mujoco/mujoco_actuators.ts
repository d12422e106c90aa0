/**
 * The actuators of a MuJoCo robot: the engine-free actuator law (`src/sim/actuator_law.ts`, the
 * one Rapier's motors follow) applied as MuJoCo `general` actuators, one per spec joint.
 *
 * - Position control: a PD servo, force = Kp·(target − q) − Kv·q̇ with Kv = Kd + joint damping
 *   (as Rapier's motor carries the damping), clamped to the effort limit by `forcerange`. The
 *   `implicitfast` integrator treats the Kv term implicitly, as Rapier's motor constraint does.
 * - Effort control: a unit-gain motor whose control is the (already clamped) effort; joint
 *   damping is MuJoCo's passive joint damping.
 *
 * Passive joints get their URDF damping as joint damping. Gains, limits and damping are written
 * into the robot's own model copy whenever randomization changes them (`configure`).
 */
import type { MjData, MjModel } from './mujoco_wasm.ts';
import { ActuatorLaw, type ActuatorLawParts } from '../sim/actuator_law.ts';

/** Where each actuated joint lives in the MuJoCo model. */
export interface MujocoActuatorParts extends ActuatorLawParts {
  /** Actuator id per spec joint. */
  actuatorIds: Int32Array;
  /** Dof address per spec joint. */
  dofAdr: Int32Array;
  /** Dof address and URDF damping of every joint that is not actuated. */
  passiveDofAdr: Int32Array;
  passiveDamping: Float64Array;
}

/** Stride of `actuator_gainprm` / `actuator_biasprm` rows (mjNGAIN, mjNBIAS). */
const PRM = 10;

/** The actuator law of one robot with the MuJoCo model fields that apply it. */
export class MujocoActuators extends ActuatorLaw {
  constructor(private readonly parts: MujocoActuatorParts) {
    super(parts);
  }

  /** Commands for a policy action, into the data's controls. */
  setAction(action: ArrayLike<number>, d: MjData): void {
    this.commandAction(action);
    this.writeControls(d);
  }

  /** Position targets = `pos` clamped to the limits (position mode) or zero efforts, into the controls. */
  reset(pos: ArrayLike<number>, d: MjData): void {
    this.resetCommands(pos);
    this.writeControls(d);
  }

  /** Writes the gains, effort limits and joint damping now in force into `m`. */
  configure(m: MjModel): void {
    const { actuatorIds, dofAdr, passiveDofAdr, passiveDamping } = this.parts;
    const gain = m.actuator_gainprm as Float64Array, bias = m.actuator_biasprm as Float64Array;
    const range = m.actuator_forcerange as Float64Array, limited = m.actuator_forcelimited as Uint8Array;
    const damping = m.dof_damping as Float64Array;
    for (let k = 0; k < this.command.length; k++) {
      const a = actuatorIds[k] as number;
      const lim = this.effortLimit(k);
      if (this.positionMode) {
        gain[a * PRM] = this.kp(k);
        bias[a * PRM + 1] = -this.kp(k);
        bias[a * PRM + 2] = -this.kd(k);
        damping[dofAdr[k] as number] = 0;
        limited[a] = Number.isFinite(lim) ? 1 : 0;
        range[2 * a] = Number.isFinite(lim) ? -lim : 0;
        range[2 * a + 1] = Number.isFinite(lim) ? lim : 0;
      } else {
        gain[a * PRM] = 1;
        damping[dofAdr[k] as number] = this.damping(k);
        limited[a] = 0;
      }
    }
    for (let p = 0; p < passiveDofAdr.length; p++) damping[passiveDofAdr[p] as number] = passiveDamping[p] as number;
  }

  private writeControls(d: MjData): void {
    const ctrl = d.ctrl as Float64Array;
    const ids = this.parts.actuatorIds;
    for (let k = 0; k < this.command.length; k++) ctrl[ids[k] as number] = this.command[k] as number;
  }
}
