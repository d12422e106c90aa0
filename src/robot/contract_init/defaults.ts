/**
 * The parts of a generated contract that do not depend on the robot: legged_gym's control
 * timing and action clip, and Rapier's solver iterations. Each comes with the reason the
 * printout gives for it.
 */

/** Policy period (s): 50 Hz, legged_gym's for every robot. */
export const CONTROL_DT_S = 0.02;
/** Physics step (s): 200 Hz, legged_gym's `sim.dt` (decimation 4). */
export const PHYSICS_DT_S = 0.005;
/** Actions are clipped to ±this before scaling: legged_gym's `clip_actions` (in effect no clip; the task's targets are clamped to the limits). */
export const ACTION_CLIP = 100;
/** Rapier solver iterations per physics step: the project's default (DESIGN.md: an A1 stands stably with 4). */
export const SOLVER_ITERATIONS = 4;

/** Why the fixed values are what they are, for the printout. */
export const TIMING_WHY = 'legged_gym\'s: 50 Hz policy over 200 Hz physics (decimation 4), actions clipped at ±100, 4 solver iterations';
