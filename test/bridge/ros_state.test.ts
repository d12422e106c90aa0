/**
 * Bounded rosbridge state over real WebSockets on loopback: a connection may hold at most
 * `maxSubscriptions` subscriptions (distinct ids), and topic names and ids are limited in
 * length; past a bound the request gets an error status and changes nothing, while the
 * session keeps working (an unsubscribe frees a place).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/bridge/deploy.ts';
import { DEFAULT_ROS_STATE_LIMITS } from '../../src/bridge/ros_state.ts';
import { deployCartpole, RawPeer } from './helpers.ts';

const { maxSubscriptions, maxNameChars } = DEFAULT_ROS_STATE_LIMITS;
const ATTEMPTS = 1000;

let d: Deployment;
beforeAll(async () => {
  d = await deployCartpole({ rosbridge: true, timeoutMs: 600_000 });
});
afterAll(async () => {
  await d?.close();
});

/** Sends a `set_level` the server refuses, and returns every status received up to its answer. */
async function statusesUntilMarker(peer: RawPeer, marker: string): Promise<Record<string, unknown>[]> {
  peer.send({ op: 'set_level', level: 'loud', id: marker });
  const out: Record<string, unknown>[] = [];
  for (;;) {
    const m = await peer.takeJson();
    if (m.id === marker) return out;
    out.push(m);
  }
}

describe('rosbridge state bounds', () => {
  it(`refuses subscriptions past ${maxSubscriptions} per connection, and frees a place on unsubscribe`, async () => {
    const peer = await RawPeer.open(d.server.url);
    for (let i = 0; i < ATTEMPTS; i++) peer.send({ op: 'subscribe', topic: '/joint_commands', type: 'std_msgs/Float64MultiArray', id: `sub:${i}` });
    const refused = await statusesUntilMarker(peer, 'm1');
    expect(refused.length).toBe(ATTEMPTS - maxSubscriptions);
    expect(refused[0]).toMatchObject({ op: 'status', level: 'error', id: `sub:${maxSubscriptions}` });
    expect(String(refused[0]!.msg)).toMatch(/subscription refused.*at most 32/);
    // the same id again is no new subscription; a freed place takes one new id, and only one
    peer.send({ op: 'subscribe', topic: '/joint_commands', id: 'sub:0' });
    peer.send({ op: 'unsubscribe', topic: '/joint_commands', id: 'sub:1' });
    peer.send({ op: 'subscribe', topic: '/joint_commands', id: 'new:1' });
    peer.send({ op: 'subscribe', topic: '/joint_commands', id: 'new:2' });
    const after = await statusesUntilMarker(peer, 'm2');
    expect(after.map((m) => m.id)).toEqual(['new:2']);
    await peer.close();
  });

  it(`refuses topic names and ids longer than ${maxNameChars} characters without echoing them`, async () => {
    const peer = await RawPeer.open(d.server.url);
    const long = '/' + 'x'.repeat(maxNameChars);
    peer.send({ op: 'subscribe', topic: long, id: 'a' });
    peer.send({ op: 'advertise', topic: long, type: 'sensor_msgs/Imu', id: 'b' });
    peer.send({ op: 'subscribe', topic: '/joint_commands', id: 'i'.repeat(maxNameChars + 1) });
    const got = await statusesUntilMarker(peer, 'm');
    expect(got.map((m) => m.id)).toEqual(['a', 'b', undefined]);
    expect(got.map((m) => String(m.msg))).toEqual([
      `topic is ${long.length} characters long; at most ${maxNameChars} are accepted`,
      `topic is ${long.length} characters long; at most ${maxNameChars} are accepted`,
      `id is ${maxNameChars + 1} characters long; at most ${maxNameChars} are accepted`,
    ]);
    for (const m of got) expect(JSON.stringify(m).length).toBeLessThan(maxNameChars);
    await peer.close();
  });
});
