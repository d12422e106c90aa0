/** The safety layer with a fake clock: observation checks, command limits, watchdog and e-stop, every intervention counted. */
import { describe, expect, it } from 'vitest';
import { SafetyLayer, type SafetyLimits } from '../../src/bridge/safety.ts';
import { safetyLimitsFor, commandsFromOutput } from '../../src/bridge/limits.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';

/** A clock the test moves by hand. */
function fakeClock() {
  const c = { now: 1000, fn: () => c.now };
  return c;
}

const limits = (over: Partial<SafetyLimits> = {}): SafetyLimits => ({
  lower: [-1, -2], upper: [1, 2], maxStep: [0.5, 10], maxAbsObservation: 100, timeoutMs: 60,
  safe: { type: 'hold_default', kd: 1, command: [0.1, -0.2] }, ...over,
});

describe('SafetyLayer', () => {
  it('rejects non-finite, out-of-range and stale observations and counts each', () => {
    const clock = fakeClock();
    const s = new SafetyLayer(limits(), clock.fn);
    expect(s.checkObservation([1, NaN], 0)).toEqual({ ok: false, reason: 'non_finite', index: 1 });
    expect(s.checkObservation([Infinity, 0], 1).reason).toBe('non_finite');
    expect(s.checkObservation([0, -100.5], 2)).toEqual({ ok: false, reason: 'out_of_range', index: 1 });
    expect(s.state).toBe('idle');
    expect(s.checkObservation([0, 99], 5).ok).toBe(true);
    expect(s.state).toBe('running');
    expect(s.checkObservation([0, 0], 5).reason).toBe('stale');
    expect(s.checkObservation([0, 0], 4).reason).toBe('stale');
    expect(s.counters.rejected_obs).toBe(3);
    expect(s.counters.stale_obs).toBe(2);
  });

  it('clamps commands to the limits and rate-limits changes, starting from the safe command after a reset', () => {
    const s = new SafetyLayer(limits(), fakeClock().fn);
    const first = [5, -7];
    expect(s.limitCommand(first).limited).toBe(true);
    expect(first).toEqual([1, -2]);
    const jump = [-1, 2];
    s.limitCommand(jump);
    expect(jump).toEqual([0.5, 2]); // joint 0 may move 0.5 per step
    const nan = [NaN, 0];
    s.limitCommand(nan);
    expect(nan[0]).toBeCloseTo(0.1, 12); // the safe command's value, within one step of 0.5
    expect(s.counters.clamped_commands).toBe(2);
    expect(s.counters.rate_limited_commands).toBe(1);
    expect(s.safeCommand()).toEqual([0.1, -0.2]);
    const after = [1, 1];
    s.limitCommand(after);
    expect(after).toEqual([0.6, 1]);
    const inside = [0.3, -0.5];
    expect(s.limitCommand(inside).limited).toBe(false);
    expect(inside).toEqual([0.3, -0.5]);
  });

  it('trips the watchdog once per silence, after the timeout and not before, and recovers on a valid observation', () => {
    const clock = fakeClock();
    const s = new SafetyLayer(limits(), clock.fn);
    expect(s.tick()).toBe(false); // idle: nothing to guard
    s.checkObservation([0, 0], 0);
    clock.now += 60;
    expect(s.tick()).toBe(false);
    clock.now += 1;
    expect(s.tick()).toBe(true);
    expect(s.state).toBe('watchdog');
    expect(s.mayAct()).toBe(false);
    clock.now += 1000;
    expect(s.tick()).toBe(false);
    s.checkObservation([0, 1e6], 1); // an invalid observation does not feed the watchdog
    expect(s.state).toBe('watchdog');
    s.checkObservation([0, 0], 2);
    expect(s.state).toBe('running');
    expect(s.counters.watchdog_trips).toBe(1);
  });

  it('latches the e-stop through valid observations until reset', () => {
    const clock = fakeClock();
    const s = new SafetyLayer(limits(), clock.fn);
    s.checkObservation([0, 0], 0);
    s.estop();
    s.estop();
    for (let i = 1; i < 5; i++) {
      expect(s.checkObservation([0, 0], i).ok).toBe(true);
      expect(s.mayAct()).toBe(false);
    }
    clock.now += 1e4;
    expect(s.tick()).toBe(false); // the e-stop already holds the safe command
    s.reset();
    expect(s.state).toBe('idle');
    expect(s.mayAct()).toBe(false);
    s.checkObservation([0, 0], 9);
    expect(s.mayAct()).toBe(true);
    expect(s.counters.estops).toBe(1);
  });
});

describe('limits from the robot description', () => {
  it('cartpole: ±10 N from the URDF effort limit, never biting a policy command', async () => {
    const policy = await OnnxPolicy.load('policies/cartpole.onnx');
    try {
      const spec = loadRobotSpec('cartpole');
      const lim = safetyLimitsFor(policy.contract, spec, loadUrdf(spec.urdfPath));
      expect(lim.lower).toEqual([-10]);
      expect(lim.upper).toEqual([10]);
      expect(lim.timeoutMs).toBeCloseTo(60, 9);
      expect(lim.safe).toEqual({ type: 'damping', kd: 5, command: [0] });
      const s = new SafetyLayer(lim, () => 0);
      // any raw action, including ones far outside ±clip, in any order
      for (let i = 0; i < 200; i++) {
        const raw = Float32Array.of(8 * (Math.random() - 0.5));
        const { command } = commandsFromOutput(policy.contract, raw);
        const before = command[0];
        expect(s.limitCommand(command).limited).toBe(false);
        expect(command[0]).toBe(before);
      }
    } finally {
      await policy.dispose();
    }
  });

  it('quadruped: URDF position limits, velocity-derived steps, hold-default safe command', () => {
    const spec = loadRobotSpec('quadruped');
    const contract = {
      robot: 'quadruped', jointOrder: spec.joints.map((j) => j.name), controlMode: 'position', actionClip: 100,
      actionOffsets: spec.joints.map((j) => j.default_pos), actions: spec.joints.map(() => ({ name: 'a', unit: 'rad', scale: 0.25 })),
    } as unknown as Parameters<typeof safetyLimitsFor>[0];
    const lim = safetyLimitsFor(contract, spec, loadUrdf(spec.urdfPath));
    expect(lim.lower.slice(0, 3)).toEqual([-0.8, -1, -2.7]);
    expect(lim.upper.slice(0, 3)).toEqual([0.8, 4.2, -0.9]);
    expect(lim.maxStep[0]).toBeCloseTo(21 * 0.02 * 4, 9);
    expect(lim.safe.command).toEqual(spec.joints.map((j) => j.default_pos));
  });
});
