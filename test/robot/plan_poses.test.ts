/**
 * Link poses from the build plan alone (what the on-robot agent draws telemetry with) agree with
 * the simulator's: random joint positions set in Rapier, the same positions through
 * `linkFramePoses`, every body's streamed frame compared relative to the root's.
 */
import { describe, expect, it } from 'vitest';
import { getTask } from '../../envs/index.ts';
import { qConj, qMul, qRotate, type RigidPose } from '../../src/robot/math.ts';
import { linkFramePoses } from '../../src/robot/plan_poses.ts';
import { planRobot } from '../../src/robot/robot_plan.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { Rng } from '../../src/task/rng.ts';

const at = (a: ArrayLike<number>, i: number): RigidPose => ({ p: [a[7 * i]!, a[7 * i + 1]!, a[7 * i + 2]!], q: [a[7 * i + 3]!, a[7 * i + 4]!, a[7 * i + 5]!, a[7 * i + 6]!] });

/** `b` in the frame of `a`. */
function relative(a: RigidPose, b: RigidPose): RigidPose {
  const qa = qConj(a.q);
  return { p: qRotate(qa, [b.p[0] - a.p[0], b.p[1] - a.p[1], b.p[2] - a.p[2]]), q: qMul(qa, b.q) };
}

describe('link poses from the plan', () => {
  for (const name of ['cartpole', 'pendulum', 'reacher', 'quadruped']) {
    it(`${name}: match the simulator's for random joint positions (≤ 0.01 mm, ≤ 1e-5 in the quaternion)`, async () => {
      const task = getTask(name);
      const group = await EnvGroup.create({ task, numEnvs: 1, firstEnvIndex: 0, seed: 1, dr: task.dr });
      try {
        const robot = group.robot(0);
        const plan = planRobot(robot.model, robot.spec);
        const n = plan.bodies.length;
        const seed = Math.floor(Math.random() * 2 ** 31), rng = new Rng(seed);
        const limits = new Map(robot.model.joints.map((j) => [j.name, j.limit]));
        const q = new Float64Array(n), zero = new Float64Array(n), sim = new Float64Array(7 * n), mine = new Float64Array(7 * n), one = new Float64Array(7);
        let worst = 0;
        for (let pose = 0; pose < 10; pose++) {
          robot.movableJointNames.forEach((jn, i) => {
            const lim = limits.get(jn);
            q[i] = jn === '' ? 0 : rng.uniform(Math.max(lim?.lower ?? -1, -1), Math.min(lim?.upper ?? 1, 1));
          });
          robot.setAllJoints(q, zero);
          for (let b = 0; b < n; b++) {
            robot.readLinkPose(b, one);
            sim.set(one, 7 * b);
          }
          linkFramePoses(plan, q, mine);
          for (let b = 1; b < n; b++) {
            const x = relative(at(sim, 0), at(sim, b)), y = relative(at(mine, 0), at(mine, b));
            const dq = Math.min(Math.hypot(...x.q.map((v, i) => v - y.q[i]!)), Math.hypot(...x.q.map((v, i) => v + y.q[i]!)));
            worst = Math.max(worst, Math.hypot(...x.p.map((v, i) => v - y.p[i]!)), dq);
          }
        }
        expect(worst, `seed ${seed}`).toBeLessThan(1e-5);
      } finally {
        group.dispose();
      }
    });
  }
});
