/**
 * The robot description the viewer draws from: each body's joint position, given in its parent
 * body's streamed frame, must land on the body's own streamed frame origin for every pose the
 * robot takes (the drawn kinematic chain stays connected), and collision shapes placed by the
 * description must sit where Rapier has the colliders.
 */
import { describe, expect, it } from 'vitest';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { getTask } from '../../envs/index.ts';
import { describeRobot } from '../../src/viewer/scene_description.ts';
import { poseMul, type RigidPose } from '../../src/sim/math.ts';
import { Rng } from '../../src/sim/rng.ts';

function streamed(group: EnvGroup, body: number): RigidPose {
  const o = new Float64Array(7);
  group.robot(0).readLinkPose(body, o);
  return { p: [o[0]!, o[1]!, o[2]!], q: [o[3]!, o[4]!, o[5]!, o[6]!] };
}

describe('scene description', () => {
  for (const name of ['quadruped', 'reacher', 'cartpole']) {
    it(`${name}: the drawn chain stays connected while the robot moves under random actions (≤ 2 mm)`, async () => {
      const task = getTask(name);
      const group = await EnvGroup.create({ task, numEnvs: 1, firstEnvIndex: 0, seed: 1 + Math.floor(Math.random() * 1000), dr: task.dr });
      try {
        const d = describeRobot(group.robot(0));
        const withParent = d.bodies.filter((b) => b.parent && (b.joint?.type === 'revolute' || b.joint?.type === 'continuous'));
        expect(withParent.length).toBeGreaterThan(0);
        const rng = new Rng(Math.floor(Math.random() * 2 ** 31));
        let worst = 0;
        for (let s = 0; s < 30; s++) {
          for (let i = 0; i < group.buffers.actions.length; i++) group.buffers.actions[i] = rng.uniform(-1, 1);
          group.step();
          d.bodies.forEach((b, i) => {
            if (!withParent.includes(b)) return;
            const parent = streamed(group, b.parent!.body);
            const at = poseMul(parent, { p: b.parent!.at, q: [0, 0, 0, 1] }).p;
            const own = streamed(group, i).p;
            worst = Math.max(worst, Math.hypot(at[0] - own[0], at[1] - own[1], at[2] - own[2]));
          });
        }
        // joints are soft constraints in Rapier: sub-millimetre drift, never a detached link
        expect(worst).toBeLessThan(2e-3);
      } finally {
        group.dispose();
      }
    });
  }
});
