/**
 * quadruped_rough: the quadruped's velocity tracking on generated terrain (legged_gym's rough
 * task): smooth and rough slopes, stairs up and down, discrete obstacles and stepping stones in
 * a grid of difficulty levels with legged_gym's curriculum (`rough_ground.ts` states the rule).
 * The actor is blind: it sees the flat task's 12 + 3 × joints numbers, all a robot measures, and
 * is what the exported policy holds. The critic, used in training only, also sees privileged
 * state: the same numbers noise-free, the randomized friction, added mass and motor strength,
 * the feet's contacts and a 17 × 11 height scan around the base (legged_gym's
 * `measure_heights`). Base height, for the reward and the termination, is measured from the
 * scanned ground. Any robot contract with a `locomotion`
 * section runs it (`--robot`). Each metrics row logs the mean `terrain_level`.
 */
import type { SignalSpec, TaskSpec } from '../../src/task/task.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { signal } from '../common.ts';
import { quadrupedOn } from './quadruped.ts';
import { QuadrupedEnv } from './quadruped_env.ts';
import { ROUGH_CONFIG, RoughGround } from './rough_ground.ts';

/** The scan's signals, x-major (the order `RoughGround.observe` writes). */
function scanSignals(): SignalSpec[] {
  const R = ROUGH_CONFIG;
  return R.scanX.flatMap((x) => R.scanY.map((y) => signal(`height_scan_x${x}_y${y}`, 'm', { scale: R.scanScale, noise: R.scanNoiseM * R.scanScale })));
}

/**
 * The privileged critic's signals (`QuadrupedEnv.observeCritic`'s order): the actor's, noise-free,
 * then the randomized friction, added mass and motor strength, each foot's contact, the scan.
 */
function criticSignals(actor: readonly SignalSpec[], feet: readonly string[]): SignalSpec[] {
  return [
    ...actor.map(({ noise: _noise, ...s }) => s),
    signal('friction', '1'), signal('added_base_mass', 'kg'), signal('motor_strength', '1'),
    ...feet.map((f) => signal(`${f}_contact`, '1')),
    ...scanSignals().map(({ noise: _noise, ...s }) => s),
  ];
}

/** The rough-terrain task on robot `robot` (a name in `robots/` or a contract's path). */
export function quadrupedRoughOn(robot: string): TaskSpec {
  const flat = quadrupedOn(robot);
  const feet = (loadRobotSpec(robot).locomotion?.legs ?? []).map((l) => l.foot);
  const joints = flat.actions.map((a) => a.name.replace(/_target_offset$/, ''));
  const training = flat.training as { ppo: Record<string, unknown> } & Record<string, unknown>;
  return {
    ...flat,
    name: 'quadruped_rough',
    description: 'A legged robot (robots/quadruped.json, or --robot) tracks velocity commands on generated slopes, stairs, obstacles and stepping stones with a terrain curriculum and a height scan (legged_gym rough)',
    // a blind actor (what the robot measures), a privileged critic that sees the terrain
    observations: flat.observations,
    criticObservations: criticSignals(flat.observations, feet),
    terrain: { kind: 'rough' },
    metrics: ['terrain_level'],
    // legged_gym's rough networks (512-256-128); the rest as the flat task
    training: { ...training, ppo: { ...training.ppo, actor_hidden: [512, 256, 128], critic_hidden: [512, 256, 128] } },
    forRobot: quadrupedRoughOn,
    create: (ctx) => new QuadrupedEnv(ctx, joints, new RoughGround(ctx, flat.maxEpisodeSteps * ctx.controlDtS)),
  };
}

/** The task on the project's own robot, `robots/quadruped.json`. */
export const quadrupedRough: TaskSpec = quadrupedRoughOn('quadruped');
