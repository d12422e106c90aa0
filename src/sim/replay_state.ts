/**
 * The state a recording carries so a simulator can restart from any logged step: every movable
 * joint's position and velocity and, for a floating base, the root's pose and velocity. The
 * values travel in a recording's reward-term columns under `state.` names (docs/recording.md,
 * "State for replay"), written by `sim2real robot --record` and read by `sim2real calibrate`,
 * which replays logged actions from these states.
 */
import type { SimRobot } from '../task/sim_robot.ts';

/** The 13 root values of `SimRobot.readBase`, as column suffixes. */
const BASE_FIELDS = ['x', 'y', 'z', 'qx', 'qy', 'qz', 'qw', 'vx', 'vy', 'vz', 'wx', 'wy', 'wz'] as const;

/** How one robot's replay state maps onto named columns. */
export class ReplayState {
  /** Column names in row order: `state.q.<joint>`, `state.qd.<joint>`, then `state.base.<field>` (floating base). */
  readonly columns: readonly string[];
  /** Per column: an angle whose differences wrap at ±π (revolute and continuous joint positions). */
  readonly angular: readonly boolean[];
  /** Index into `movableJointNames` of each joint column (the root's '' entry skipped). */
  private readonly joints: number[];
  private readonly floating: boolean;
  private readonly pos: Float64Array;
  private readonly vel: Float64Array;
  private readonly base = new Float64Array(13);

  constructor(robot: Pick<SimRobot, 'movableJointNames' | 'spec' | 'model'>) {
    const names = robot.movableJointNames;
    this.joints = names.map((_, i) => i).filter((i) => names[i] !== '');
    this.floating = robot.spec.base.type === 'floating';
    const js = this.joints.map((i) => names[i] as string);
    this.columns = [
      ...js.map((j) => `state.q.${j}`), ...js.map((j) => `state.qd.${j}`),
      ...(this.floating ? BASE_FIELDS.map((f) => `state.base.${f}`) : []),
    ];
    const types = new Map(robot.model.joints.map((j) => [j.name, j.type]));
    const angle = js.map((j) => types.get(j) === 'revolute' || types.get(j) === 'continuous');
    this.angular = this.columns.map((_, k) => k < js.length && (angle[k] as boolean));
    this.pos = new Float64Array(names.length);
    this.vel = new Float64Array(names.length);
  }

  /** `a − b` for column `k`, wrapped into (−π, π] for an angle. */
  difference(k: number, a: number, b: number): number {
    const d = a - b;
    if (!this.angular[k]) return d;
    return d - 2 * Math.PI * Math.round(d / (2 * Math.PI));
  }

  /** Number of state values. */
  get size(): number {
    return this.columns.length;
  }

  /** Reads `robot`'s state into `out[offset…]`. */
  read(robot: SimRobot, out: Float32Array | Float64Array, offset: number): void {
    robot.readAllJoints(this.pos, this.vel);
    const J = this.joints.length;
    this.joints.forEach((m, k) => {
      out[offset + k] = this.pos[m] as number;
      out[offset + J + k] = this.vel[m] as number;
    });
    if (this.floating) {
      robot.readBase(this.base);
      for (let k = 0; k < 13; k++) out[offset + 2 * J + k] = this.base[k] as number;
    }
  }

  /** Puts `robot` in the state at `src[offset…]` (joints, then the root for a floating base). */
  write(robot: SimRobot, src: ArrayLike<number>, offset: number): void {
    this.pos.fill(0);
    this.vel.fill(0);
    const J = this.joints.length;
    this.joints.forEach((m, k) => {
      this.pos[m] = src[offset + k] as number;
      this.vel[m] = src[offset + J + k] as number;
    });
    robot.setAllJoints(this.pos, this.vel);
    if (this.floating) {
      const b = (k: number) => src[offset + 2 * J + k] as number;
      robot.setBase([b(0), b(1), b(2)], [b(3), b(4), b(5), b(6)], [b(7), b(8), b(9)], [b(10), b(11), b(12)]);
    }
  }
}
