/**
 * Evaluation of a deterministic policy: `episodes` envs each run exactly one episode (so short
 * episodes are not over-counted), and the return and length statistics are reported.
 */
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { EnvGroup } from '../sim/env_group.ts';
import { resolveTask } from '../sim/task_loader.ts';
import { Rng } from '../sim/rng.ts';
import type { DomainRandomization } from '../sim/randomize.ts';
import type { Backend } from '../backend/backend.ts';
import { PPO, type PpoState } from './ppo.ts';
import { latestCheckpoint, readCheckpoint } from './checkpoint.ts';
import type { TrainConfig } from './config.ts';

/** A batch policy: observations [B, obs_dim] → actions [B, act_dim]. */
export type Policy = (obs: Float32Array) => Promise<Float32Array>;

export interface EvalResult {
  mean_return: number;
  std_return: number;
  mean_length: number;
  std_length: number;
  episodes: number;
  returns: number[];
  lengths: number[];
}

export interface EvalOptions {
  task: string;
  policy: Policy;
  episodes: number;
  seed: number;
  /** Ranges to sample each env's randomization from. */
  dr: DomainRandomization;
}

/** Runs one episode in each of `episodes` envs with `policy`. */
export async function evaluatePolicy(o: EvalOptions): Promise<EvalResult> {
  const task = await resolveTask(o.task);
  const group = await EnvGroup.create({ task, numEnvs: o.episodes, firstEnvIndex: 0, seed: o.seed, dr: o.dr });
  try {
    const returns = new Array<number>(o.episodes).fill(NaN);
    const lengths = new Array<number>(o.episodes).fill(NaN);
    let left = o.episodes;
    const b = group.buffers;
    while (left > 0) {
      b.actions.set(await o.policy(b.obs));
      group.step();
      for (let i = 0; i < o.episodes; i++) {
        if (Number.isNaN(returns[i]) && (b.terminated[i] || b.truncated[i])) {
          returns[i] = b.episodeReturn[i] as number;
          lengths[i] = b.episodeLength[i] as number;
          left--;
        }
      }
    }
    const [mr, sr] = meanStd(returns);
    const [ml, sl] = meanStd(lengths);
    return { mean_return: mr, std_return: sr, mean_length: ml, std_length: sl, episodes: o.episodes, returns, lengths };
  } finally {
    group.dispose();
  }
}

/** A trained run's resolved config and its latest trainer state, ready to act. */
export interface LoadedRun {
  config: TrainConfig;
  ppo: PPO;
  checkpoint: string;
}

/** Loads `runDir`'s config.json and latest checkpoint into a PPO on `backend`. */
export function loadRun(runDir: string, backend: Backend): LoadedRun {
  const cfgFile = path.join(runDir, 'config.json');
  if (!existsSync(cfgFile)) throw new Error(`--run ${runDir}: no config.json (not a run directory)`);
  const config = JSON.parse(readFileSync(cfgFile, 'utf8')) as TrainConfig;
  const file = latestCheckpoint(path.join(runDir, 'checkpoints'));
  if (!file) throw new Error(`--run ${runDir}: no checkpoint in ${path.join(runDir, 'checkpoints')}`);
  const state = (readCheckpoint(file).arrays as unknown as { ppo: PpoState }).ppo;
  const ppo = new PPO(backend, state.dims, config.ppo, new Rng(config.seed));
  ppo.setState(state);
  return { config, ppo, checkpoint: file };
}

function meanStd(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length)];
}
