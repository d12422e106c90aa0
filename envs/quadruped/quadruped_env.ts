/**
 * One env of the quadruped task (see `quadruped.ts` for the layout, `config.ts` for weights and
 * constants): legged_gym's reset distribution, command sampling (or commands held by
 * `setCommands`), observation, reward terms and termination, on a `SimRobot` whose contract's
 * `locomotion` section names its legs, feet, contact links and nominal height. The per-step
 * methods reuse preallocated arrays only.
 */
import type { SimRobot } from '../../src/task/sim_robot.ts';
import type { Rng } from '../../src/task/rng.ts';
import type { TaskContext, TaskEnv, TaskStepResult } from '../../src/task/task.ts';
import type { DrSample } from '../../src/task/randomize.ts';
import type { Quat, Vec3 } from '../../src/robot/robot_model.ts';
import { copyStateArrays, expectJoints, loadStateArrays } from '../common.ts';
import { LegContacts } from './contacts.ts';
import type { RoughGround } from './rough_ground.ts';
import { baseFrameState, maxTiltRad } from './frame.ts';
import {
  QUADRUPED_CONFIG as C, QUADRUPED_OBS_SCALES as S, QUADRUPED_REWARD_TERMS, QUADRUPED_REWARD_WEIGHTS, type QuadrupedWeightedTerm,
} from './config.ts';

/** Index of each reward term in `terms`. */
const T = Object.fromEntries(QUADRUPED_REWARD_TERMS.map((n, i) => [n, i])) as Record<QuadrupedWeightedTerm | 'positive_clip', number>;

export class QuadrupedEnv implements TaskEnv {
  private readonly robot: SimRobot;
  private readonly rng: Rng;
  private readonly dtS: number;
  /** Weight × dt per weighted term, in term order. */
  private readonly scaledWeights: Float64Array;
  /** Actuated joints (action order) and feet (leg order). */
  private readonly nj: number;
  private readonly nf: number;
  private readonly defaultPos: Float64Array;
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  private readonly softLower: Float64Array;
  private readonly softUpper: Float64Array;
  /** base_height reward target and termination height, m (fractions of the contract's nominal height). */
  private readonly baseHeightTargetM: number;
  private readonly minBaseHeightM: number;
  /** Feet (air time), penalized links (the collision term) and terminating links, by URDF link. */
  private readonly legs: LegContacts;

  // -- state, refreshed by `readState`
  private readonly base = new Float64Array(13);
  private readonly q: Float64Array;
  private readonly qd: Float64Array;
  private readonly tau: Float64Array;
  /** Base-frame linear velocity, angular velocity and projected gravity. */
  private readonly linB = new Float64Array(3);
  private readonly angB = new Float64Array(3);
  private readonly gravB = new Float64Array(3);

  // -- episode memory
  private readonly commands = new Float64Array(3);
  private readonly action: Float64Array;
  private readonly lastAction: Float64Array;
  private readonly lastQd: Float64Array;
  private readonly airTimeS: Float64Array;
  private readonly lastContact: Uint8Array;
  /** Feet touching the ground this step (1/0), and penalized links touching (count). */
  private readonly footContact: Uint8Array;
  private penalizedContacts = 0;
  /** True while `base`, `q`, `qd` and the derived arrays hold the state after the last evaluate. */
  private stateFresh = false;
  private steps = 0;
  private readonly resampleSteps: number;
  /** Commands held by `setCommands` (vx, vy, yaw rate), or null while they are sampled. */
  private fixedCommands: Float64Array | null = null;

  // -- reset scratch
  private readonly spawnPos: Vec3 = [0, 0, 0];
  private readonly level: Quat = [0, 0, 0, 1];
  private readonly linVel: Vec3 = [0, 0, 0];
  private readonly angVel: Vec3 = [0, 0, 0];
  private readonly zeros: Float64Array;

