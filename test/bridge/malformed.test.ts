/**
 * Garbage in, nothing out to a motor: malformed frames of every kind and a fuzz loop of random
 * frames each get an error reply or a clean close, never an action, and the bridge keeps
 * serving other clients correctly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, encodeObsFrame, FrameType } from '../../src/bridge/binary.ts';
import type { Deployment } from '../../src/bridge/deploy.ts';
import { MAX_PAYLOAD_BYTES } from '../../src/bridge/protocol.ts';
import { deployCartpole, hello, RawPeer } from './helpers.ts';

let d: Deployment;
beforeAll(async () => {
  d = await deployCartpole();
});
afterAll(async () => {
  await d?.close();
});

/** A well-behaved robot: hello, then one observation; resolves with the action's command. */
async function goodRobotAnswers(): Promise<number> {
  const peer = await RawPeer.open(d.server.url);
  peer.send(hello('json'));
  await peer.takeJson();
  peer.send({ op: 'obs', seq: 1, t_ms: 0, obs: [0.01, 0, -0.02, 0] });
  const a = await peer.takeJson();
  await peer.close();
  expect(a.op).toBe('action');
  return (a.command as number[])[0]!;
}

const actions = (peer: RawPeer) => peer.received.filter((r) => (r.json ? r.json.op === 'action' : r.data[2] === FrameType.action)).length;

describe('malformed frames', () => {
  it('each gets an error naming what is wrong, before and after hello', async () => {
    const peer = await RawPeer.open(d.server.url);
    const before: [string | object | Uint8Array, string][] = [
      ['{"op":', 'bad_json'],
      ['"just a string"', 'bad_json'],
      [{ op: 'obs', seq: 1, t_ms: 0, obs: [0, 0, 0, 0] }, 'no_hello'],
      [{ op: 'teleport' }, 'unknown_op'],
      [{ op: 'publish', topic: '/x', msg: { data: [1, 2] } }, 'rosbridge_disabled'],
      [Uint8Array.from([1, 2, 3]), 'bad_frame'],
      [encodeObsFrame(1, 0, [0, 0, 0, 0]), 'no_hello'],
    ];
    const after: [string | object | Uint8Array, string, string?][] = [
      ['{"op":"obs","seq":1,"t_ms":0,"obs":[0,0,0]}', 'bad_field', 'obs'],
      ['{"op":"obs","seq":2,"t_ms":0,"obs":[0,NaN,0,0]}', 'bad_json'],
      ['{"op":"obs","seq":3,"t_ms":0,"obs":[0,1e309,0,0]}', 'obs_rejected', 'obs[1]'],
      ['{"op":"obs","seq":4,"t_ms":0,"obs":[0,0,-2e4,0]}', 'obs_rejected', 'obs[2]'],
      ['{"op":"obs","seq":5,"t_ms":0,"obs":[0,0,"x",0]}', 'bad_field', 'obs[2]'],
      [encodeObsFrame(6, 0, [0, 0, 0]), 'bad_field', 'obs'],
      [encodeObsFrame(7, 0, [0, NaN, 0, 0]), 'obs_rejected', 'obs[1]'],
      [encodeObsFrame(8, NaN, [0, 0, 0, 0]), 'bad_field', 't_ms'],
      [encodeFrame({ type: FrameType.action, flags: 0, seq: 9, tMs: 0, latencyMs: 0, values: Float32Array.of(1, 1) }), 'bad_frame', 'type'],
      [{ op: 'hello', v: 9, observations: [] }, 'version', 'v'],
    ];
    for (const [frame] of before) peer.send(frame);
    peer.send(hello('json'));
    for (const [frame] of after) peer.send(frame);
    const got = await peer.atLeast(before.length + 1 + after.length);
    const json = got.map((r) => r.json ?? {});
    expect(json.slice(0, before.length).map((m) => m.code)).toEqual(before.map((b) => b[1]));
    expect(json[before.length]!.op).toBe('welcome');
    const tail = json.slice(before.length + 1);
    expect(tail.map((m) => m.code)).toEqual(after.map((a) => a[1]));
    after.forEach(([, , field], i) => {
      if (field) expect(tail[i]!.field).toBe(field);
    });
    expect(actions(peer)).toBe(0);
    await peer.close();
    expect(Number.isFinite(await goodRobotAnswers())).toBe(true);
  });

  it('closes a connection that sends more than the protocol allows (1009) and serves others', async () => {
    const peer = await RawPeer.open(d.server.url);
    peer.send('x'.repeat(MAX_PAYLOAD_BYTES + 1));
    expect(await peer.waitClosed()).toBe(1009);
    expect(actions(peer)).toBe(0);
    expect(Number.isFinite(await goodRobotAnswers())).toBe(true);
  });
});

/** One random frame that is certainly invalid, of a random kind. */
function garbage(seq: number): string | Uint8Array {
  const r = Math.random();
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256));
  if (r < 0.2) {
    const b = bytes(Math.floor(Math.random() * 80));
    if (b.length > 0 && b[0] === 0x53) b[0] = 0;
    return b;
  }
  if (r < 0.35) return String.fromCharCode(...Array.from({ length: Math.floor(Math.random() * 60) }, () => 32 + Math.floor(Math.random() * 95))) + '{';
  if (r < 0.5) {
    const obs = [0, 0, 0, 0];
    obs[Math.floor(Math.random() * 4)] = [NaN, Infinity, -Infinity][Math.floor(Math.random() * 3)]!;
    return encodeObsFrame(seq, 0, obs);
  }
  if (r < 0.6) return encodeObsFrame(seq, 0, Array.from({ length: [0, 1, 3, 5, 40][Math.floor(Math.random() * 5)]! }, Math.random));
  if (r < 0.7) return `{"op":"obs","seq":${seq},"t_ms":0,"obs":[${Math.random() < 0.5 ? '1e400' : '-1e309'},0,0,0]}`;
  if (r < 0.8) return JSON.stringify({ op: ['fly', 'obs', 'hello', 'estop2', ''][Math.floor(Math.random() * 5)], seq: 'x', obs: 'y', v: -1 });
  if (r < 0.9) return JSON.stringify({ op: 'obs', seq, t_ms: 0, obs: Array.from({ length: 4 }, () => [null, 'a', {}, []][Math.floor(Math.random() * 4)]) });
  const frame = encodeObsFrame(seq, 0, [0, 0, 0, 0]);
  frame[2] = 4 + Math.floor(Math.random() * 250); // unknown frame type
  return frame;
}

describe('fuzz', () => {
  it('3000 random invalid frames on 3 connections: one error each, no action, no crash', async () => {
    const peers = await Promise.all([0, 1, 2].map(() => RawPeer.open(d.server.url)));
    for (const p of peers) p.send(hello('binary'));
    const perPeer = 1000;
    for (let i = 0; i < perPeer; i++) for (const p of peers) p.send(garbage(i + 1));
    for (const p of peers) {
      const got = await p.atLeast(perPeer + 1);
      expect(p.closeCode).toBe(null);
      expect(got.length).toBe(perPeer + 1);
      expect(got.slice(1).every((r) => r.json?.op === 'error')).toBe(true);
      expect(actions(p)).toBe(0);
    }
    await Promise.all(peers.map((p) => p.close()));
    expect(Number.isFinite(await goodRobotAnswers())).toBe(true);
    expect(d.server.stats().interventions.rejected_obs).toBeGreaterThan(0);
  });
});
