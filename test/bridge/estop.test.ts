/**
 * The process-wide e-stop over real WebSockets on loopback: an e-stop from any connection —
 * native or rosbridge (roslib) — stops every robot session of the bridge, survives the
 * controller's reconnect, is reported by `status` (who, when, why), and only an explicit reset
 * by a client that said hello (native) or publishes on the e-stop topic (rosbridge) restores
 * actions. Every wait is on a message, never on time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/bridge/deploy.ts';
import { deployCartpole, hello, RawPeer } from './helpers.ts';
import { connectRos, jointState, queue, topic, type RosLike } from './roslib_helpers.ts';

let d: Deployment | null = null;
const opened: (RawPeer | RosLike)[] = [];
afterEach(async () => {
  for (const p of opened.splice(0)) {
    if (p instanceof RawPeer) await p.close();
    else p.close();
  }
  await d?.close();
  d = null;
});

/** A fresh bridge per test (the latch is the server's); a long watchdog: these tests check messages, not timing. */
async function deploy(rosbridge = false): Promise<Deployment> {
  d = await deployCartpole({ rosbridge, timeoutMs: 600_000 });
  return d;
}

/** A native peer past hello (the welcome taken); its `session` is the connection id. */
async function controller(url: string): Promise<{ peer: RawPeer; session: string }> {
  const peer = await RawPeer.open(url);
  opened.push(peer);
  peer.send(hello('json'));
  const w = await peer.takeJson();
  expect(w.op).toBe('welcome');
  return { peer, session: String(w.session) };
}

const randomObs = () => Array.from({ length: 4 }, () => 0.2 * (Math.random() - 0.5));
let seq = 0;
/** Sends one observation and returns the reply to it, with the unsolicited messages that came before it. */
async function answer(peer: RawPeer): Promise<{ reply: Record<string, unknown>; before: Record<string, unknown>[] }> {
  const mine = ++seq;
  peer.send({ op: 'obs', seq: mine, t_ms: mine, obs: randomObs() });
  const before: Record<string, unknown>[] = [];
  for (;;) {
    const m = await peer.takeJson();
    if ((m.op === 'action' || m.op === 'safe' || m.op === 'error') && m.seq === mine) return { reply: m, before };
    before.push(m);
  }
}
/** Sends one observation and returns the reply to it. */
async function step(peer: RawPeer): Promise<Record<string, unknown>> {
  return (await answer(peer)).reply;
}

