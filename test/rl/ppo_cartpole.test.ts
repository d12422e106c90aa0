/**
 * Integration: PPO with the default recipe on the real cartpole (Rapier, default domain
 * randomization) through `EnvGroup`. A few seconds of training must beat the untrained
 * policy clearly.
 */
import { describe, expect, it } from 'vitest';
import { getTask } from '../../envs/index.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { PPO } from '../../src/rl/ppo.ts';
import { validatePpoConfig } from '../../src/rl/ppo_config.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { Rng } from '../../src/task/rng.ts';

const SEED = 3;

/** Mean return of the first episode of each of 16 fresh envs under the deterministic policy. */
async function evaluate(ppo: PPO, group: EnvGroup): Promise<number> {
  group.resetAll();
  const b = group.buffers, first = new Array<number>(group.numEnvs).fill(NaN);
  for (let t = 0; t < group.task.maxEpisodeSteps && first.some(Number.isNaN); t++) {
    b.actions.set(await ppo.actDeterministic(b.obs));
    group.step();
    for (let i = 0; i < group.numEnvs; i++) if ((b.terminated[i] || b.truncated[i]) && Number.isNaN(first[i])) first[i] = b.episodeReturn[i]!;
  }
  return first.reduce((s, r) => s + r, 0) / first.length;
}

describe('PPO on cartpole', () => {
  it('six iterations (12k env steps) lift the deterministic return well above the untrained policy', async () => {
    const task = getTask('cartpole');
    const cfg = validatePpoConfig({ total_iterations: 49 }, 'test');
    const group = await EnvGroup.create({ task, numEnvs: cfg.num_envs, firstEnvIndex: 0, seed: SEED, dr: task.dr });
    const evalGroup = await EnvGroup.create({ task, numEnvs: 16, firstEnvIndex: 100, seed: SEED + 1, dr: task.dr });
    const ppo = new PPO(new CpuBackend(), { obsDim: group.dims.obsDim, actDim: group.dims.actDim, numEnvs: cfg.num_envs }, cfg, new Rng(SEED));
    const untrained = await evaluate(ppo, evalGroup);
    const b = group.buffers;
    for (let it = 0; it < 6; it++) {
      for (let t = 0; t < cfg.num_steps; t++) {
        b.actions.set(await ppo.act(b.obs));
        group.step();
        await ppo.processEnvStep(b.rewards, b.terminated, b.truncated, b.terminalObs);
      }
      await ppo.computeReturns(b.obs);
      expect((await ppo.update()).nonfinite).toBe(false);
    }
    const trained = await evaluate(ppo, evalGroup);
    group.dispose();
    evalGroup.dispose();
    expect(untrained).toBeLessThan(100);
    expect(trained).toBeGreaterThan(Math.max(150, 3 * untrained)); // 8 seeds: untrained 36–41, trained 176–484
  });
});
