/**
 * The bridge server over real WebSockets on loopback with the shipped cartpole policy: every
 * message type in both encodings, the watchdog and e-stop on a fake clock, and what policy
 * outputs become after the safety layer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeObsFrame, FrameType } from '../../src/bridge/binary.ts';
import { policyInfo, safetyLimitsFor } from '../../src/bridge/limits.ts';
import { BridgeServer } from '../../src/bridge/server.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { CARTPOLE_POLICY, hello, RawPeer } from './helpers.ts';

let policy: OnnxPolicy;
let server: BridgeServer;
const clock = { now: 0 };

beforeAll(async () => {
  policy = await OnnxPolicy.load(CARTPOLE_POLICY);
  const spec = loadRobotSpec('cartpole');
  const limits = safetyLimitsFor(policy.contract, spec, loadUrdf(spec.urdfPath));
  server = await BridgeServer.start({ policy, info: policyInfo(policy.contract, limits), limits, port: 0, clock: () => clock.now, watchdogTimer: false });
});

afterAll(async () => {
  await server?.close();
  await policy?.dispose();
});

const randomObs = () => Array.from({ length: 4 }, () => Math.fround(0.2 * (Math.random() - 0.5)));

/** What the bridge must answer for `obs`: 10 N × clip(policy(obs), ±1). */
async function expected(obs: number[]): Promise<{ raw: number; command: number }> {
  const raw = (await policy.run(Float32Array.from(obs)))[0]!;
  return { raw, command: 10 * Math.max(-1, Math.min(1, raw)) };
}

describe('native protocol, JSON', () => {
  it('hello → welcome with the contract; obs → action; status; estop → safe until reset', async () => {
    const peer = await RawPeer.open(server.url);
    peer.send(hello('json'));
    const welcome = await peer.takeJson();
    expect(welcome.op).toBe('welcome');
    const info = welcome.policy as Record<string, unknown>;
    expect(info.task).toBe('cartpole');
    expect(info.command_units).toEqual(['N']);
    expect(info.control_dt_s).toBe(0.02);
    expect(info.safe_command).toEqual({ type: 'damping', kd: 5, command: [0] });

    const obs = randomObs();
    peer.send({ op: 'obs', seq: 1, t_ms: 12.5, obs });
    const action = await peer.takeJson();
    const want = await expected(obs);
    expect(action.op).toBe('action');
    expect([action.seq, action.t_ms, action.limited]).toEqual([1, 12.5, false]);
    expect((action.raw as number[])[0]).toBeCloseTo(want.raw, 6);
    expect((action.command as number[])[0]).toBeCloseTo(want.command, 5);

    peer.send({ op: 'status' });
    expect(await peer.takeJson()).toMatchObject({ op: 'status', state: 'running', observations: 1, actions: 1 });

    peer.send({ op: 'estop', reason: 'test' });
    expect(await peer.takeJson()).toMatchObject({ op: 'safe', seq: -1, reason: 'estop', command: [0], mode: 'damping', kd: 5 });
    expect(await peer.takeJson()).toMatchObject({ op: 'status', state: 'estopped' });
    peer.send({ op: 'obs', seq: 2, t_ms: 13, obs });
    expect(await peer.takeJson()).toMatchObject({ op: 'safe', seq: 2, reason: 'estop' });
    peer.send({ op: 'reset' });
    expect(await peer.takeJson()).toMatchObject({ op: 'status', state: 'idle' });
    peer.send({ op: 'obs', seq: 3, t_ms: 14, obs });
    expect(await peer.takeJson()).toMatchObject({ op: 'action', seq: 3 });
    peer.send({ op: 'obs', seq: 3, t_ms: 15, obs });
    expect(await peer.takeJson()).toMatchObject({ op: 'error', code: 'stale', field: 'seq', seq: 3 });
    await peer.close();
  });

  it('refuses a hello whose observation names differ, naming the first one', async () => {
    const peer = await RawPeer.open(server.url);
    peer.send({ op: 'hello', v: 1, observations: ['cart_pos', 'pole_angle', 'cart_vel', 'pole_angvel'] });
    expect(await peer.takeJson()).toMatchObject({ op: 'error', code: 'bad_field', field: 'observations[1]' });
    peer.send({ op: 'obs', seq: 1, t_ms: 0, obs: [0, 0, 0, 0] });
    expect(await peer.takeJson()).toMatchObject({ op: 'error', code: 'no_hello' });
    await peer.close();
  });
});

describe('native protocol, binary', () => {
  it('answers observation frames with action frames and e-stop with safe frames', async () => {
    const peer = await RawPeer.open(server.url);
    peer.send(hello('binary'));
    expect((await peer.takeJson()).encoding).toBe('binary');
    const obs = randomObs();
    peer.send(encodeObsFrame(41, 1234.5, obs));
    const r = await peer.take();
    expect(r.binary).toBe(true);
    const f = decodeFrame(new Uint8Array(r.data));
    const want = await expected(obs);
    expect([f.type, f.seq, f.tMs, f.flags, f.values.length]).toEqual([FrameType.action, 41, 1234.5, 0, 2]);
    expect(f.values[0]).toBeCloseTo(want.command, 5);
    expect(f.values[1]).toBeCloseTo(want.raw, 6);
    peer.send({ op: 'estop' });
    const safe = decodeFrame(new Uint8Array((await peer.take()).data));
    expect([safe.type, safe.seq, Array.from(safe.values)]).toEqual([FrameType.safe, 0xffffffff, [0]]);
    expect((await peer.takeJson()).state).toBe('estopped');
    // the e-stop latches for the whole server (test/bridge/estop.test.ts): reset it for the next test
    peer.send({ op: 'reset' });
    expect((await peer.takeJson()).state).toBe('idle');
    await peer.close();
  });
});

describe('watchdog on a fake clock', () => {
  it('sends the safe command once when observations stop, and resumes on the next valid one', async () => {
    const peer = await RawPeer.open(server.url);
    peer.send(hello('json'));
    await peer.takeJson();
    peer.send({ op: 'obs', seq: 1, t_ms: 0, obs: randomObs() });
    expect((await peer.takeJson()).op).toBe('action');
    clock.now += 60;
    server.tick();
    peer.send({ op: 'status' });
    expect(await peer.takeJson()).toMatchObject({ op: 'status', state: 'running' });
    clock.now += 1;
    server.tick();
    server.tick();
    expect(await peer.takeJson()).toMatchObject({ op: 'safe', seq: -1, reason: 'watchdog', command: [0] });
    expect(await peer.takeJson()).toMatchObject({ op: 'status', state: 'watchdog' });
    peer.send('{"op":"obs","seq":2,"t_ms":1,"obs":[1e309,0,0,0]}');
    expect(await peer.takeJson()).toMatchObject({ op: 'error', code: 'obs_rejected', field: 'obs[0]', seq: 2 });
    peer.send({ op: 'obs', seq: 3, t_ms: 2, obs: randomObs() });
    expect(await peer.takeJson()).toMatchObject({ op: 'action', seq: 3 });
    peer.send({ op: 'status' });
    const s = await peer.takeJson();
    expect(s.interventions).toMatchObject({ watchdog_trips: 1, rejected_obs: 1, safe_commands: 1 });
    await peer.close();
    expect(server.stats().interventions.watchdog_trips).toBeGreaterThanOrEqual(1);
  });
});
