/**
 * The protocol table as the extension point it claims to be: a connection's status names the
 * protocol it speaks (native, rosbridge), and a third protocol defined here, registered only
 * through the table, serves a robot over a real loopback WebSocket — policy actions, safety
 * rejections, the watchdog's safe command — next to native clients on the same port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeObsFrame } from '../../src/bridge/binary.ts';
import type { Decision } from '../../src/bridge/control.ts';
import type { Deployment } from '../../src/bridge/deploy.ts';
import { policyInfo, safetyLimitsFor } from '../../src/bridge/limits.ts';
import { ProtocolError, type PolicyInfo } from '../../src/bridge/protocol.ts';
import { frameName, type Claim, type Frame, type ProtocolSession, type SessionContext, type SessionDetails } from '../../src/bridge/protocol_session.ts';
import { PROTOCOLS } from '../../src/bridge/protocol_table.ts';
import type { SafetyLimits } from '../../src/bridge/safety.ts';
import { BridgeServer } from '../../src/bridge/server.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { CARTPOLE_POLICY, deployCartpole, hello, RawPeer } from './helpers.ts';

const randomObs = () => Array.from({ length: 4 }, () => Math.fround(0.2 * (Math.random() - 0.5)));

/** Polls until `f` holds (the server sees a frame a moment after the peer's reply arrives). */
async function eventually(f: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(f()).toBe(true);
}

describe('status names the protocol a connection speaks', () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deployCartpole({ rosbridge: true, timeoutMs: 600_000 });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('native after hello, rosbridge after its first op, none before either', async () => {
    const native = await RawPeer.open(d.server.url);
    native.send(hello('binary'));
    expect((await native.takeJson()).op).toBe('welcome');
    const ros = await RawPeer.open(d.server.url);
    ros.send({ op: 'subscribe', topic: '/joint_commands', type: 'std_msgs/Float64MultiArray' });
    ros.send({ op: 'advertise', topic: '/joint_states', type: 'std_msgs/Float64MultiArray' });
    ros.send({ op: 'publish', topic: '/joint_states', msg: { data: randomObs() } });
    expect(await ros.takeJson()).toMatchObject({ op: 'publish', topic: '/joint_commands' });
    const idle = await RawPeer.open(d.server.url);
    idle.send({ op: 'status' }); // a native op that commits nothing
    expect((await idle.takeJson()).op).toBe('status');

    // each committed connection refuses the other protocol's frames in the bridge's error format
    native.send({ op: 'advertise', topic: '/joint_states', type: 'std_msgs/Float64MultiArray' });
    expect(await native.takeJson()).toMatchObject({ op: 'error', code: 'wrong_protocol', field: 'op' });
    ros.send(encodeObsFrame(1, 0, randomObs()));
    expect(await ros.takeJson()).toMatchObject({ op: 'error', code: 'wrong_protocol', field: 'frame' });

    const s = d.server.connections();
    expect(s.map((c) => c.protocol)).toEqual(['native', 'rosbridge', null]);
    expect(s[0]).toMatchObject({ state: 'idle', observations: 0, session: { hello: true, encoding: 'binary' } });
    expect(s[1]).toMatchObject({ state: 'running', observations: 1, actions: 1, session: { advertised: ['/joint_states'], subscribed: ['/joint_commands'], level: 'error' } });
    expect(s[2]!.session).toBe(null);
    await Promise.all([native.close(), ros.close(), idle.close()]);
  });
});

/** Settings of the test protocol: the op its command replies carry. */
interface MiniSettings {
  reply: string;
}

/**
 * A third protocol, as small as one can be: `mini.obs` with `obs` (observed units) is one
 * observation; every decision comes back as `{op: reply, kind, command}` or `mini.error`.
 */
class MiniSession implements ProtocolSession {
  static readonly title = 'mini v0';
  static readonly opsHint = 'mini ops: mini.obs';

  static recognize(frame: Frame): Claim | null {
    return frame.kind === 'json' && frame.message.op.startsWith('mini.') ? 'opens' : null;
  }

  static disabled(frame: Frame): ProtocolError {
    return new ProtocolError('unknown_op', `${frameName(frame)} is a mini op: this bridge does not serve mini`, 'op');
  }

  private seq = 0;

  constructor(private readonly ctx: SessionContext<MiniSettings>) {}

  accepts(frame: Frame): boolean {
    return MiniSession.recognize(frame) !== null;
  }

  async onFrame(frame: Frame, receivedMs: number): Promise<void> {
    const obs = frame.kind === 'json' && frame.message.op === 'mini.obs' ? frame.message.obs : undefined;
    if (!Array.isArray(obs) || !obs.every((x) => typeof x === 'number')) return this.error('mini.obs needs obs: numbers');
    const d = this.ctx.channel.observe(Float32Array.from(obs), this.seq++, 0, receivedMs);
    this.deliver(d instanceof Promise ? await d : d);
  }