  /** The generated terrain under this env (quadruped_rough), or null on the flat ground plane. */
  private readonly ground: RoughGround | null;

  /**
   * `joints`: the actuated joints the task's layout was built for (action order). `ground`: on
   * generated terrain, the env's tile, curriculum and height scan; base height is then measured
   * from the scanned ground, and the critic's observation (`observeCritic`) ends with the scan.
   */
  constructor(ctx: TaskContext, joints: readonly string[], ground: RoughGround | null = null) {
    this.ground = ground;
    const robot = ctx.robot;
    expectJoints(robot, 'quadruped', joints);
    const loco = robot.spec.locomotion;
    if (robot.spec.base.type !== 'floating' || !loco) throw new Error(`task quadruped: robot ${robot.spec.name} needs a floating base and a "locomotion" section`);
    this.robot = robot;
    this.rng = ctx.rng;
    this.dtS = ctx.controlDtS;
    this.resampleSteps = Math.max(1, Math.round(C.commandResampleS / ctx.controlDtS));
    this.scaledWeights = Float64Array.from(Object.values(QUADRUPED_REWARD_WEIGHTS), (w) => w * ctx.controlDtS);
    const nj = (this.nj = joints.length);
    const meanEffort = robot.jointLimits.reduce((s, l) => s + l.effort, 0) / nj;
    if (Number.isFinite(meanEffort) && meanEffort > 0) this.scaledWeights[T.torques] = (this.scaledWeights[T.torques] as number) * (C.torqueReferenceEffortNm / meanEffort) ** 2;
    const nf = (this.nf = loco.legs.length);
    const perJoint = () => new Float64Array(nj);
    this.defaultPos = perJoint(); this.lower = perJoint(); this.upper = perJoint(); this.softLower = perJoint(); this.softUpper = perJoint();
    this.q = perJoint(); this.qd = perJoint(); this.tau = perJoint(); this.zeros = perJoint();
    this.action = perJoint(); this.lastAction = perJoint(); this.lastQd = perJoint();
    this.airTimeS = new Float64Array(nf);
    this.lastContact = new Uint8Array(nf);
    this.footContact = new Uint8Array(nf);
    this.baseHeightTargetM = C.baseHeightTargetFraction * loco.nominal_base_height_m;
    this.minBaseHeightM = C.minBaseHeightFraction * loco.nominal_base_height_m;
    for (let j = 0; j < nj; j++) {
      const js = robot.spec.joints[j];
      const lim = robot.jointLimits[j];
      if (!js || !lim) throw new Error(`task quadruped: joint ${j} missing`);
      this.defaultPos[j] = js.default_pos;
      this.lower[j] = lim.lower;
      this.upper[j] = lim.upper;
      // soft limits inside a finite range; a joint without position limits (ANYmal C's) has none
      const finite = Number.isFinite(lim.lower) && Number.isFinite(lim.upper);
      const mid = 0.5 * (lim.lower + lim.upper), half = 0.5 * (lim.upper - lim.lower) * C.softDofPosLimit;
      this.softLower[j] = finite ? mid - half : -Infinity;
      this.softUpper[j] = finite ? mid + half : Infinity;
    }
    this.legs = new LegContacts(robot, 'quadruped', loco);
  }

