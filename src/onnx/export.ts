/**
 * ONNX export of a trained actor: the deterministic policy with its observation normalizer,
 * optionally with the env's action post-processing, plus the deployment contract in
 * `metadata_props`. Takes plain weights (`PPO.actorWeights()`) and specs, so this module never
 * loads the trainer; writing the file is the caller's (atomically, next to the run).
 */
import type { ActorWeights } from '../rl/ppo_types.ts';
import { buildPolicyGraph, encodeModel } from './graph.ts';
import { buildContract, encodeMetadata, type ContractSources, type PolicyContract } from './metadata.ts';

/** Export choices. */
export interface ExportOptions {
  /**
   * Bake clip, scale and default offsets into the graph, so `actions` are motor commands
   * (joint targets or efforts) instead of raw policy actions.
   */
  postprocess: boolean;
}

/** An exported policy: the `.onnx` bytes and the contract written into them. */
export interface ExportedPolicy {
  bytes: Uint8Array;
  contract: PolicyContract;
}

/** Builds the `.onnx` bytes of the actor in `weights` for the task and robot in `sources`. */
export function exportPolicy(weights: ActorWeights, sources: Omit<ContractSources, 'network' | 'postprocess'>, opts: ExportOptions): ExportedPolicy {
  const norm = weights.obsNormalizer;
  const contract = buildContract({
    ...sources,
    postprocess: opts.postprocess,
    network: {
      activation: weights.activation,
      hiddenSizes: weights.layers.slice(0, -1).map((l) => l.outDim),
      obsNormalization: norm ? { clip: norm.clip, eps: norm.eps } : null,
    },
  });
  const scales = contract.actions.map((a) => a.scale);
  const model = buildPolicyGraph(weights, contract.obsDim, contract.actDim, {
    postprocess: opts.postprocess ? { clip: contract.actionClip, scales, offsets: contract.actionOffsets } : null,
    metadata: encodeMetadata(contract),
    producerVersion: contract.packageVersion,
    docString: `sim2real policy for task ${contract.task} on robot ${contract.robot}: obs [batch, ${contract.obsDim}] -> actions [batch, ${contract.actDim}]`
      + (opts.postprocess ? ' as motor commands (post-processing baked in)' : ' as raw actions (clip, scale and offset not applied)')
      + '. See metadata_props and docs/policy-format.md.',
  });
  return { bytes: encodeModel(model), contract };
}
