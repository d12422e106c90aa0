/**
 * One loader for every command that drives envs with a policy: a run directory gives the actor
 * the run trained (bit for bit), an ONNX file the actor a robot runs; both come named, with the
 * ranges they trained under, and a policy for another task is refused before it drives anything.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPolicy } from '../../src/cli/load_policy.ts';
import { trainingEnvs } from '../../src/cli/train.ts';
import { OnPolicyRunner } from '../../src/rl/runner.ts';
import { resolveTrainConfig } from '../../src/rl/config.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { OnnxPolicy, PolicyMismatchError } from '../../src/onnx/onnx_policy.ts';
import { NOMINAL, resolveRandomization } from '../../src/task/randomize.ts';
import { Rng } from '../../src/task/rng.ts';
import { getTask } from '../../envs/index.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 's2r-load-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cartpole = getTask('cartpole'), pendulum = getTask('pendulum');

/** Random cartpole observations for `rows` envs. */
function observations(seed: number, rows: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * 4 }, () => rng.uniform(-1, 1));
}

describe('loadPolicy', () => {
  it('from a run directory: the latest checkpoint\'s deterministic actor, named by run and checkpoint, with the run\'s ranges', async () => {
    const run = path.join(dir, 'run');
    const config = resolveTrainConfig(cartpole, 'cartpole', [{ seed: 4, total_env_steps: 4 * 32, ppo: { num_envs: 4, num_steps: 32, minibatch_size: 64, num_epochs: 1 } }]);
    const runner = await OnPolicyRunner.create({ config, backend: new CpuBackend(), outDir: run, createSource: trainingEnvs });
    try {
      await runner.run();
      const p = await loadPolicy({ run }, cartpole);
      const checkpoint = path.join(run, 'checkpoints', 'ckpt_000001.bin');
      expect(p.name).toBe(`${run} (ckpt_000001.bin)`);
      expect(p.source).toEqual({ run, checkpoint });
      expect(p.dr).toEqual(config.dr);
      const seed = Math.floor(Math.random() * 1e9);
      const obs = observations(seed, 5);
      expect(Array.from(await p.act(obs)), `seed ${seed}`).toEqual(Array.from(await runner.ppo.actDeterministic(obs)));
      await p.dispose();
    } finally {
      await runner.close();
    }
    await expect(loadPolicy({ run }, pendulum)).rejects.toThrow(new PolicyMismatchError(`run ${run} was trained on env cartpole, not pendulum`));
    await expect(loadPolicy({ run: path.join(dir, 'nothing') }, cartpole)).rejects.toThrow(/no config\.json \(not a run directory\)/);
  });

  it('from an ONNX file: its actions through onnxruntime, named by the file, with the ranges in its contract', async () => {
    const file = path.join(root, 'policies/cartpole.onnx');
    const p = await loadPolicy({ onnx: file }, cartpole);
    const ref = await OnnxPolicy.load(file);
    try {
      expect(p.name).toBe(file);
      expect(p.source).toEqual({ policy: file });
      expect(p.dr).toEqual(resolveRandomization(NOMINAL, ref.contract.drRanges));
      const seed = Math.floor(Math.random() * 1e9);
      const obs = observations(seed, 3);
      expect(Array.from(await p.act(obs)), `seed ${seed}`).toEqual(Array.from(await ref.envActions(obs)));
    } finally {
      await p.dispose();
      await ref.dispose();
    }
    const wrong = loadPolicy({ onnx: file }, pendulum);
    await expect(wrong).rejects.toBeInstanceOf(PolicyMismatchError);
    await expect(wrong).rejects.toThrow('policy was trained for task cartpole (obs_dim 4, act_dim 1) but env pendulum has obs_dim 3, act_dim 1');
  });
});
