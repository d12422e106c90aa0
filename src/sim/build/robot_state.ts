/**
 * Checkpointing a built robot: what `BuiltRobot` keeps in JavaScript beside the Rapier world
 * (actuator commands and the motor settings last sent, randomization values in force), and
 * re-fetching its Rapier objects by handle from a world restored from a snapshot. The bodies,
 * colliders and joints themselves, with their motors, masses and forces, are in the snapshot.
 */
import type { Collider, RigidBody, World } from '../rapier.ts';
import type { ActuatorState, UnitJoint } from './actuators.ts';
import type { DrValues } from './randomization.ts';

/** A robot's JavaScript-side state (see `BuiltRobot.saveState`). */
export interface RobotState {
  actuators: ActuatorState;
  dr: DrValues;
}

/**
 * Replaces, in place, every body, collider and joint of one robot by the object with the same
 * handle in `world`. Everything is looked up and checked (collider parents, joint bodies)
 * before anything is replaced, so a snapshot of a differently built world is an error that
 * changes nothing.
 */
export function refetchParts(world: World, bodies: RigidBody[], colliders: Collider[][], joints: (UnitJoint | null)[]): void {
  const fail = (what: string) => new Error(`the physics snapshot does not match the robot built here: ${what} (saved from a different robot or world layout?)`);
  const nb = bodies.map((b) => {
    const got = world.getRigidBody(b.handle);
    if (!got) throw fail(`no rigid body with handle ${b.handle}`);
    if (got.bodyType() !== b.bodyType()) throw fail(`rigid body ${b.handle} has another type`);
    return got;
  });
  const nc = colliders.map((cs, i) => cs.map((c) => {
    const got = world.getCollider(c.handle);
    if (!got) throw fail(`no collider with handle ${c.handle}`);
    if (got.parent()?.handle !== nb[i]?.handle) throw fail(`collider ${c.handle} is attached to another body`);
    return got;
  }));
  const nj = joints.map((j) => {
    if (j === null) return null;
    const got = world.getImpulseJoint(j.handle) as UnitJoint | null;
    if (!got || typeof got.configureMotor !== 'function') throw fail(`no revolute or prismatic joint with handle ${j.handle}`);
    if (got.body1().handle !== j.body1().handle || got.body2().handle !== j.body2().handle) throw fail(`joint ${j.handle} connects other bodies`);
    return got;
  });
  nb.forEach((b, i) => (bodies[i] = b));
  nc.forEach((cs, i) => cs.forEach((c, k) => ((colliders[i] as Collider[])[k] = c)));
  nj.forEach((j, i) => (joints[i] = j));
}
