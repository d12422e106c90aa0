import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier, type World } from '../../src/sim/rapier.ts';
import { buildRobot, createGround, createWorld, type BuiltRobot } from '../../src/sim/build/build.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { loadRobotSpec, type LoadedRobotSpec } from '../../src/robot/robot_spec.ts';
import { Rng } from '../../src/task/rng.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import type { RobotModel } from '../../src/robot/robot_model.ts';
import type { TaskEnv, TaskStepResult } from '../../src/task/task.ts';
import { quadruped } from '../../envs/quadruped/quadruped.ts';
import { QUADRUPED_COMMANDS, QUADRUPED_CONFIG, QUADRUPED_REWARD_WEIGHTS } from '../../envs/quadruped/config.ts';

const spec: LoadedRobotSpec = loadRobotSpec('quadruped');
/** robots/quadruped's legs and joints, in its contract's (action) order. */
const QUADRUPED_LEGS = ['FL', 'FR', 'RL', 'RR'] as const;
const QUADRUPED_JOINTS: readonly string[] = QUADRUPED_LEGS.flatMap((l) => [`${l}_hip_joint`, `${l}_thigh_joint`, `${l}_calf_joint`]);
const model: RobotModel = loadUrdf(spec.urdfPath);
let R: Rapier;
const worlds: World[] = [];

beforeAll(async () => {
  R = await loadRapier();
});
afterEach(() => {
  for (const w of worlds.splice(0)) w.free();
});

interface Env {
  robot: BuiltRobot;
  task: TaskEnv;
  out: TaskStepResult;
  obs: Float32Array;
}

/** `n` quadrupeds in one world (the runner's layout), each with its task env, reset. */
function makeEnvs(n: number, seed: number, solverIterations = spec.solver_iterations ?? 4): { world: World; envs: Env[] } {
  const world = createWorld(R, { dtS: spec.physics_dt_s, solverIterations });
  worlds.push(world);
  createGround(R, world, { halfExtentM: 50 });
  const cols = Math.ceil(Math.sqrt(n));
  const envs: Env[] = [];
  for (let i = 0; i < n; i++) {
    const robot = buildRobot(R, world, model, spec, { origin: [(i % cols) * quadruped.envSpacingM, Math.floor(i / cols) * quadruped.envSpacingM, 0] });
    const task = quadruped.create({ robot, rng: new Rng(seed, i), envIndex: i, controlDtS: spec.control_dt_s });
    task.reset();
    envs.push({ robot, task, out: { reward: 0, terminated: false, terms: new Float64Array(quadruped.rewardTerms.length) }, obs: new Float32Array(48) });
  }
  return { world, envs };
}

/** One control step as the runner does it (no latency, no noise): action, decimation, evaluate, observe. */
function step(world: World, envs: Env[], action: (i: number, a: Float32Array) => void): void {
  const a = new Float32Array(12);
  envs.forEach((e, i) => {
    action(i, a);
    e.task.onAction?.(a);
    e.robot.setAction(a);
  });
  for (let k = 0; k < spec.decimation; k++) {
    for (const e of envs) e.robot.prePhysicsStep(spec.physics_dt_s);
    world.step();
  }
  for (const e of envs) {
    e.out.reward = 0;
    e.out.terminated = false;
    e.out.terms.fill(0);
    e.task.evaluate(e.out);
    e.task.observe(e.obs);
  }
}

