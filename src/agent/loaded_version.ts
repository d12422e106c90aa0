/**
 * One stored policy version loaded in onnxruntime and ready to drive the robot: it takes an
 * observation in the units the controller sends (the served interface's observation scales) and
 * returns motor commands (offset + scale · clip(action), in the robot's command units), so
 * versions whose observation scales differ from the served ones still see what they were trained
 * on. Released once it is no longer needed and no run of it is in flight.
 */
import { commandsFromOutput } from '../bridge/limits.ts';
import type { PolicyContract } from '../onnx/metadata.ts';
import type { OnnxPolicy } from '../onnx/onnx_policy.ts';

/** A version's policy, loaded and checked. */
export class LoadedVersion {
  /** Per observation: the factor from served units to this policy's, or null when they agree. */
  private readonly rescale: Float32Array | null;
  private inFlight = 0;
  private retired = false;
  private released = false;

  /** `served`: the contract whose observation scales the controller uses. */
  constructor(readonly version: number, readonly policy: OnnxPolicy, served: PolicyContract) {
    const f = policy.contract.observations.map((o, i) => o.scale / served.observations[i]!.scale);
    this.rescale = f.every((x) => x === 1) ? null : Float32Array.from(f);
  }

  /** The version's own contract. */
  get contract(): PolicyContract {
    return this.policy.contract;
  }

  /** Motor commands (act_dim, float32) for one observation in served units. */
  async commands(obs: Float32Array): Promise<Float32Array> {
    let x = obs;
    if (this.rescale) {
      x = new Float32Array(obs.length);
      for (let i = 0; i < obs.length; i++) x[i] = obs[i]! * this.rescale[i]!;
    }
    this.inFlight++;
    try {
      const y = await this.policy.run(x);
      return Float32Array.from(commandsFromOutput(this.policy.contract, y).command);
    } finally {
      this.inFlight--;
      if (this.retired && this.inFlight === 0) void this.release();
    }
  }

  /** Releases the onnxruntime session now, or after the runs in flight when there are any. */
  retire(): void {
    this.retired = true;
    if (this.inFlight === 0) void this.release();
  }

  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.policy.dispose();
  }
}
