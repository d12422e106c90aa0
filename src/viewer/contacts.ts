/**
 * Contact points of a robot for the page's contact overlay: the solver contact points of every
 * collider of the robot that touches something, relative to the env origin.
 */
import type { World } from '../sim/rapier.ts';
import type { BuiltRobot } from '../sim/build/build.ts';

/** Appends `robot`'s current contact points (x, y, z relative to its origin) to `out`. */
export function readContactPoints(world: World, robot: BuiltRobot, out: number[]): void {
  const o = robot.origin;
  for (const colliders of robot.colliders) {
    for (const c of colliders) {
      world.contactPairsWith(c, (other) => {
        world.contactPair(c, other, (m) => {
          for (let k = 0; k < m.numSolverContacts(); k++) {
            const p = m.solverContactPoint(k);
            if (p) out.push(p.x - o[0], p.y - o[1], p.z - o[2]);
          }
        });
      });
    }
  }
}