const zeroAction = (_: number, a: Float32Array) => a.fill(0);
const defaults = () => spec.joints.map((j) => j.default_pos);
/** Puts every robot in the default pose at rest, level at the spawn height. */
function placeDefault(envs: Env[]): void {
  for (const e of envs) {
    e.robot.setJoints(defaults(), new Array(12).fill(0));
    e.robot.setBase([0, 0, spec.base.spawn_height_m as number], [0, 0, 0, 1], [0, 0, 0], [0, 0, 0]);
  }
}
function tiltRad(robot: BuiltRobot): { roll: number; pitch: number; height: number } {
  const b = new Float64Array(13);
  robot.readBase(b);
  const [x, y, z, w] = [b[3]!, b[4]!, b[5]!, b[6]!];
  return {
    roll: Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)),
    pitch: Math.asin(Math.max(-1, Math.min(1, 2 * (w * y - z * x)))),
    height: b[2]!,
  };
}
const freshSeed = () => Math.floor(Math.random() * 2 ** 31);
/** Whether URDF link `name`'s own collision shapes touch anything. */
const linkTouches = (robot: BuiltRobot, name: string) => robot.linkInContact(robot.linkContactIndex(name));
const term = (name: string) => quadruped.rewardTerms.indexOf(name);

describe('robots/quadruped', () => {
  it('is a 12-revolute-joint, ~12.8 kg A1-class robot with feet as fixed-joint links', () => {
    const revolute = model.joints.filter((j) => j.type === 'revolute');
    expect(revolute.map((j) => j.name).sort()).toEqual([...QUADRUPED_JOINTS].sort());
    expect(model.joints.filter((j) => j.type === 'fixed').map((j) => j.child).sort()).toEqual(QUADRUPED_LEGS.map((l) => `${l}_foot`).sort());
    const massKg = model.links.reduce((s, l) => s + (l.inertial?.massKg ?? 0), 0);
    expect(massKg).toBeGreaterThanOrEqual(12);
    expect(massKg).toBeLessThanOrEqual(13);
    for (const j of revolute) {
      expect(j.limit?.effort).toBe(33.5);
      expect(j.limit?.velocity).toBe(21);
    }
    expect(model.warnings).toEqual([]);
    // the spec drives them in the task's action order with legged_gym's gains
    expect(spec.joints.map((j) => j.name)).toEqual(QUADRUPED_JOINTS);
    expect(spec.decimation).toBe(4);
    for (const j of spec.joints) expect([j.kp, j.kd, j.action_scale]).toEqual([20, 0.5, 0.25]);
  });
});

/** A sideways push (m/s) that tips over a robot holding the default pose. */
const PUSH_MPS = 3;