describe('process-wide e-stop, native', () => {
  it('an e-stop from a second connection stops the controlling one at once, and status says who, when and why', async () => {
    const { server } = await deploy();
    const a = await controller(server.url);
    expect((await step(a.peer)).op).toBe('action');

    const b = await controller(server.url);
    const before = Date.now();
    b.peer.send({ op: 'estop', reason: 'operator button' });
    expect(await b.peer.takeJson()).toMatchObject({ op: 'safe', seq: -1, reason: 'estop' });
    expect(await b.peer.takeJson()).toMatchObject({ op: 'status', state: 'estopped' });

    // every observation of the controller gets the safe command, and it was told so unsolicited before
    const { reply, before: told } = await answer(a.peer);
    expect(reply).toMatchObject({ op: 'safe', reason: 'estop', command: [0], mode: 'damping', kd: 5 });
    expect(told[0]).toMatchObject({ op: 'safe', seq: -1, reason: 'estop', command: [0] });
    const status = told[1] ?? {};
    expect(status).toMatchObject({ op: 'status', state: 'estopped', estop: { by: { connection: b.session, protocol: 'native' }, reason: 'operator button' } });
    const estop = status.estop as { at: string; by: { peer: string } };
    expect(estop.by.peer).toMatch(/^(::ffff:)?127\.0\.0\.1:\d+$/);
    expect(Date.parse(estop.at)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(estop.at)).toBeLessThanOrEqual(Date.now() + 1000);
    for (let i = 0; i < 3; i++) expect(await step(a.peer)).toMatchObject({ op: 'safe', reason: 'estop', seq });
    expect(server.stats().estop).toMatchObject({ reason: 'operator button' });
    expect(server.stats().interventions.estops).toBe(1); // counted once, on the connection that sent it
  });

  it('reconnecting does not clear it; a reset by a client that said hello does', async () => {
    const { server } = await deploy();
    const a = await controller(server.url);
    expect((await step(a.peer)).op).toBe('action');
    const b = await controller(server.url);
    b.peer.send({ op: 'estop' });
    await b.peer.takeJson();
    await b.peer.takeJson();

    await a.peer.close();
    const a2 = await controller(server.url);
    for (let i = 0; i < 3; i++) expect(await step(a2.peer)).toMatchObject({ op: 'safe', reason: 'estop' });
    a2.peer.send({ op: 'status' });
    expect(await a2.peer.takeJson()).toMatchObject({ state: 'estopped', estop: { by: { connection: b.session } } });

    // a reset needs hello: a connection that has not said it is refused and the latch holds
    const stranger = await RawPeer.open(server.url);
    opened.push(stranger);
    stranger.send({ op: 'reset' });
    expect(await stranger.takeJson()).toMatchObject({ op: 'error', code: 'no_hello' });
    expect(await step(a2.peer)).toMatchObject({ op: 'safe', reason: 'estop' });

    b.peer.send({ op: 'reset' });
    expect(await b.peer.takeJson()).toMatchObject({ op: 'status', state: 'idle', estop: null });
    expect((await step(a2.peer)).op).toBe('action');
    expect(server.stats().estop).toBeNull();
  });

  it('a second e-stop keeps the first one\'s record; the log says who latched it, when, why, and who reset it', async () => {
    const lines: string[] = [];
    d = await deployCartpole({ timeoutMs: 600_000, log: (l) => lines.push(l) });
    const b = await controller(d.server.url);
    const c = await controller(d.server.url);
    b.peer.send({ op: 'estop', reason: 'first' });
    await b.peer.takeJson();
    await b.peer.takeJson();
    c.peer.send({ op: 'estop', reason: 'second' });
    const told = [await c.peer.takeJson(), await c.peer.takeJson(), await c.peer.takeJson(), await c.peer.takeJson()];
    expect(told.at(-1)).toMatchObject({ op: 'status', estop: { by: { connection: b.session }, reason: 'first' } });
    expect(lines.filter((l) => l.startsWith('E-STOP: '))).toEqual([expect.stringMatching(new RegExp(`^E-STOP: e-stop latched at \\S+Z by native connection ${b.session.slice(0, 8)} from \\S+: first; every session`))]);
    c.peer.send({ op: 'reset' });
    await c.peer.takeJson();
    expect(lines.some((l) => l.startsWith(`e-stop reset by native connection ${c.session.slice(0, 8)}`) && l.includes('first'))).toBe(true);
  });

  it('an e-stop is obeyed before hello (any admitted connection may stop the robot)', async () => {
    const { server } = await deploy();
    const a = await controller(server.url);
    expect((await step(a.peer)).op).toBe('action');
    const panel = await RawPeer.open(server.url);
    opened.push(panel);
    panel.send({ op: 'estop', reason: 'panel' });
    expect(await panel.takeJson()).toMatchObject({ op: 'safe', reason: 'estop' });
    const { reply, before } = await answer(a.peer);
    expect(reply).toMatchObject({ op: 'safe', reason: 'estop' });
    expect(before[0]).toMatchObject({ op: 'safe', seq: -1, reason: 'estop' });
  });
});

