/**
 * A connection's share of the server log, against the real server on loopback with a fake
 * clock: a client whose every observation the safety layer rejects gets at most a burst of log
 * lines written (the rest are counted and summed up in one line when it closes), while its
 * `status` counters still count every rejection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyInfo, safetyLimitsFor } from '../../src/bridge/limits.ts';
import { BridgeServer } from '../../src/bridge/server.ts';
import { DEFAULT_TRAFFIC_LIMITS } from '../../src/bridge/traffic_limits.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { nextTurn } from './abuse_peers.ts';
import { CARTPOLE_POLICY, hello, RawPeer } from './helpers.ts';

const REJECTED = 400;
const lines: string[] = [];
let policy: OnnxPolicy;
let server: BridgeServer;

beforeAll(async () => {
  policy = await OnnxPolicy.load(CARTPOLE_POLICY);
  const spec = loadRobotSpec('cartpole');
  const limits = safetyLimitsFor(policy.contract, spec, loadUrdf(spec.urdfPath));
  server = await BridgeServer.start({ policy, info: policyInfo(policy.contract, limits), limits, port: 0, clock: () => 0, watchdogTimer: false, log: (l) => lines.push(l) });
});
afterAll(async () => {
  await server?.close();
  await policy?.dispose();
});

describe('log share per connection', () => {
  it(`writes at most a burst of ${5 * DEFAULT_TRAFFIC_LIMITS.logLinesPerS} lines for ${REJECTED} rejected observations and sums up the rest`, async () => {
    const peer = await RawPeer.open(server.url);
    peer.send(hello('json'));
    for (let i = 0; i < REJECTED; i++) peer.send(`{"op":"obs","seq":${i + 1},"t_ms":0,"obs":[0,1e309,0,0]}`);
    peer.send({ op: 'status' });
    const got = await peer.atLeast(REJECTED + 2);
    expect(got.slice(1, -1).every((r) => r.json?.code === 'obs_rejected')).toBe(true);
    expect(got.at(-1)!.json).toMatchObject({ op: 'status', interventions: { rejected_obs: REJECTED } });

    const written = lines.filter((l) => l.includes('rejected observation')).length;
    const burst = 5 * DEFAULT_TRAFFIC_LIMITS.logLinesPerS;
    expect(written).toBe(burst);
    await peer.close();
    while (!lines.some((l) => l.includes('more log lines'))) await nextTurn();
    expect(lines.find((l) => l.includes('more log lines'))).toMatch(new RegExp(`: ${REJECTED - burst} more log lines of this connection left out`));
    expect(server.stats().traffic.suppressed_log_lines).toBe(REJECTED - burst);
  });
});