  deliver(d: Decision): void {
    if (d.kind === 'error') return this.error(d.error.message);
    this.ctx.send(JSON.stringify({ op: this.ctx.settings.reply, kind: d.kind, command: d.command }));
  }

  details(): SessionDetails {
    return { sent: this.seq };
  }

  private error(message: string): void {
    this.ctx.send(JSON.stringify({ op: 'mini.error', message }));
  }
}

describe('a third protocol through the table', () => {
  const table = { ...PROTOCOLS, mini: MiniSession };
  const clock = { now: 0 };
  let policy: OnnxPolicy;
  let info: PolicyInfo;
  let limits: SafetyLimits;
  let server: BridgeServer;

  beforeAll(async () => {
    policy = await OnnxPolicy.load(CARTPOLE_POLICY);
    const spec = loadRobotSpec('cartpole');
    limits = safetyLimitsFor(policy.contract, spec, loadUrdf(spec.urdfPath));
    info = policyInfo(policy.contract, limits);
    server = await BridgeServer.start({
      policy, info, limits, port: 0, clock: () => clock.now, watchdogTimer: false,
      protocols: table, settings: { native: {}, mini: { reply: 'mini.cmd' } },
    });
  });
  afterAll(async () => {
    await server?.close();
    await policy?.dispose();
  });

  it('serves policy actions, safety rejections and the watchdog in its own format, next to native clients', async () => {
    const mini = await RawPeer.open(server.url);
    const obs = randomObs();
    mini.send({ op: 'mini.obs', obs });
    const raw = (await policy.run(Float32Array.from(obs)))[0]!;
    const cmd = await mini.takeJson();
    expect(cmd).toMatchObject({ op: 'mini.cmd', kind: 'action' });
    expect((cmd.command as number[])[0]).toBeCloseTo(10 * Math.max(-1, Math.min(1, raw)), 5);

    mini.send('{"op":"mini.obs","obs":[0,1e309,0,0]}');
    expect(await mini.takeJson()).toEqual({ op: 'mini.error', message: 'obs[1] is not finite' });
    mini.send({ op: 'mini.obs', obs: 'x' });
    expect((await mini.takeJson()).op).toBe('mini.error');
    // a native op on a mini connection is refused by the connection, in the bridge's error format
    mini.send(hello('json'));
    expect(await mini.takeJson()).toMatchObject({ op: 'error', code: 'wrong_protocol', field: 'op' });

    clock.now += limits.timeoutMs + 1;
    server.tick();
    expect(await mini.takeJson()).toEqual({ op: 'mini.cmd', kind: 'safe', command: limits.safe.command });

    const native = await RawPeer.open(server.url);
    native.send(hello('json'));
    expect((await native.takeJson()).op).toBe('welcome');
    native.send({ op: 'obs', seq: 1, t_ms: 0, obs: randomObs() });
    expect((await native.takeJson()).op).toBe('action');
    native.send({ op: 'mini.obs', obs: randomObs() });
    expect(await native.takeJson()).toMatchObject({ op: 'error', code: 'wrong_protocol', field: 'op' });

    await eventually(() => server.connections().length === 2);
    const [m, n] = server.connections();
    expect(m).toMatchObject({ protocol: 'mini', state: 'watchdog', observations: 2, actions: 1, session: { sent: 2 } });
    expect(m!.interventions).toMatchObject({ rejected_obs: 1, watchdog_trips: 1, safe_commands: 1 });
    expect(n).toMatchObject({ protocol: 'native', observations: 1, actions: 1 });
    await Promise.all([mini.close(), native.close()]);
  });

  it('lists its ops for unknown ones, and answers its own error where the server does not serve it', async () => {
    const peer = await RawPeer.open(server.url);
    peer.send({ op: 'teleport' });
    const unknown = await peer.takeJson();
    expect(unknown).toMatchObject({ op: 'error', code: 'unknown_op' });
    expect(String(unknown.message)).toMatch(/native ops: hello.*; mini ops: mini\.obs/);
    await peer.close();

    const nativeOnly = await BridgeServer.start({ policy, info, limits, port: 0, watchdogTimer: false, protocols: table, settings: { native: {} } });
    try {
      const p = await RawPeer.open(nativeOnly.url);
      p.send({ op: 'mini.obs', obs: randomObs() });
      expect(await p.takeJson()).toMatchObject({ op: 'error', code: 'unknown_op', message: 'op mini.obs is a mini op: this bridge does not serve mini' });
      p.send(hello('json'));
      expect((await p.takeJson()).op).toBe('welcome');
      await p.close();
    } finally {
      await nativeOnly.close();
    }
  });
});
