/**
 * rosbridge v2 compatibility, with the real roslib client: a JointState published on the
 * observation topic comes back as a Float64MultiArray command, e-stop works over a Bool topic,
 * and bad rosbridge ops get error statuses without disturbing the session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/bridge/deploy.ts';
import { conventionalSource, projectedGravity } from '../../src/bridge/ros_msgs.ts';
import { deployCartpole, RawPeer } from './helpers.ts';
import { jointState, queue, Ros, Topic } from './roslib_helpers.ts';

let d: Deployment;
beforeAll(async () => {
  // a long watchdog: this test checks messages, not timing
  d = await deployCartpole({ rosbridge: true, timeoutMs: 600_000 });
});
afterAll(async () => {
  await d?.close();
});

describe('rosbridge with roslib', () => {
  it('JointState in, Float64MultiArray motor command out; e-stop latches the damping command until reset', async () => {
    const ros = new Ros({ url: d.server.url });
    await new Promise<void>((resolve, reject) => {
      ros.on('connection', () => resolve());
      ros.on('error', reject);
    });
    const commands = queue<{ data: number[] }>();
    const cmd = new Topic<{ data: number[] }>({ ros, name: '/joint_commands', messageType: 'std_msgs/Float64MultiArray' });
    cmd.subscribe((m) => commands.push(m));
    const states = new Topic({ ros, name: '/joint_states', messageType: 'sensor_msgs/JointState' });
    const estop = new Topic({ ros, name: '/sim2real/estop', messageType: 'std_msgs/Bool' });

    for (let i = 0; i < 5; i++) {
      const s = [0.4 * (Math.random() - 0.5), 0.4 * (Math.random() - 0.5), 0.1 * (Math.random() - 0.5), 0.4 * (Math.random() - 0.5)] as const;
      states.publish(jointState(...s));
      const got = await commands.next();
      const raw = (await d.policy.run(Float32Array.from(s)))[0]!;
      expect(got.data).toHaveLength(1);
      expect(got.data[0]).toBeCloseTo(10 * Math.max(-1, Math.min(1, raw)), 4);
    }

    states.publish(jointState(0, 0.3, 0, 0));
    await commands.next();
    estop.publish({ data: true });
    expect((await commands.next()).data[0]).toBeCloseTo(-5 * 0.3, 9); // damping: −kd · slider velocity
    states.publish(jointState(0, -0.2, 0.05, 0));
    expect((await commands.next()).data[0]).toBeCloseTo(-5 * -0.2, 6); // still e-stopped
    estop.publish({ data: false });
    const s = [0.05, -0.2, 0.05, 0.1] as const;
    states.publish(jointState(...s));
    const raw = (await d.policy.run(Float32Array.from(s)))[0]!;
    expect((await commands.next()).data[0]).toBeCloseTo(10 * Math.max(-1, Math.min(1, raw)), 4);
    expect(d.server.stats().interventions.estops).toBeGreaterThanOrEqual(1);
    cmd.unsubscribe();
    ros.close();
  });
});

describe('rosbridge errors', () => {
  it('answers bad ops with error statuses naming the problem, and keeps the session working', async () => {
    const peer = await RawPeer.open(d.server.url);
    peer.send({ op: 'subscribe', id: 's1', topic: '/joint_commands', type: 'std_msgs/Float64MultiArray' });
    const bad = [
      [{ op: 'advertise', id: 'a1', topic: '/x', type: 'std_msgs/String' }, /not an input/],
      [{ op: 'advertise', id: 'a2', topic: '/joint_states', type: 'std_msgs/String' }, /takes sensor_msgs\/JointState/],
      [{ op: 'publish', id: 'p1', topic: '/imu', msg: {} }, /before advertise/],
      [{ op: 'subscribe', id: 's2', topic: '/secret' }, /not published/],
      [{ op: 'call_service', id: 'c1', service: '/rosapi/topics' }, /not supported/],
      [{ op: 'hello', v: 1, observations: [] }, /no_hello|not supported|unknown/],
    ] as const;
    for (const [m] of bad) peer.send(m);
    peer.send({ op: 'advertise', id: 'a3', topic: '/joint_states', type: 'sensor_msgs/JointState' });
    peer.send({ op: 'publish', id: 'p2', topic: '/joint_states', msg: { name: ['slider'], position: [0], velocity: [0] } });
    peer.send({ op: 'publish', id: 'p3', topic: '/joint_states', msg: jointState(0, NaN, 0, 0) });
    peer.send({ op: 'publish', id: 'p4', topic: '/joint_states', msg: jointState(0.01, 0, 0.01, 0) });
    const got = await peer.atLeast(bad.length + 3);
    bad.forEach(([, re], i) => {
      expect(got[i]!.json).toMatchObject({ op: 'status', level: 'error' });
      expect(String(got[i]!.json!.msg)).toMatch(re);
    });
    expect(String(got[bad.length]!.json!.msg)).toMatch(/no joint hinge/);
    expect(String(got[bad.length + 1]!.json!.msg)).toMatch(/msg\.velocity\[1\] must be a number/); // NaN becomes null in JSON
    expect(got[bad.length + 2]!.json).toMatchObject({ op: 'publish', topic: '/joint_commands' });
    await peer.close();
  });

  it('maps legged_gym observation names and projects gravity like legged_gym', () => {
    expect(conventionalSource('FL_hip_joint_pos')).toBe('position_offset[FL_hip_joint]');
    expect(conventionalSource('FL_hip_joint_vel')).toBe('velocity[FL_hip_joint]');
    expect(conventionalSource('FL_hip_joint_last_action')).toBe('last_action[FL_hip_joint]');
    expect(conventionalSource('projected_gravity_z')).toBe('imu.projected_gravity.z');
    expect(conventionalSource('base_lin_vel_x')).toBe('base_velocity.linear.x');
    expect(conventionalSource('command_yaw_rate')).toBe('cmd_vel.angular.z');
    expect(conventionalSource('pole_angvel')).toBe(null);
    const g = projectedGravity({ x: 0, y: 0, z: 0, w: 1 });
    expect(g.map((v) => v + 0)).toEqual([0, 0, -1]);
    const a = Math.random() * 0.5; // pitch by a about y: gravity leans toward +x in the body frame
    const [gx, gy, gz] = projectedGravity({ x: 0, y: Math.sin(a / 2), z: 0, w: Math.cos(a / 2) });
    expect(gx).toBeCloseTo(Math.sin(a), 9);
    expect(gy).toBeCloseTo(0, 9);
    expect(gz).toBeCloseTo(-Math.cos(a), 9);
  });
});
