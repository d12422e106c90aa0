/**
 * The cached state of one robot's bodies — BODY_STRIDE numbers per body: position, quaternion,
 * linear and angular velocity — read from Rapier only for the bodies and parts a readout needs
 * (each getter crosses into WASM), and at most once per world step when the robots of a world
 * share a step clock.
 */
import type { RigidBody } from '../rapier.ts';
import { BODY_STRIDE, READ_ALL, READ_Q, READ_T, READ_V, READ_W, readMasks, type TreeArrays } from '../../robot/kinematics.ts';

/** A counter of `world.step()` calls, shared by the robots of one world (see `BuildConfig.clock`). */
export interface StepClock {
  steps: number;
}

/** Body states of one robot, refreshed from Rapier on demand. */
export class BodyStateCache {
  /** Body states (BODY_STRIDE per body); fixed bodies hold their build pose. */
  readonly st: Float64Array;
  /** Dynamic bodies whose state the actuated joints need, and which parts of it (READ_* bits) per body. */
  private readonly jointSet: Int32Array;
  private readonly jointMask: Uint8Array;
  /** The same for every joint of the tree. */
  private readonly allSet: Int32Array;
  private readonly allMask: Uint8Array;
  /** Clock count at which the joints' / all joints' state was last read (-1: stale). */
  private jointsAt = -1;
  private allAt = -1;
  private readonly sv = { x: 0, y: 0, z: 0 };
  private readonly sq = { x: 0, y: 0, z: 0, w: 1 };

  /** `body(i)` returns body i (and throws on a bad index or a disposed robot). */
  constructor(private readonly body: (i: number) => RigidBody, tree: TreeArrays, act: Int32Array, dynamic: readonly boolean[], private readonly clock: StepClock | null) {
    const n = tree.parent.length;
    this.st = new Float64Array(n * BODY_STRIDE);
    this.jointMask = readMasks(tree, act, dynamic);
    this.jointSet = Int32Array.from([...this.jointMask.keys()].filter((b) => this.jointMask[b] !== 0));
    this.allMask = readMasks(tree, Int32Array.from({ length: n - 1 }, (_, i) => i + 1), dynamic);
    this.allSet = Int32Array.from([...this.allMask.keys()].filter((b) => this.allMask[b] !== 0));
    for (let b = 0; b < n; b++) this.refresh(b);
  }

  /** Makes current what the actuated joints' positions and rates are computed from. */
  forJoints(): void {
    const now = this.clock ? this.clock.steps : -2;
    if (now === this.jointsAt || now === this.allAt) return;
    const rs = this.jointSet;
    for (let i = 0; i < rs.length; i++) this.refresh(rs[i] as number, this.jointMask[rs[i] as number] as number);
    if (this.clock) this.jointsAt = now;
  }

  /** Makes current what every joint's position and rate is computed from. */
  forAllJoints(): void {
    const now = this.clock ? this.clock.steps : -2;
    if (now === this.allAt) return;
    const rs = this.allSet;
    for (let i = 0; i < rs.length; i++) this.refresh(rs[i] as number, this.allMask[rs[i] as number] as number);
    if (this.clock) this.allAt = now;
  }

  /** Forgets what was read this step (the state was set from outside the simulation). */
  invalidate(): void {
    this.jointsAt = this.allAt = -1;
  }

  /** Reads the `mask` (READ_* bits) parts of body `b`'s state from Rapier into `st`. */
  refresh(b: number, mask = READ_ALL): void {
    const body = this.body(b);
    const st = this.st;
    const o = b * BODY_STRIDE;
    const v = this.sv;
    const q = this.sq;
    if (mask & READ_T) {
      body.translation(v);
      st[o] = v.x;
      st[o + 1] = v.y;
      st[o + 2] = v.z;
    }
    if (mask & READ_Q) {
      body.rotation(q);
      st[o + 3] = q.x;
      st[o + 4] = q.y;
      st[o + 5] = q.z;
      st[o + 6] = q.w;
    }
    if (mask & READ_V) {
      body.linvel(v);
      st[o + 7] = v.x;
      st[o + 8] = v.y;
      st[o + 9] = v.z;
    }
    if (mask & READ_W) {
      body.angvel(v);
      st[o + 10] = v.x;
      st[o + 11] = v.y;
      st[o + 12] = v.z;
    }
  }
}