  reset(): void {
    const rng = this.rng;
    // joints: default × U(0.5, 1.5), inside the limits, at rest (legged_gym reset_dofs)
    const q = this.q;
    for (let j = 0; j < this.nj; j++) {
      const v = (this.defaultPos[j] as number) * rng.uniform(C.resetJointScale[0], C.resetJointScale[1]);
      q[j] = Math.min(this.upper[j] as number, Math.max(this.lower[j] as number, v));
    }
    // on terrain: the curriculum sees where the ended episode got to, then picks the tile and spot
    let groundM = 0;
    if (this.ground) {
      this.robot.readBase(this.base);
      groundM = this.ground.startEpisode(this.base, this.commands, this.spawnPos);
    }
    this.robot.setJoints(q, this.zeros);
    // base: level at the spawn height, random linear and angular velocity (legged_gym reset_root_states)
    const v = C.resetBaseVel;
    for (let k = 0; k < 3; k++) this.linVel[k] = rng.uniform(-v, v);
    for (let k = 0; k < 3; k++) this.angVel[k] = rng.uniform(-v, v);
    this.spawnPos[2] = (this.robot.spec.base.spawn_height_m as number) + groundM;
    this.robot.setBase(this.spawnPos, this.level, this.linVel, this.angVel);
    // stretched legs reach lower than the default pose: lift the base so no foot starts in the ground
    const lowest = this.legs.lowestFootClearance() - groundM;
    if (lowest < C.resetFootClearanceM) {
      this.spawnPos[2] += C.resetFootClearanceM - lowest;
      this.robot.setBase(this.spawnPos, this.level, this.linVel, this.angVel);
    }
    this.resampleCommands();
    this.action.fill(0);
    this.lastAction.fill(0);
    this.lastQd.fill(0);
    this.airTimeS.fill(0);
    this.lastContact.fill(0);
    this.footContact.fill(0);
    this.steps = 0;
    this.stateFresh = false;
  }

  onAction(action: Float32Array): void {
    for (let j = 0; j < this.nj; j++) this.action[j] = action[j] as number;
  }

  /**
   * Reuses the state `evaluate` just read (the runner observes right after evaluating, with no
   * physics in between); reads it afresh otherwise (after a reset, or a second call).
   */
  observe(out: Float32Array): void {
    if (!this.stateFresh) this.readState();
    this.stateFresh = false;
    this.writeObservation(out);
  }

  /**
   * The privileged critic's observation (quadruped_rough), right after `observe` (same state):
   * the actor's numbers noise-free, then friction, added base mass (kg) and motor strength as
   * drawn at reset, each foot's ground contact (1/0), and the height scan.
   */
  observeCritic(out: Float32Array, dr: DrSample): void {
    this.writeObservation(out);
    let k = 12 + 3 * this.nj;
    out[k++] = dr.friction;
    out[k++] = dr.added_base_mass_kg;
    out[k++] = dr.motor_strength;
    // the contacts `evaluate` just read (cleared at reset, before the first evaluate)
    for (let f = 0; f < this.nf; f++) out[k++] = this.footContact[f]!;
    if (this.ground) this.ground.observe(out, k, this.base[2]!);
  }

  /** The actor's observation from the state last read (legged_gym's order and scales). */
  private writeObservation(out: Float32Array): void {
    const c = this.commands;
    for (let k = 0; k < 3; k++) {
      out[k] = (this.linB[k] as number) * S.linVel;
      out[3 + k] = (this.angB[k] as number) * S.angVel;
      out[6 + k] = this.gravB[k] as number;
    }
    out[9] = (c[0] as number) * S.linVel;
    out[10] = (c[1] as number) * S.linVel;
    out[11] = (c[2] as number) * S.angVel;
    const nj = this.nj;
    for (let j = 0; j < nj; j++) {
      out[12 + j] = ((this.q[j] as number) - (this.defaultPos[j] as number)) * S.dofPos;
      out[12 + nj + j] = (this.qd[j] as number) * S.dofVel;
      out[12 + 2 * nj + j] = this.action[j] as number;
    }
  }

