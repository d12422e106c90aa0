/**
 * A run directory's actor, ready to act: its resolved config and its latest checkpoint's trainer
 * state (`sim2real eval --run`, `export`, `view --run`).
 */
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { Rng } from '../task/rng.ts';
import type { Backend } from '../backend/backend.ts';
import { PPO, type PpoState } from './ppo.ts';
import { latestCheckpoint, readCheckpoint } from './checkpoint.ts';
import type { TrainConfig } from './config.ts';

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
