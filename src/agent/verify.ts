/**
 * What a policy must pass before the agent stores or runs it, in this order: its SHA-256 is the
 * one the push declared, a trusted key signed it, onnxruntime loads it and its metadata is a
 * sim2real contract, the contract fits the robot (and the interface the controller speaks), and
 * it answers a zero observation with finite numbers. Each refusal carries a code and names what
 * failed; nothing refused is stored, and the active version keeps running.
 */
import type { PolicyContract } from '../onnx/metadata.ts';
import { OnnxPolicy } from '../onnx/onnx_policy.ts';
import type { LoadedRobotSpec } from '../robot/robot_spec.ts';
import { contractMismatch } from './contract_fit.ts';
import { sha256Hex, type TrustedKeys } from './signing.ts';

/** Why a push or a stored version was refused. */
export type RefusalCode =
  | 'too_large' | 'busy' | 'truncated' | 'timeout' | 'sha256_mismatch' | 'untrusted_key' | 'bad_signature'
  | 'not_loadable' | 'contract_mismatch' | 'bad_output' | 'no_version' | 'no_previous' | 'store_failed';

/** A refusal: its code and a message naming what failed. */
export class Refusal extends Error {
  constructor(readonly code: RefusalCode, message: string) {
    super(message);
    this.name = 'Refusal';
  }
}

/** The signature a policy came with. */
export interface Signed {
  keyId: string;
  signature: string;
  /** The SHA-256 the sender declared (hex); absent for a stored version, checked against its manifest instead. */
  sha256?: string;
}

/** What verification checks a policy against. */
export interface VerifyContext {
  trust: TrustedKeys;
  spec: LoadedRobotSpec;
  /** The contract of the interface the controller is served, or null before the first policy. */
  served: PolicyContract | null;
}

/**
 * Verifies `bytes` (named `source` in messages) and returns the loaded policy, or throws a
 * `Refusal`. `digest`: their SHA-256 when the caller already computed it (while receiving them).
 * The caller owns the policy (dispose it when it is not kept).
 */
export async function verifyPolicy(bytes: Uint8Array, signed: Signed, ctx: VerifyContext, source: string, digest?: string): Promise<OnnxPolicy> {
  const sha = digest ?? sha256Hex(bytes);
  if (signed.sha256 !== undefined && signed.sha256 !== sha) throw new Refusal('sha256_mismatch', `${source}: the file's SHA-256 is ${sha.slice(0, 16)}…, the push declared ${signed.sha256.slice(0, 16)}… (damaged in transit)`);
  const bad = ctx.trust.check(signed, sha, bytes.length);
  if (bad) throw new Refusal(bad.code, `${source}: ${bad.message}`);
  let policy: OnnxPolicy;
  try {
    policy = await OnnxPolicy.fromBytes(bytes, source);
  } catch (e) {
    throw new Refusal('not_loadable', (e as Error).message);
  }
  try {
    const why = contractMismatch(policy.contract, ctx.spec, ctx.served);
    if (why !== null) throw new Refusal('contract_mismatch', `${source} does not fit robot ${ctx.spec.name}: ${why}`);
    let y: Float32Array;
    try {
      y = await policy.run(new Float32Array(policy.obsDim));
    } catch (e) {
      throw new Refusal('bad_output', `${source}: onnxruntime fails to run it: ${(e as Error).message}`);
    }
    const k = y.findIndex((v) => !Number.isFinite(v));
    if (y.length !== policy.actDim || k >= 0) throw new Refusal('bad_output', `${source}: its output for a zero observation is not ${policy.actDim} finite numbers (actions[${Math.max(k, 0)}] = ${y[Math.max(k, 0)]})`);
    return policy;
  } catch (e) {
    await policy.dispose();
    throw e;
  }
}
