/**
 * The robot description the page draws (`src/robot/robot_description.ts`) for a simulated robot:
 * its bodies, shapes and joint axes, in the order and frames `readLinkPose` streams.
 */
import type { BuiltRobot } from '../sim/build/build.ts';
import { describeBodies, type RobotDescription } from '../robot/robot_description.ts';

export type { BodyDescription, RobotDescription, ShapeDescription } from '../robot/robot_description.ts';

/** Describes `robot`'s bodies, shapes and joint axes. */
export function describeRobot(robot: BuiltRobot): RobotDescription {
  return describeBodies(robot.model, robot);
}
