import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, PartsCollector, splitParts } from '../../src/cluster/frame.ts';
import { decodeState, encodeState } from '../../src/cluster/state_codec.ts';

const bits = (a: Float32Array | Float64Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

describe('cluster frames', () => {
  it('carry a header and typed arrays bit for bit: NaN, -0 and float32 values included', () => {
    const obs = Float32Array.from({ length: 37 }, () => Math.fround((Math.random() - 0.5) * 1e3));
    obs[3] = -0;
    obs[5] = NaN;
    const f64 = Float64Array.of(-0, Infinity, Math.random());
    const flags = Uint8Array.of(0, 1, 1, 0);
    const lens = Int32Array.of(-7, 2 ** 31 - 1);
    const f = decodeFrame<{ seq: number; groups: number[] }>(encodeFrame({ seq: 12, groups: [1, 3] }, { obs, f64, flags, lens }));
    expect(f.header).toEqual({ seq: 12, groups: [1, 3] });
    expect(bits(f.arrays.obs as Float32Array)).toEqual(bits(obs));
    expect(bits(f.arrays.f64 as Float64Array)).toEqual(bits(f64));
    expect(Array.from(f.arrays.flags as Uint8Array)).toEqual([0, 1, 1, 0]);
    expect(f.arrays.lens).toBeInstanceOf(Int32Array);
    expect(Array.from(f.arrays.lens as Int32Array)).toEqual([-7, 2 ** 31 - 1]);
  });

  it('refuse damaged or foreign bytes by name', () => {
    const good = encodeFrame({ a: 1 }, { x: new Float32Array(8) });
    expect(() => decodeFrame(good.subarray(0, good.length - 8))).toThrow(/array "x" .* runs past/);
    expect(() => decodeFrame(new TextEncoder().encode('{"a":1}   '))).toThrow(/bad magic/);
    expect(() => decodeFrame(new Uint8Array(3))).toThrow(/too short/);
    const bad = good.slice();
    bad[4] = 255;
    expect(() => decodeFrame(bad)).toThrow(/runs past|not JSON/);
  });

  it('split a message above the payload limit into parts that come back whole in any order, again when resent', () => {
    const message = Uint8Array.from({ length: 50_000 }, () => Math.floor(Math.random() * 256));
    const parts = splitParts('h:7', message, 4096);
    expect(parts.length).toBeGreaterThan(10);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    const c = new PartsCollector();
    const shuffled = [...parts].sort(() => Math.random() - 0.5);
    const outs = shuffled.map((p) => c.add(p));
    expect(outs.slice(0, -1).every((o) => o === null)).toBe(true);
    expect(outs.at(-1)?.message).toEqual(message);
    // a duplicate part of an open message changes nothing; a resent message comes out again
    expect(c.add(parts[0]!)).toBeNull();
    for (const p of parts.slice(1, -1)) expect(c.add(p)).toBeNull();
    expect(c.add(parts.at(-1)!)?.message).toEqual(message);
  });
});

describe('env group states through the object store', () => {
  it('come back exactly: nested objects, typed arrays, NaN, ±Infinity and -0 in plain fields', () => {
    const state = {
      format: 'sim2real.env_state', version: 1, physicsSteps: 1234, odd: [NaN, -0, Infinity, -Infinity, 0.1 + 0.2],
      physics: Uint8Array.from({ length: 100 }, (_, i) => i), runner: { rng: Int32Array.of(1, -2, 3, 4), ret: Float64Array.of(Math.random(), -0) },
      robots: [{ q: Float32Array.of(Math.random()), name: 'a' }, null],
    };
    const back = decodeState(encodeState(state)) as typeof state;
    expect(back.physicsSteps).toBe(1234);
    expect(Object.is(back.odd[1], -0)).toBe(true);
    expect(back.odd[0]).toBeNaN();
    expect(back.odd.slice(2)).toEqual([Infinity, -Infinity, 0.1 + 0.2]);
    expect(Array.from(back.physics)).toEqual(Array.from(state.physics));
    expect(back.runner.rng).toBeInstanceOf(Int32Array);
    expect(bits(back.runner.ret)).toEqual(bits(state.runner.ret));
    expect(back.robots[1]).toBeNull();
    expect(bits(back.robots[0]!.q)).toEqual(bits(state.robots[0]!.q));
  });

  it('refuse what is not plain data', () => {
    expect(() => encodeState({ f: () => 1 })).toThrow(/state.f: function/);
    expect(() => encodeState({ d: new Date() })).toThrow(/state.d: object/);
  });
});
