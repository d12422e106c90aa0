/**
 * The inference scheduler with a policy whose runs finish when the test says: runs start
 * round-robin over the lanes with work (one per lane per turn) within the concurrency cap, so a
 * lane with many queued observations delays another's by at most one run; a closed lane's
 * queue is rejected and the others go on.
 */
import { describe, expect, it } from 'vitest';
import type { BridgePolicy } from '../../src/bridge/control.ts';
import { InferenceScheduler } from '../../src/bridge/scheduler.ts';
import type { PolicyContract } from '../../src/onnx/metadata.ts';

/** A policy that records each run's first number and finishes runs one at a time on `finish()`. */
function manualPolicy() {
  const started: number[] = [];
  const open: (() => void)[] = [];
  const policy: BridgePolicy = {
    contract: {} as PolicyContract,
    run: (obs) => {
      started.push(obs[0]!);
      return new Promise((resolve) => open.push(() => resolve(Float32Array.of(obs[0]! * 2))));
    },
  };
  const finish = async () => {
    open.shift()!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { policy, started, open, finish };
}

describe('InferenceScheduler', () => {
  it('starts runs round-robin over the lanes with work, within the cap', async () => {
    const m = manualPolicy();
    const s = new InferenceScheduler(m.policy, 1);
    const [a, b, c] = [s.lane(), s.lane(), s.lane()];
    const results = [
      ...[11, 12, 13, 14, 15].map((x) => a.run(Float32Array.of(x))),
      ...[21, 22].map((x) => b.run(Float32Array.of(x))),
      c.run(Float32Array.of(31)),
    ];
    expect(m.started).toEqual([11]);
    while (m.open.length > 0) await m.finish();
    expect(m.started).toEqual([11, 12, 21, 31, 13, 22, 14, 15]);
    expect((await Promise.all(results)).map((y) => y?.[0])).toEqual([22, 24, 26, 28, 30, 42, 44, 62]);
    expect(s.runs).toBe(8);
  });

  it('runs up to the cap at once and rejects what a closed lane still had queued', async () => {
    const m = manualPolicy();
    const s = new InferenceScheduler(m.policy, 2);
    const [a, b] = [s.lane(), s.lane()];
    const queued = [1, 2, 3].map((x) => a.run(Float32Array.of(x)));
    const other = b.run(Float32Array.of(9));
    expect(m.started).toEqual([1, 2]);
    a.close();
    await expect(queued[2]!).rejects.toThrow('connection closed');
    await expect(a.run(Float32Array.of(4))).rejects.toThrow('connection closed');
    while (m.open.length > 0) await m.finish();
    expect(m.started).toEqual([1, 2, 9]);
    expect((await other)?.[0]).toBe(18);
    expect((await queued[0]!)?.[0]).toBe(2);
  });
});
