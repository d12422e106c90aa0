/** The protocol codecs on their own: every client message decoded, errors naming the field, binary frames round-tripping. */
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, encodeObsFrame, FrameType, HEADER_BYTES } from '../../src/bridge/binary.ts';
import { decodeClientMessage, encodeClientMessage, parseJsonFrame, ProtocolError } from '../../src/bridge/protocol.ts';

const decode = (text: string, obsDim = 4) => decodeClientMessage(parseJsonFrame(text), obsDim);
const fault = (f: () => unknown): ProtocolError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('expected a ProtocolError');
};

describe('JSON messages', () => {
  it('decodes every client message type and round-trips through encodeClientMessage', () => {
    const obs = Float32Array.from({ length: 4 }, () => Math.random() - 0.5);
    const msgs = [
      { op: 'hello', v: 1, client: 'r1', observations: ['a', 'b'], encoding: 'binary' },
      { op: 'obs', seq: 7, t_ms: 123.5, obs },
      { op: 'estop', reason: 'button' },
      { op: 'reset' },
      { op: 'status' },
    ] as const;
    for (const m of msgs) {
      const back = decode(encodeClientMessage(m as never));
      expect(back.op).toBe(m.op);
      if (back.op === 'obs') {
        expect(Array.from(back.obs)).toEqual(Array.from(obs));
        expect(back.seq).toBe(7);
        expect(back.t_ms).toBe(123.5);
      } else expect(back).toEqual(m);
    }
  });

  it('names the field at fault', () => {
    expect(fault(() => decode('{"op":')).code).toBe('bad_json');
    expect(fault(() => decode('[1,2]')).code).toBe('bad_json');
    expect(fault(() => decode('{"op":3}')).field).toBe('op');
    expect(fault(() => decode('{"op":"fly"}')).code).toBe('unknown_op');
    expect(fault(() => decode('{"op":"hello","v":2,"observations":[]}')).field).toBe('v');
    expect(fault(() => decode('{"op":"hello","v":1,"observations":"x"}')).field).toBe('observations');
    expect(fault(() => decode('{"op":"hello","v":1,"observations":[],"encoding":"xml"}')).field).toBe('encoding');
    expect(fault(() => decode('{"op":"obs","seq":-1,"t_ms":0,"obs":[0,0,0,0]}')).field).toBe('seq');
    expect(fault(() => decode('{"op":"obs","seq":1.5,"t_ms":0,"obs":[0,0,0,0]}')).field).toBe('seq');
    expect(fault(() => decode('{"op":"obs","seq":1,"obs":[0,0,0,0]}')).field).toBe('t_ms');
    const dims = fault(() => decode('{"op":"obs","seq":1,"t_ms":0,"obs":[0,0,0]}'));
    expect([dims.field, dims.seq]).toEqual(['obs', 1]);
    expect(dims.message).toMatch(/3 numbers, the policy takes 4/);
    expect(fault(() => decode('{"op":"obs","seq":1,"t_ms":0,"obs":[0,null,0,0]}')).field).toBe('obs[1]');
    expect(fault(() => decode('{"op":"obs","seq":1,"t_ms":0,"obs":[0,0,"x",0]}')).field).toBe('obs[2]');
  });

  it('leaves non-finite numbers (1e309 parses as Infinity) to the safety layer', () => {
    const m = decode('{"op":"obs","seq":1,"t_ms":0,"obs":[0,1e309,0,0]}');
    expect(m.op === 'obs' && m.obs[1]).toBe(Infinity);
  });
});

describe('binary frames', () => {
  it('round-trips observation, action and safe frames', () => {
    const values = Float32Array.from({ length: 9 }, () => 100 * (Math.random() - 0.5));
    for (const type of [FrameType.obs, FrameType.action, FrameType.safe]) {
      const f = { type, flags: type === FrameType.action ? 1 : 0, seq: Math.floor(Math.random() * 2 ** 32), tMs: Math.random() * 1e6, latencyMs: Math.fround(Math.random()), values };
      const bytes = encodeFrame(f);
      expect(bytes.byteLength).toBe(HEADER_BYTES + 4 * values.length);
      expect(decodeFrame(bytes)).toEqual(f);
    }
    const obs = decodeFrame(encodeObsFrame(3, 1.25, [1, 2, 3, 4]));
    expect([obs.type, obs.seq, obs.tMs, Array.from(obs.values)]).toEqual([FrameType.obs, 3, 1.25, [1, 2, 3, 4]]);
  });

  it('rejects short frames, wrong magic, version, type and value counts', () => {
    const good = encodeObsFrame(1, 0, [0, 0, 0, 0]);
    const mutate = (i: number, v: number) => {
      const b = good.slice();
      b[i] = v;
      return b;
    };
    expect(fault(() => decodeFrame(good.subarray(0, 10))).field).toBe('header');
    expect(fault(() => decodeFrame(mutate(0, 0x00))).field).toBe('magic');
    expect(fault(() => decodeFrame(mutate(1, 9))).code).toBe('version');
    expect(fault(() => decodeFrame(mutate(2, 77))).field).toBe('type');
    expect(fault(() => decodeFrame(mutate(20, 5))).field).toBe('count');
    expect(fault(() => decodeFrame(good.subarray(0, good.length - 2))).field).toBe('count');
  });
});
