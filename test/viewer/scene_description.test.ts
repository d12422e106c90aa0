/**
 * The robot description the viewer draws from: each body's joint position, given in its parent
 * body's streamed frame, must land on the body's own streamed frame origin in every pose, so the
 * drawn kinematic chain stays connected. Poses are set kinematically (random joint angles within
 * the limits and, for a floating base, a random base orientation), so the joints hold exactly
 * and any gap is the description's error.
 */
import { describe, expect, it } from 'vitest';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { getTask } from '../../envs/index.ts';
import { describeRobot } from '../../src/viewer/scene_description.ts';
import { poseMul, qNormalize, type RigidPose } from '../../src/robot/math.ts';
import { Rng } from '../../src/task/rng.ts';

function streamed(group: EnvGroup, body: number): RigidPose {
  const o = new Float64Array(7);
  group.robot(0).readLinkPose(body, o);
  return { p: [o[0]!, o[1]!, o[2]!], q: [o[3]!, o[4]!, o[5]!, o[6]!] };
}

describe('scene description', () => {
  for (const name of ['quadruped', 'reacher', 'cartpole']) {
    it(`${name}: the drawn chain meets every joint in random poses (≤ 0.01 mm)`, async () => {
      const task = getTask(name);
      const group = await EnvGroup.create({ task, numEnvs: 1, firstEnvIndex: 0, seed: 1, dr: task.dr });
      try {
        const robot = group.robot(0);
        const d = describeRobot(robot);
        const chained = d.bodies.map((b, i) => [b, i] as const).filter(([b]) => b.parent && (b.joint?.type === 'revolute' || b.joint?.type === 'continuous'));
        expect(chained.length).toBeGreaterThan(0);
        const seed = Math.floor(Math.random() * 2 ** 31), rng = new Rng(seed);
        const limits = new Map(robot.model.joints.map((j) => [j.name, j.limit]));
        const q = new Float64Array(d.bodies.length), zero = new Float64Array(d.bodies.length);
        let worst = 0;
        for (let pose = 0; pose < 20; pose++) {
          robot.movableJointNames.forEach((jn, i) => {
            const lim = limits.get(jn);
            const lo = Math.max(lim?.lower ?? -Math.PI, -Math.PI), hi = Math.min(lim?.upper ?? Math.PI, Math.PI);
            q[i] = jn === '' ? 0 : rng.uniform(lo, hi);
          });
          if (robot.spec.base.type === 'floating') {
            const quat = qNormalize([rng.normal(), rng.normal(), rng.normal(), rng.normal()]);
            robot.setBase([rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.2, 1)], quat, [0, 0, 0], [0, 0, 0]);
          }
          robot.setAllJoints(q, zero);
          for (const [b, i] of chained) {
            const at = poseMul(streamed(group, b.parent!.body), { p: b.parent!.at, q: [0, 0, 0, 1] }).p;
            const own = streamed(group, i).p;
            worst = Math.max(worst, Math.hypot(at[0] - own[0], at[1] - own[1], at[2] - own[2]));
          }
        }
        // Rapier keeps poses in f32: ~1e-7 m; a wrong frame would be off by centimetres
        expect(worst, `seed ${seed}`).toBeLessThan(1e-5);
      } finally {
        group.dispose();
      }
    });
  }
});