  evaluate(out: TaskStepResult): void {
    this.readState();
    this.stateFresh = true;
    this.robot.readTorques(this.tau);
    this.readContacts();
    const terms = out.terms;
    const w = this.scaledWeights;
    const terminated = this.isTerminal();
    terms[T.tracking_lin_vel] = w[T.tracking_lin_vel]! * this.trackingLinVel();
    terms[T.tracking_ang_vel] = w[T.tracking_ang_vel]! * this.trackingAngVel();
    terms[T.lin_vel_z] = w[T.lin_vel_z]! * this.linB[2]! ** 2;
    terms[T.ang_vel_xy] = w[T.ang_vel_xy]! * (this.angB[0]! ** 2 + this.angB[1]! ** 2);
    terms[T.orientation] = w[T.orientation]! * (this.gravB[0]! ** 2 + this.gravB[1]! ** 2);
    let torques = 0, acc = 0, rate = 0, limits = 0;
    for (let j = 0; j < this.nj; j++) {
      const qj = this.q[j]!;
      torques += this.tau[j]! ** 2;
      acc += ((this.lastQd[j]! - this.qd[j]!) / this.dtS) ** 2;
      rate += (this.lastAction[j]! - this.action[j]!) ** 2;
      limits += Math.max(0, this.softLower[j]! - qj) + Math.max(0, qj - this.softUpper[j]!);
    }
    terms[T.torques] = w[T.torques]! * torques;
    terms[T.dof_acc] = w[T.dof_acc]! * acc;
    terms[T.action_rate] = w[T.action_rate]! * rate;
    terms[T.dof_pos_limits] = w[T.dof_pos_limits]! * limits;
    terms[T.feet_air_time] = w[T.feet_air_time]! * this.feetAirTime();
    terms[T.collision] = w[T.collision]! * this.penalizedContacts;
    terms[T.base_height] = w[T.base_height]! * (this.baseHeightM() - this.baseHeightTargetM) ** 2;
    // -- total: legged_gym clips the sum at 0 before adding the termination term
    let sum = 0;
    for (let t = 0; t < T.positive_clip; t++) if (t !== T.termination) sum += terms[t]!;
    terms[T.positive_clip] = C.onlyPositiveRewards && sum < 0 ? -sum : 0;
    terms[T.termination] = w[T.termination]! * (terminated ? 1 : 0);
    out.reward = sum + terms[T.positive_clip]! + terms[T.termination]!;
    out.terminated = terminated;
    // -- memory for the next step
    this.lastAction.set(this.action);
    this.lastQd.set(this.qd);
    if (++this.steps % this.resampleSteps === 0) this.resampleCommands();
  }

  /**
   * Holds the commands at `fixed` (vx m/s, vy m/s, yaw rate rad/s), the current ones at once,
   * until `null` returns them to sampling at the next resample or reset.
   */
  setCommands(fixed: Float64Array | null): void {
    if (fixed !== null && (fixed.length !== 3 || !fixed.every(Number.isFinite))) {
      throw new Error(`task quadruped: setCommands takes 3 finite numbers (vx, vy, yaw_rate), got [${Array.from(fixed).join(', ')}]`);
    }
    this.fixedCommands = fixed && Float64Array.from(fixed);
    if (fixed) this.commands.set(fixed);
  }

  /**
   * Commands, the last actions and joint rates, the feet's air time and contact memory, the step
   * count. A fixed command (`setCommands`) is the caller's setting, like the randomization
   * ranges, not episode memory: it is not saved, and `loadState` keeps the loading env's setting
   * (re-applying a fixed command over the saved values).
   */
  saveState(): unknown {
    const state = { ...copyStateArrays(this.memory()), steps: this.steps };
    return this.ground ? { ...state, terrain: this.ground.saveState() } : state;
  }

  loadState(state: unknown): void {
    const steps = (state as { steps?: unknown } | null)?.steps;
    if (!Number.isInteger(steps) || (steps as number) < 0) throw new Error(`task quadruped: saved state steps must be a count, got ${String(steps)}`);
    loadStateArrays('quadruped', state, this.memory());
    this.steps = steps as number;
    if (this.ground) this.ground.loadState((state as { terrain?: unknown }).terrain);
    this.stateFresh = false;
    if (this.fixedCommands) this.commands.set(this.fixedCommands);
  }

