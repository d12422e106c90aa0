/**
 * The policy the agent's bridge serves: a slot holding the active version, swapped between two
 * control steps. Each control step runs on the version active when the step's inference starts
 * and keeps it to the end, so a swap neither drops nor repeats a step; the bridge's safety layer
 * (one per connection, outside the slot) never notices the swap, so its rate limits and the
 * e-stop latch carry over. With no loadable version the slot answers `null` and the bridge sends
 * the safe command. A shadow candidate sees the same observations, after the active version has
 * answered.
 */
import type { BridgePolicy } from '../bridge/control.ts';
import type { PolicyContract } from '../onnx/metadata.ts';
import type { LoadedVersion } from './loaded_version.ts';
import type { ShadowRun } from './shadow.ts';

/** The agent's `BridgePolicy`. */
export class PolicySlot implements BridgePolicy {
  /**
   * What the bridge reads commands by: the served contract with post-processing "baked", since
   * the slot hands back motor commands whatever the version's own post-processing.
   */
  readonly contract: PolicyContract;
  private current: LoadedVersion | null = null;
  /** Which version answered an observation (the array the bridge passed), for telemetry and the rollback guard. */
  private readonly answeredBy = new WeakMap<Float32Array, number>();
  /** The candidate run in shadow, if any. */
  shadow: ShadowRun | null = null;

  /** An empty slot (the safe command) serving the interface of `served`. */
  constructor(served: PolicyContract) {
    this.contract = { ...served, postprocess: true };
  }

  /** The active version, or null while the safe command is served. */
  get active(): LoadedVersion | null {
    return this.current;
  }

  /** Makes `next` active from the next control step on; returns the version it replaced. */
  swap(next: LoadedVersion | null): LoadedVersion | null {
    const old = this.current;
    this.current = next;
    return old;
  }

  /** Commands for one observation from the active version (null: none, send the safe command). */
  async run(obs: Float32Array): Promise<Float32Array | null> {
    const v = this.current;
    if (v === null) return null;
    this.answeredBy.set(obs, v.version);
    const command = await v.commands(obs);
    this.shadow?.offer(obs, command);
    return command;
  }

  /** The version that answered observation `obs` (the array the bridge ran), or null. */
  versionOf(obs: Float32Array): number | null {
    return this.answeredBy.get(obs) ?? null;
  }
}