describe('quadruped task', () => {
  it('declares 48 observations, 12 actions and its reward terms', () => {
    expect(quadruped.observations).toHaveLength(48);
    expect(quadruped.actions.map((a) => a.name)).toEqual(QUADRUPED_JOINTS.map((j) => `${j}_target_offset`));
    expect(new Set(quadruped.observations.map((o) => o.name)).size).toBe(48);
    // noise in observed units = legged_gym's noise × the observation scale
    const noise = (name: string) => quadruped.observations.find((o) => o.name === name)?.noise ?? 0;
    expect(noise('base_lin_vel_x')).toBeCloseTo(0.1 * 2, 12);
    expect(noise('base_ang_vel_z')).toBeCloseTo(0.2 * 0.25, 12);
    expect(noise('projected_gravity_z')).toBeCloseTo(0.05, 12);
    expect(noise('FL_calf_joint_pos')).toBeCloseTo(0.01, 12);
    expect(noise('RR_hip_joint_vel')).toBeCloseTo(1.5 * 0.05, 12);
    expect(noise('command_vx')).toBe(0);
    expect(noise('FL_hip_joint_last_action')).toBe(0);
    // physical units, legged_gym's obs_scales as `scale`; the last action is the policy's own (dimensionless) output
    const sig = (name: string) => quadruped.observations.find((o) => o.name === name);
    const unitScale = (name: string) => [sig(name)?.unit, sig(name)?.scale ?? 1];
    expect(unitScale('base_lin_vel_y')).toEqual(['m/s', 2]);
    expect(unitScale('base_ang_vel_x')).toEqual(['rad/s', 0.25]);
    expect(unitScale('projected_gravity_x')).toEqual(['1', 1]);
    expect(unitScale('command_vy')).toEqual(['m/s', 2]);
    expect(unitScale('command_yaw_rate')).toEqual(['rad/s', 0.25]);
    expect(unitScale('RL_thigh_joint_pos')).toEqual(['rad', 1]);
    expect(unitScale('FR_calf_joint_vel')).toEqual(['rad/s', 0.05]);
    expect(unitScale('RR_calf_joint_last_action')).toEqual(['1', 1]);
    // an action is a target offset in units of 0.25 rad, the spec's action_scale
    quadruped.actions.forEach((a, j) => expect([a.unit, a.scale]).toEqual(['rad', spec.joints[j]!.action_scale]));
    expect(quadruped.rewardTerms).toEqual([...Object.keys(QUADRUPED_REWARD_WEIGHTS), 'positive_clip']);
    expect(quadruped.maxEpisodeSteps * spec.control_dt_s).toBeCloseTo(20, 9);
  });

  for (const iterations of [4, 2]) {
    const fromJson = iterations === (spec.solver_iterations ?? 4);
    it(`stands for 2 s holding the default pose with zero actions (${iterations} solver iterations${fromJson ? ', the JSON value' : ''})`, () => {
      const n = 16;
      const { world, envs } = makeEnvs(n, freshSeed(), iterations);
      placeDefault(envs);
      for (let s = 0; s < 100; s++) {
        step(world, envs, zeroAction);
        for (const e of envs) expect(e.out.terminated).toBe(false);
      }
      // the converged stance (8+ solver iterations) is 0.265 m high, pitched 0.01 rad; 4 iterations
      // reach it within 2 mm; 2 leave the joints unconverged: ~0.23 m, rolled up to ~0.14 rad
      const [lo, hi, maxTilt] = iterations >= 4 ? [0.25, 0.28, 0.05] : [0.2, 0.28, 0.2];
      for (const e of envs) {
        const t = tiltRad(e.robot);
        expect(t.height).toBeGreaterThan(lo);
        expect(t.height).toBeLessThan(hi);
        expect(Math.abs(t.roll)).toBeLessThan(maxTilt);
        expect(Math.abs(t.pitch)).toBeLessThan(maxTilt);
        // standing: four feet down, no thigh or calf touching (the feet are welded into the calves' bodies)
        expect(Math.abs(e.out.terms[term('collision')]!)).toBe(0);
        for (const l of QUADRUPED_LEGS) {
          expect(linkTouches(e.robot, `${l}_foot`), `${l}_foot`).toBe(true);
          expect(linkTouches(e.robot, `${l}_calf`), `${l}_calf`).toBe(false);
          expect(linkTouches(e.robot, `${l}_thigh`), `${l}_thigh`).toBe(false);
          expect(e.robot.inContact(e.robot.linkIndex(`${l}_calf`)), `${l}_calf body`).toBe(true);
        }
        // projected gravity ≈ straight down in the base frame
        expect(Math.abs(e.obs[6]!)).toBeLessThan(maxTilt);
        expect(Math.abs(e.obs[7]!)).toBeLessThan(maxTilt);
        expect(e.obs[8]!).toBeLessThan(-Math.cos(maxTilt));
      }
    });
  }

  it('tells thighs and calves on the ground from feet: a robot lying on its side is charged the collision term', () => {
    const { world, envs } = makeEnvs(4, freshSeed());
    placeDefault(envs);
    // two rolled onto the left side, two onto the right, dropped from 6 cm holding the default
    // pose: they come to rest on the lower legs' thighs (later they may tip onto their backs)
    envs.forEach((e, i) => {
      const s = (i % 2 === 0 ? 1 : -1) * Math.SQRT1_2;
      e.robot.setBase([0, 0, 0.2], [s, 0, 0, Math.SQRT1_2], [0, 0, 0], [0, 0, 0]);
    });
    for (let s = 0; s < 25; s++) step(world, envs, zeroAction);
    for (const e of envs) {
      const shins = QUADRUPED_LEGS.flatMap((l) => [`${l}_thigh`, `${l}_calf`]).filter((n) => linkTouches(e.robot, n));
      expect(shins.length).toBeGreaterThan(0);
      expect(e.out.terms[term('collision')]).toBeCloseTo(-1 * shins.length * spec.control_dt_s, 12);
      expect(Math.abs(tiltRad(e.robot).roll)).toBeGreaterThan(1);
    }
  });

  it('mostly stands up from legged_gym\'s random resets with zero actions', () => {
    // reset: joints default × U(0.5, 1.5), base velocity ±0.5 m/s and rad/s; at Kp 20 about 1 in 100 falls
    const seed = freshSeed();
    const { world, envs } = makeEnvs(32, seed);
    const fell = new Set<number>();
    for (let s = 0; s < 100; s++) {
      step(world, envs, zeroAction);
      envs.forEach((e, i) => e.out.terminated && fell.add(i));
    }
    expect(fell.size, `seed ${seed}`).toBeLessThanOrEqual(3);
  });

  it('terminates a robot dropped upside down, and one pushed over', () => {
    const { world, envs } = makeEnvs(2, freshSeed());
    placeDefault(envs);
    const [flipped, pushed] = envs as [Env, Env];
    flipped.robot.setBase([0, 0, 0.5], [1, 0, 0, 0], [0, 0, 0], [0, 0, 0]);
    let flippedAt = -1, pushedAt = -1;
    for (let s = 0; s < 150 && (flippedAt < 0 || pushedAt < 0); s++) {
      if (s === 25) pushed.robot.push(pushed.robot.linkIndex('trunk'), [0, PUSH_MPS, 0]);
      step(world, envs, zeroAction);
      if (flipped.out.terminated && flippedAt < 0) flippedAt = s;
      if (pushed.out.terminated && pushedAt < 0) pushedAt = s;
      if (s < 25) expect(pushed.out.terminated).toBe(false);
    }
    expect(flippedAt).toBe(0); // roll π is beyond the 1 rad limit at once
    expect(pushedAt).toBeGreaterThanOrEqual(25);
    expect(pushedAt).toBeLessThan(100);
  });

  it('observes base state, projected gravity, scaled commands, joint offsets and the last action', () => {
    const { world, envs } = makeEnvs(4, freshSeed());
    placeDefault(envs);
    const rng = new Rng(freshSeed());
    const actions = envs.map(() => Float32Array.from({ length: 12 }, () => rng.uniform(-0.5, 0.5)));
    for (let s = 0; s < 3; s++) step(world, envs, (i, a) => a.set(actions[i]!));
    for (const e of envs) {
      const info = e.task.info!();
      expect(e.obs[9]).toBeCloseTo(2 * info.command_vx!, 6);
      expect(e.obs[10]).toBeCloseTo(2 * info.command_vy!, 6);
      expect(e.obs[11]).toBeCloseTo(0.25 * info.command_yaw_rate!, 6);
      const q = new Float64Array(12), qd = new Float64Array(12), b = new Float64Array(13);
      e.robot.readJoints(q, qd);
      e.robot.readBase(b);
      for (let j = 0; j < 12; j++) {
        expect(e.obs[12 + j]).toBeCloseTo(q[j]! - spec.joints[j]!.default_pos, 5);
        expect(e.obs[24 + j]).toBeCloseTo(0.05 * qd[j]!, 5);
        expect(e.obs[36 + j]).toBeCloseTo(actions[envs.indexOf(e)]![j]!, 6);
      }
      // nearly level, so base-frame velocities ≈ world ones (scaled)
      expect(e.obs[2]).toBeCloseTo(2 * b[9]!, 1);
      expect(e.obs[5]).toBeCloseTo(0.25 * b[12]!, 1);
      const g = Math.hypot(e.obs[6]!, e.obs[7]!, e.obs[8]!);
      expect(g).toBeCloseTo(1, 6);
    }
  });

  it('samples commands in legged_gym\'s ranges and resamples them every 10 s', () => {
    const { envs } = makeEnvs(64, freshSeed());
    for (const e of envs) {
      const c = e.task.info!();
      const vxy = Math.hypot(c.command_vx!, c.command_vy!);
      expect(vxy === 0 || vxy > QUADRUPED_CONFIG.commandZeroBelowMps).toBe(true);
      for (const v of [c.command_vx!, c.command_vy!, c.command_yaw_rate!]) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
    // the resample happens inside evaluate, every 500 control steps
    const e = envs[0]!;
    const before = e.task.info!();
    for (let s = 0; s < 499; s++) e.task.evaluate(e.out);
    expect(e.task.info!()).toEqual(before);
    e.task.evaluate(e.out);
    expect(e.task.info!()).not.toEqual(before);
  });

  it('declares its commands with the sampled ranges and info() keys for the value and the measured velocity', () => {
    expect(quadruped.commands).toBe(QUADRUPED_COMMANDS);
    expect(QUADRUPED_COMMANDS.map((c) => [c.name, c.unit, c.range])).toEqual([['vx', 'm/s', [-1, 1]], ['vy', 'm/s', [-1, 1]], ['yaw_rate', 'rad/s', [-1, 1]]]);
    const { world, envs } = makeEnvs(2, freshSeed());
    for (let s = 0; s < 5; s++) step(world, envs, zeroAction);
    for (const e of envs) {
      const info = e.task.info!();
      // the commanded value is the observed one; the measured one is the base-frame velocity the policy sees (noise-free)
      QUADRUPED_COMMANDS.forEach((c, k) => expect(e.obs[9 + k]).toBeCloseTo(info[c.commandKey]! * (k < 2 ? 2 : 0.25), 6));
      expect(e.obs[0]).toBeCloseTo(2 * info.base_vx!, 5);
      expect(e.obs[1]).toBeCloseTo(2 * info.base_vy!, 5);
      expect(e.obs[5]).toBeCloseTo(0.25 * info.base_yaw_rate!, 5);
    }
  });

  it('setCommands holds a command through the 10 s resampling and resets, also below the stand-still cutoff; null releases it', () => {
    const { envs } = makeEnvs(2, freshSeed());
    const [held, free] = envs as [Env, Env];
    const rng = new Rng(freshSeed());
    // 0.1 m/s is below the 0.2 m/s cutoff sampling zeroes, and 1.3 outside the sampled range: both are held as given
    const fixed = Float64Array.of(0.1, rng.uniform(-1, 1), 1.3);
    const commands = (e: Env) => { const i = e.task.info!(); return [i.command_vx, i.command_vy, i.command_yaw_rate]; };
    held.task.setCommands!(fixed);
    expect(commands(held)).toEqual(Array.from(fixed)); // at once, not only from the next resample
    const freeBefore = commands(free);
    for (let s = 0; s < 1200; s++) {
      held.task.evaluate(held.out);
      free.task.evaluate(free.out);
      if (s === 600) held.task.reset();
      expect(commands(held)).toEqual(Array.from(fixed));
    }
    expect(commands(free)).not.toEqual(freeBefore); // the other env resampled meanwhile (at 500 and 1000 steps)
    fixed[0] = 0.9; // the env keeps its own copy
    expect(commands(held)[0]).toBe(0.1);
    // a state saved while held and loaded elsewhere carries the command in effect; the fixed setting stays with the env
    const saved = held.task.saveState!();
    held.task.setCommands!(null);
    expect(commands(held)).toEqual([0.1, fixed[1], 1.3]); // released at the next resample or reset, not at once
    held.task.reset();
    const sampled = commands(held);
    expect(sampled).not.toEqual([0.1, fixed[1], 1.3]);
    for (const v of sampled) expect(Math.abs(v!)).toBeLessThanOrEqual(1);
    held.task.loadState!(saved);
    expect(commands(held)).toEqual([0.1, fixed[1], 1.3]);
    for (let s = 0; s < 500; s++) held.task.evaluate(held.out);
    expect(commands(held)).not.toEqual([0.1, fixed[1], 1.3]); // not held any more: resampled
    expect(() => held.task.setCommands!(Float64Array.of(0.5, 0))).toThrow(/3 finite numbers/);
    expect(() => held.task.setCommands!(Float64Array.of(0.5, NaN, 0))).toThrow(/3 finite numbers/);
  });

  it('holding a command draws the same random numbers: the next reset samples the randomization it samples without', async () => {
    const seed = freshSeed();
    const run = async (hold: boolean) => {
      const group = await EnvGroup.create({ task: quadruped, numEnvs: 2, firstEnvIndex: 0, seed, dr: quadruped.dr });
      try {
        if (hold) for (let i = 0; i < 2; i++) group.taskEnv(i).setCommands!(Float64Array.of(0.5, 0, 0));
        group.resetAll();
        return [0, 1].map((i) => ({ ...group.sample(i) }));
      } finally {
        group.dispose();
      }
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('gives each reward term the sign of its weight, and the reward is their sum', () => {
    const { world, envs } = makeEnvs(16, freshSeed());
    const rng = new Rng(freshSeed());
    const weights = QUADRUPED_REWARD_WEIGHTS as Record<string, number>;
    const seen = new Float64Array(quadruped.rewardTerms.length);
    for (let s = 0; s < 150; s++) {
      step(world, envs, (_, a) => { for (let j = 0; j < 12; j++) a[j] = rng.normal(); });
      for (const e of envs) {
        let sum = 0;
        quadruped.rewardTerms.forEach((name, t) => {
          const v = e.out.terms[t]!;
          sum += v;
          seen[t] = seen[t]! + Math.abs(v);
          const w = weights[name] ?? 1; // positive_clip only ever adds
          if (name !== 'feet_air_time') expect(Math.sign(v) * Math.sign(w), name).toBeGreaterThanOrEqual(0);
        });
        expect(e.out.reward).toBeCloseTo(sum, 12);
        expect(e.out.reward).toBeGreaterThanOrEqual(0); // only_positive_rewards with termination weight 0
        if (e.out.terminated) e.task.reset();
      }
    }
    // the shaping terms are live (feet_air_time is (air − 0.5 s) at touch-down: either sign)
    for (const name of ['tracking_lin_vel', 'tracking_ang_vel', 'lin_vel_z', 'ang_vel_xy', 'torques', 'dof_acc', 'action_rate', 'feet_air_time', 'base_height']) {
      expect(seen[term(name)], name).toBeGreaterThan(0);
    }
    // zero-weight terms stay zero
    for (const name of ['orientation', 'termination']) expect(seen[term(name)], name).toBe(0);
  });

  it('runs in the env runner with its randomization defaults', async () => {
    const group = await EnvGroup.create({ task: quadruped, numEnvs: 8, firstEnvIndex: 0, seed: freshSeed(), dr: quadruped.dr });
    try {
      group.buffers.actions.fill(0);
      for (let s = 0; s < 50; s++) group.step();
      expect(group.stats.nonFiniteResets).toBe(0);
      expect(group.buffers.obs.every(Number.isFinite)).toBe(true);
      // the noisy observation of robots standing up from legged_gym's random reset: projected
      // gravity near −1 on average (one robot may still be rolling: tilts up to 1 rad end an episode)
      const gz: number[] = [];
      for (let i = 0; i < 8; i++) {
        if (group.buffers.terminated[i]) continue;
        gz.push(group.buffers.obs[i * 48 + 8]!);
      }
      expect(gz.length).toBeGreaterThan(0);
      expect(gz.reduce((a, b) => a + b, 0) / gz.length, `projected gravity z per env: ${gz.map((g) => g.toFixed(3)).join(', ')}`).toBeLessThan(-0.9);
    } finally {
      group.dispose();
    }
  });
});
