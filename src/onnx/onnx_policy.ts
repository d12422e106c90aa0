/**
 * Runs an exported policy with onnxruntime-node: loads the file, reads and checks its contract
 * (metadata and graph signature), refuses an env it was not trained for with a message naming
 * the mismatch, and evaluates batches of observations. This is the deploy path: it imports no
 * trainer, backend or simulator code.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { decodeModel, INPUT_NAME, metadataOf, OUTPUT_NAME } from './graph.ts';
import { decodeMetadata, type PolicyContract } from './metadata.ts';
import { robotMismatch, type RobotSignature } from './robot_fit.ts';

export { robotMismatch, type RobotSignature } from './robot_fit.ts';

/** A policy that does not fit the env it is asked to drive (wrong task, dims or signal names). */
export class PolicyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyMismatchError';
  }
}

/** What a policy is checked against: a task's name, robot and signal layout (a `TaskSpec` fits). */
export interface EnvSignature {
  name: string;
  robot?: string;
  observations: readonly { name: string }[];
  actions: readonly { name: string }[];
}

/** Session settings. */
export interface OnnxPolicyOptions {
  /** Threads onnxruntime uses inside one run (default 1: policies are small; the envs want the cores). */
  threads?: number;
}

/** A loaded ONNX policy and its contract. Call `dispose()` when done. */
export class OnnxPolicy {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** The deployment contract from the file's metadata. */
    readonly contract: PolicyContract,
    /** Where it was loaded from (for messages). */
    readonly source: string,
  ) {}

  /** Loads and checks a `.onnx` file; a file that is not a sim2real policy is an error naming the file. */
  static async load(file: string, opts: OnnxPolicyOptions = {}): Promise<OnnxPolicy> {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new Error(`policy ${file}: file not found or unreadable`);
    }
    return OnnxPolicy.fromBytes(bytes, file, opts);
  }

  /** Same as `load` for bytes in memory; `source` names them in messages. */
  static async fromBytes(bytes: Uint8Array, source = 'policy', opts: OnnxPolicyOptions = {}): Promise<OnnxPolicy> {
    let contract: PolicyContract;
    try {
      contract = decodeMetadata(metadataOf(decodeModel(bytes)));
    } catch (e) {
      throw new Error(`policy ${source}: ${(e as Error).message}`);
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1, executionMode: 'sequential' });
    } catch (e) {
      throw new Error(`policy ${source}: onnxruntime cannot load it: ${(e as Error).message}`);
    }
    try {
      checkSignature(session, contract);
    } catch (e) {
      await session.release();
      throw new Error(`policy ${source}: ${(e as Error).message}`);
    }
    return new OnnxPolicy(session, contract, source);
  }

  /** Observation length the policy takes. */
  get obsDim(): number {
    return this.contract.obsDim;
  }

  /** Action length the policy returns. */
  get actDim(): number {
    return this.contract.actDim;
  }

  /**
   * Throws `PolicyMismatchError` unless the policy was trained for `env`: same task name, robot,
   * observation and action counts, and signal names in the same order.
   */
  checkEnv(env: EnvSignature): void {
    const c = this.contract;
    const envObs = env.observations.length, envAct = env.actions.length;
    if (c.task !== env.name) {
      throw new PolicyMismatchError(`policy was trained for task ${c.task} (obs_dim ${c.obsDim}, act_dim ${c.actDim}) but env ${env.name} has obs_dim ${envObs}, act_dim ${envAct}`);
    }
    if (env.robot !== undefined && c.robot !== env.robot) throw new PolicyMismatchError(`policy was trained on robot ${c.robot} but env ${env.name} uses robot ${env.robot}`);
    if (c.obsDim !== envObs) throw new PolicyMismatchError(`policy for task ${c.task} has obs_dim ${c.obsDim} but env ${env.name} has obs_dim ${envObs}`);
    if (c.actDim !== envAct) throw new PolicyMismatchError(`policy for task ${c.task} has act_dim ${c.actDim} but env ${env.name} has act_dim ${envAct}`);
    const names = (kind: string, mine: readonly { name: string }[], theirs: readonly { name: string }[]) => {
      mine.forEach((s, i) => {
        const other = theirs[i]!.name;
        if (s.name !== other) throw new PolicyMismatchError(`${kind} ${i} is ${s.name} in the policy but ${other} in env ${env.name}`);
      });
    };
    names('observation', c.observations, env.observations);
    names('action', c.actions, env.actions);
  }

  /**
   * Throws `PolicyMismatchError` unless the policy was made for robot `robot`: same name, the
   * same joints in the same order, the same control mode; the message names the first difference.
   */
  checkRobot(robot: RobotSignature): void {
    const why = robotMismatch(this.contract, robot);
    if (why !== null) throw new PolicyMismatchError(why);
  }

  /** The graph's `actions` [B, act_dim] for observations [B, obs_dim] (motor commands when post-processing is baked in). */
  async run(obs: Float32Array): Promise<Float32Array> {
    const D = this.contract.obsDim;
    const rows = obs.length / D;
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`policy ${this.source}: ${obs.length} values is not a whole number of ${D}-wide observation rows`);
    const out = await this.session.run({ [INPUT_NAME]: new ort.Tensor('float32', obs, [rows, D]) });
    const t = out[OUTPUT_NAME];
    if (!t || !(t.data instanceof Float32Array)) throw new Error(`policy ${this.source}: no float32 "${OUTPUT_NAME}" output`);
    return t.data;
  }

  /**
   * Actions in the env's raw action units for observations [B, obs_dim]: the graph's output, with
   * baked post-processing undone ((command − offset) / scale, already inside ±clip), so a
   * post-processed file drives the simulator exactly like the raw one.
   */
  async envActions(obs: Float32Array): Promise<Float32Array> {
    const y = await this.run(obs);
    const c = this.contract;
    if (!c.postprocess) return y;
    const A = c.actDim;
    for (let i = 0; i < y.length; i++) {
      const k = i % A;
      y[i] = (y[i]! - c.actionOffsets[k]!) / c.actions[k]!.scale;
    }
    return y;
  }

  /** Releases the onnxruntime session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Checks the graph's input and output against the contract's dims (names, float32, [batch, dim]). */
function checkSignature(session: ort.InferenceSession, c: PolicyContract): void {
  const one = (kind: string, list: readonly ort.InferenceSession.ValueMetadata[], name: string, dim: number) => {
    const v = list.find((m) => m.name === name);
    if (!v) throw new Error(`the graph has no ${kind} named "${name}" (has ${list.map((m) => m.name).join(', ')})`);
    if (!v.isTensor || v.type !== 'float32') throw new Error(`${kind} "${name}" is not a float32 tensor`);
    const last = v.shape[1];
    if (v.shape.length !== 2 || (typeof last === 'number' && last !== dim)) {
      throw new Error(`${kind} "${name}" has shape [${v.shape.join(', ')}], metadata says [batch, ${dim}]`);
    }
  };
  one('input', session.inputMetadata, INPUT_NAME, c.obsDim);
  one('output', session.outputMetadata, OUTPUT_NAME, c.actDim);
}
