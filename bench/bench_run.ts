/**
 * One training run for a benchmark: the runner in a temporary run directory on an opened
 * backend, every iteration's metrics handed to `onIteration`; the backend is destroyed and the
 * directory removed afterwards, whatever happened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Backend } from '../src/backend/backend.ts';
import type { TrainConfig } from '../src/rl/config.ts';
import { OnPolicyRunner, type RunnerOptions } from '../src/rl/runner.ts';

export async function trainInTempDir(
  prefix: string, config: TrainConfig, backend: Backend,
  createSource: RunnerOptions['createSource'], onIteration: RunnerOptions['onIteration'],
): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const runner = await OnPolicyRunner.create({ config, backend, outDir: dir, createSource, onIteration });
  try {
    await runner.run();
  } finally {
    await runner.close();
    backend.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