describe('process-wide e-stop across protocols', () => {
  it('/sim2real/estop true from a rosbridge connection stops a native controller; false resets it', async () => {
    const { server } = await deploy(true);
    const a = await controller(server.url);
    expect((await step(a.peer)).op).toBe('action');

    const ros = await connectRos(server.url);
    opened.push(ros);
    const estop = topic(ros, '/sim2real/estop', 'std_msgs/Bool');
    const commands = queue<{ data: number[] }>();
    topic<{ data: number[] }>(ros, '/joint_commands', 'std_msgs/Float64MultiArray').subscribe((m) => commands.push(m));
    const states = topic(ros, '/joint_states', 'sensor_msgs/JointState');
    // nothing answers a publish: a JointState after it on the same connection shows it was handled
    estop.publish({ data: true });
    states.publish(jointState(0, 0.2, 0.01, 0));
    expect((await commands.next()).data).toEqual([0]); // its own safe command, unsolicited (no velocity known yet)
    expect((await commands.next()).data[0]).toBeCloseTo(-5 * 0.2, 6); // damping, answering the JointState

    const { reply, before } = await answer(a.peer);
    expect(reply).toMatchObject({ op: 'safe', reason: 'estop' });
    expect(before[0]).toMatchObject({ op: 'safe', seq: -1, reason: 'estop' });
    expect(before[1]).toMatchObject({ op: 'status', state: 'estopped', estop: { by: { protocol: 'rosbridge' }, reason: 'std_msgs/Bool true on /sim2real/estop' } });
    for (let i = 0; i < 3; i++) expect(await step(a.peer)).toMatchObject({ op: 'safe', reason: 'estop' });

    estop.publish({ data: false });
    states.publish(jointState(0, 0, 0.01, 0));
    await commands.next();
    expect((await step(a.peer)).op).toBe('action');
  });

  it('an e-stop from a native connection stops a roslib controller until a native reset', async () => {
    const { server, policy } = await deploy(true);
    const ros = await connectRos(server.url);
    opened.push(ros);
    const commands = queue<{ data: number[] }>();
    topic<{ data: number[] }>(ros, '/joint_commands', 'std_msgs/Float64MultiArray').subscribe((m) => commands.push(m));
    const states = topic(ros, '/joint_states', 'sensor_msgs/JointState');
    const policyCommand = async (s: number[]) => 10 * Math.max(-1, Math.min(1, (await policy.run(Float32Array.from(s)))[0]!));

    const s0 = [0.1 * (Math.random() - 0.5), 0.3 + 0.1 * Math.random(), 0.05 * (Math.random() - 0.5), 0.1 * (Math.random() - 0.5)];
    states.publish(jointState(s0[0]!, s0[1]!, s0[2]!, s0[3]!));
    expect((await commands.next()).data[0]).toBeCloseTo(await policyCommand(s0), 4);

    const b = await controller(server.url);
    b.peer.send({ op: 'estop', reason: 'native stop' });
    await b.peer.takeJson();
    await b.peer.takeJson();
    const s1 = [0, -0.3 - 0.1 * Math.random(), 0.02, 0];
    const policy1 = await policyCommand(s1);
    expect(Math.min(Math.abs(policy1 + 5 * s1[1]!), Math.abs(policy1 + 5 * s0[1]!))).toBeGreaterThan(1e-3); // the answers differ
    states.publish(jointState(s1[0]!, s1[1]!, s1[2]!, s1[3]!));
    // first the safe command published unsolicited: damping, −kd · the slider velocity of the last JointState
    expect((await commands.next()).data[0]).toBeCloseTo(-5 * s0[1]!, 6);
    expect((await commands.next()).data[0]).toBeCloseTo(-5 * s1[1]!, 6);

    b.peer.send({ op: 'reset' });
    expect(await b.peer.takeJson()).toMatchObject({ op: 'status', state: 'idle' });
    states.publish(jointState(s1[0]!, s1[1]!, s1[2]!, s1[3]!));
    expect((await commands.next()).data[0]).toBeCloseTo(await policyCommand(s1), 4);
  });
});
