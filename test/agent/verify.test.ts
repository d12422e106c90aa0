/**
 * What a policy must pass before an agent stores it: each check refuses with its own code and
 * names the first thing that differs — the robot, the joints, the control period, the gains, the
 * default pose, the interface the controller speaks — while a policy that only scales its
 * observations differently is taken (the agent converts).
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { contractMismatch } from '../../src/agent/contract_fit.ts';
import { loadPrivateKey, signPolicy, TrustedKeys, writeKeyPair } from '../../src/agent/signing.ts';
import { Refusal, verifyPolicy, type VerifyContext } from '../../src/agent/verify.ts';
import { LoadedVersion } from '../../src/agent/loaded_version.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import type { PolicyContract } from '../../src/onnx/metadata.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { scratch, shipped, variant } from './helpers.ts';

const cartpole = loadRobotSpec('cartpole');

async function contractOf(bytes: Uint8Array): Promise<PolicyContract> {
  const p = await OnnxPolicy.fromBytes(bytes);
  await p.dispose();
  return p.contract;
}

describe('contract fit', () => {
  it('names the first difference from the robot contract', async () => {
    const c = await contractOf(shipped('cartpole'));
    expect(contractMismatch(c, cartpole, null)).toBeNull();
    const cases: [Partial<PolicyContract>, RegExp][] = [
      [{ robot: 'reacher' }, /the policy is for robot reacher, not for robot cartpole/],
      [{ jointOrder: ['hinge'] }, /joint 0 is hinge in the policy but slider in robot cartpole/],
      [{ controlMode: 'position' }, /position control/],
      [{ controlDtS: 0.01 }, /control period: the policy runs every 0.01 s, robot cartpole every 0.02 s/],
      [{ actionClip: 2 }, /action clip: ±2 in the policy, ±1 on robot cartpole/],
      [{ actions: [{ name: 'force', unit: 'N', scale: 20 }] }, /joint 0 \(slider\): action scale 20 in the policy, 10 on robot cartpole/],
      [{ jointKp: [5], jointKd: [0] }, /joint 0 \(slider\): Kp 5 in the policy, 0 on robot cartpole/],
      [{ jointKp: [0], jointKd: [0.3] }, /joint 0 \(slider\): Kd 0.3 in the policy, 0 on robot cartpole/],
      [{ defaultJointPositions: [0.1] }, /joint 0 \(slider\): default position 0.1 in the policy, 0 on robot cartpole/],
    ];
    for (const [change, re] of cases) expect(contractMismatch({ ...c, ...change }, cartpole, null), JSON.stringify(change)).toMatch(re);
  });

  it('checks the observations and actions against what the controller is served, but lets scales differ', async () => {
    const c = await contractOf(shipped('cartpole'));
    const obs = c.observations;
    expect(contractMismatch(c, cartpole, c)).toBeNull();
    expect(contractMismatch({ ...c, observations: obs.map((o) => ({ ...o, scale: o.scale * 2 })) }, cartpole, c)).toBeNull();
    expect(contractMismatch({ ...c, observations: [obs[1]!, obs[0]!, ...obs.slice(2)] }, cartpole, c)).toMatch(/observation 0 is cart_vel in the policy but cart_pos in the controller's/);
    expect(contractMismatch({ ...c, observations: obs.slice(0, 3) }, cartpole, c)).toMatch(/observation 3 is \(none\) in the policy but pole_angvel .* the policy takes 3 observations, the controller's 4/);
    expect(contractMismatch({ ...c, observations: obs.map((o, i) => (i === 2 ? { ...o, unit: 'deg' } : o)) }, cartpole, c)).toMatch(/observation 2 \(pole_angle\) is in deg in the policy but in rad/);
  });
});

describe('verification', () => {
  const s = scratch();
  const trust = new TrustedKeys([s.keys.publicFile]);
  const ctx: VerifyContext = { trust, spec: cartpole, served: null };
  const signed = (b: Uint8Array, key = s.keys.privateFile) => {
    const sig = signPolicy(b, loadPrivateKey(key));
    return { keyId: sig.keyId, signature: sig.signature, sha256: sig.sha256 };
  };
  const refusal = async (p: Promise<unknown>): Promise<Refusal> => {
    try {
      await p;
    } catch (e) {
      if (e instanceof Refusal) return e;
      throw e;
    }
    throw new Error('was accepted');
  };

  it('accepts the shipped policy for its robot', async () => {
    const b = shipped('cartpole');
    const p = await verifyPolicy(b, signed(b), ctx, 'cartpole.onnx');
    expect(p.contract.robot).toBe('cartpole');
    await p.dispose();
  });

  it('refuses each fault with its own code', async () => {
    const good = shipped('cartpole');
    const corrupt = Buffer.from(good);
    corrupt.fill(0xff, 0, 64);
    const reacher = shipped('reacher');
    const nan = variant('cartpole', { outputScale: NaN });
    const damaged = Buffer.from(good);
    damaged[damaged.length - 10]! ^= 1;
    const other = writeKeyPair(path.join(s.dir, 'third'));
    expect((await refusal(verifyPolicy(corrupt, signed(corrupt), ctx, 'corrupt.onnx'))).code).toBe('not_loadable');
    expect((await refusal(verifyPolicy(good.subarray(0, 5000), signed(good.subarray(0, 5000)), ctx, 'trunc.onnx'))).code).toBe('not_loadable');
    const r = await refusal(verifyPolicy(reacher, signed(reacher), ctx, 'reacher.onnx'));
    expect([r.code, r.message]).toEqual(['contract_mismatch', expect.stringMatching(/reacher\.onnx does not fit robot cartpole: the policy is for robot reacher/)]);
    expect((await refusal(verifyPolicy(nan, signed(nan), ctx, 'nan.onnx'))).code).toBe('bad_output');
    expect((await refusal(verifyPolicy(damaged, signed(good), ctx, 'damaged.onnx'))).code).toBe('sha256_mismatch');
    expect((await refusal(verifyPolicy(good, { ...signed(good), signature: signed(reacher).signature }, ctx, 'forged.onnx'))).code).toBe('bad_signature');
    expect((await refusal(verifyPolicy(good, signed(good, other.privateFile), ctx, 'other.onnx'))).code).toBe('untrusted_key');
  });

  it('a version whose observation scales differ from the served ones is given observations in its own units', async () => {
    const base = await OnnxPolicy.fromBytes(shipped('cartpole'));
    const c = base.contract;
    // the same graph, declared to take observations scaled ×2
    const scaled = await OnnxPolicy.fromBytes(variant('cartpole', { metadata: { observation_scales: JSON.stringify(c.observations.map((o) => o.scale * 2)) } }));
    const a = new LoadedVersion(1, base, c), b = new LoadedVersion(2, scaled, c);
    const obs = Float32Array.from({ length: 4 }, () => Math.random() - 0.5);
    const x2 = Float32Array.from(obs, (v) => v * 2);
    // b converts served units (scale 1) to its own (scale 2) before running: it sees x2
    expect(Array.from(await b.commands(obs))).toEqual(Array.from(await a.commands(x2)));
    a.retire();
    b.retire();
  });
});