  /** The commands and the base-frame velocities they ask for (`QUADRUPED_COMMANDS`), read now. */
  info(): Record<string, number> {
    this.readState();
    const c = this.commands;
    return {
      command_vx: c[0]!, command_vy: c[1]!, command_yaw_rate: c[2]!,
      base_vx: this.linB[0]!, base_vy: this.linB[1]!, base_yaw_rate: this.angB[2]!,
    };
  }

  /** The terrain level on generated terrain (`TaskSpec.metrics`: `terrain_level`). */
  metrics(out: Float64Array): void {
    if (this.ground) out[0] = this.ground.terrainLevel;
  }

  /** Base height (m): above the plane z = 0, or on terrain above the mean of the height scan (legged_gym rough). */
  private baseHeightM(): number {
    return this.ground ? this.ground.heightAboveGround(this.base[2]!) : this.base[2]!;
  }

  /** The arrays that carry over between control steps (`saveState`). */
  private memory() {
    return {
      commands: this.commands, action: this.action, lastAction: this.lastAction, lastQd: this.lastQd,
      airTimeS: this.airTimeS, lastContact: this.lastContact,
    };
  }

  /**
   * Commands from legged_gym's ranges; small linear commands become zero (stand still). Fixed
   * commands replace them after the draws, so the RNG stream (resets, noise, pushes) is the same
   * with and without them.
   */
  private resampleCommands(): void {
    const r = C.commandRange, c = this.commands, rng = this.rng;
    c[0] = rng.uniform(r.vx[0], r.vx[1]);
    c[1] = rng.uniform(r.vy[0], r.vy[1]);
    c[2] = rng.uniform(r.yawRate[0], r.yawRate[1]);
    if (Math.hypot(c[0], c[1]) <= C.commandZeroBelowMps) c[0] = c[1] = 0;
    if (this.fixedCommands) c.set(this.fixedCommands);
  }

  /** Reads base and joint state and derives the base-frame quantities. */
  private readState(): void {
    this.robot.readBase(this.base);
    this.robot.readJoints(this.q, this.qd);
    baseFrameState(this.base, this.linB, this.angB, this.gravB);
    if (this.ground) this.ground.scan(this.base);
  }

  /** Contact of each foot, and how many penalized links touch. */
  private readContacts(): void {
    for (let f = 0; f < this.nf; f++) this.footContact[f] = this.legs.footInContact(f) ? 1 : 0;
    this.penalizedContacts = this.legs.penalizedInContact();
  }

  /** A terminating link on the ground, base too low, or roll/pitch beyond the limit. */
  private isTerminal(): boolean {
    if (this.legs.terminatingInContact()) return true;
    if (this.baseHeightM() < this.minBaseHeightM) return true;
    return maxTiltRad(this.base) > C.maxTiltRad;
  }

  private trackingLinVel(): number {
    const ex = this.commands[0]! - this.linB[0]!, ey = this.commands[1]! - this.linB[1]!;
    return Math.exp(-(ex * ex + ey * ey) / C.trackingSigma);
  }

  private trackingAngVel(): number {
    const e = this.commands[2]! - this.angB[2]!;
    return Math.exp(-(e * e) / C.trackingSigma);
  }

  /** legged_gym's first-contact rule; also advances the feet's air time. */
  private feetAirTime(): number {
    let reward = 0;
    for (let f = 0; f < this.nf; f++) {
      const contact = this.footContact[f]!;
      const filtered = contact | this.lastContact[f]!;
      this.lastContact[f] = contact;
      const firstContact = this.airTimeS[f]! > 0 && filtered === 1;
      this.airTimeS[f] = this.airTimeS[f]! + this.dtS;
      if (firstContact) reward += this.airTimeS[f]! - C.feetAirTimeOffsetS;
      if (filtered) this.airTimeS[f] = 0;
    }
    return Math.hypot(this.commands[0]!, this.commands[1]!) > C.feetAirTimeMinCommandMps ? reward : 0;
  }
}
