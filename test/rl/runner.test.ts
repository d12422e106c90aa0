/**
 * The training loop as a user meets it: a run stopped and resumed ends bit-for-bit where a
 * straight run ends (trainer and envs), a stop request leaves a resumable checkpoint, repeated
 * non-finite updates stop the run with the last good checkpoint intact, and the config is closed.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import os from 'node:os';
import { OnPolicyRunner } from '../../src/rl/runner.ts';
import { trainingEnvs } from '../../src/cli/train.ts';
import { resolveTrainConfig, autoWorkerCount, type TrainConfig } from '../../src/rl/config.ts';
import { readCheckpoint, latestCheckpoint } from '../../src/rl/checkpoint.ts';
import { readMetrics } from '../../src/rl/metrics.ts';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { getTask } from '../../envs/index.ts';
import type { PpoState } from '../../src/rl/ppo.ts';

const open: OnPolicyRunner[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function smallConfig(seed: number, extra: Record<string, unknown> = {}): TrainConfig {
  // 6 iterations of 4 envs × 32 steps, 2 workers: small enough for seconds, big enough to cross resets
  return resolveTrainConfig(getTask('cartpole'), 'cartpole', [{
    seed, total_env_steps: 6 * 4 * 32, num_workers: 2, checkpoint_every: 1, keep_checkpoints: 3,
    ppo: { num_envs: 4, num_steps: 32, minibatch_size: 64, num_epochs: 2 }, ...extra,
  }]);
}

async function runner(cfg: TrainConfig, outDir: string, resume = false): Promise<OnPolicyRunner> {
  const r = await OnPolicyRunner.create({ config: cfg, backend: new CpuBackend(), outDir, resume, createSource: trainingEnvs });
  open.push(r);
  return r;
}

const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 's2r-run-'));
  dirs.push(d);
  return d;
};
const paramsOf = (dir: string) => (readCheckpoint(latestCheckpoint(path.join(dir, 'checkpoints'))!).arrays as unknown as { ppo: PpoState }).ppo.params;

describe('OnPolicyRunner', () => {
  it('stopping after k iterations and resuming gives bit-identical parameters to a straight run', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const cfg = smallConfig(seed);
    const straight = tmp();
    await (await runner(cfg, straight)).run();
    const split = tmp();
    const first = await runner(cfg, split);
    await first.run(3);
    await first.close();
    open.splice(open.indexOf(first), 1);
    const second = await runner(cfg, split, true);
    expect(second.iteration).toBe(3);
    await second.run();
    const a = paramsOf(straight), b = paramsOf(split);
    expect(b.length).toBe(a.length);
    expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength)), `seed ${seed}`).toBe(true);
    // the metrics of the resumed run continue where the first part stopped, identical to the straight run
    const ma = readMetrics(path.join(straight, 'metrics.jsonl')), mb = readMetrics(path.join(split, 'metrics.jsonl'));
    expect(mb.map((m) => m.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mb.map((m) => [m.mean_return, m.policy_loss, m.approx_kl, m.episode_alive])).toEqual(ma.map((m) => [m.mean_return, m.policy_loss, m.approx_kl, m.episode_alive]));
    // per-term episode sums: cartpole earns 1 per step alive, so the first iteration in which
    // episodes end reports their mean length (every episode so far ended in it); none ended → null
    const firstEnded = ma.findIndex((m) => (m.episodes as number) > 0);
    expect(firstEnded).toBeGreaterThanOrEqual(0);
    expect(ma[firstEnded]!.episode_alive).toBe(ma[firstEnded]!.mean_length);
    for (const m of ma) if (m.episodes === 0) expect(m.episode_alive).toBeNull();
    // each row splits its iteration into env, policy and update stages that add up to its wall time
    for (const m of ma) {
      const stages = [m.time_env_s, m.time_policy_s, m.time_update_s] as number[];
      for (const s of stages) expect(s).toBeGreaterThan(0);
      const iterS = (4 * 32) / (m.steps_per_s as number);
      const sum = stages.reduce((x, y) => x + y, 0);
      expect(sum).toBeLessThanOrEqual(iterS * 1.0001);
      expect(sum).toBeGreaterThan(iterS * 0.8); // the rest is bookkeeping of episode statistics
    }
  });

  it('a stop request ends the run after the current iteration with a checkpoint of it', async () => {
    const dir = tmp();
    const r = await runner(smallConfig(5, { checkpoint_every: 100 }), dir);
    const run = r.run();
    r.requestStop();
    expect(await run).toBe('stopped');
    expect(r.iteration).toBe(1);
    expect(readdirSync(path.join(dir, 'checkpoints'))).toEqual(['ckpt_000001.bin']);
    const cfg = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg.ppo.num_envs).toBe(4);
    expect(cfg.config_hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('stops after max_nonfinite_updates rolled-back updates, leaving the last good checkpoint', async () => {
    const dir = tmp();
    const r = await runner(smallConfig(6, { max_nonfinite_updates: 2 }), dir);
    await r.run(2);
    const good = paramsOf(dir).slice();
    // a numerical blow-up: rewards turn NaN from now on, so every update goes non-finite and is rolled back
    const origStep = r.source.step.bind(r.source);
    r.source.step = async (actions) => {
      const s = await origStep(actions);
      s.rewards[0] = NaN;
      return s;
    };
    await expect(r.run()).rejects.toThrow(/2 updates in a row produced NaN\/Inf and were rolled back/);
    expect(Array.from(paramsOf(dir))).toEqual(Array.from(good));
    expect(readMetrics(path.join(dir, 'metrics.jsonl')).slice(-2).map((m) => m.nonfinite_updates)).toEqual([1, 1]);
  });

  it('--init-from starts from another run\'s weights and observation statistics, with a fresh optimizer', async () => {
    const src = tmp();
    await (await runner(smallConfig(8), src)).run(2);
    const from = (readCheckpoint(latestCheckpoint(path.join(src, 'checkpoints'))!).arrays as unknown as { ppo: PpoState }).ppo;
    const warm = await OnPolicyRunner.create({ config: smallConfig(9), backend: new CpuBackend(), outDir: tmp(), initFrom: src, createSource: trainingEnvs });
    open.push(warm);
    const s = await warm.ppo.getState();
    expect(Array.from(s.params)).toEqual(Array.from(from.params));
    expect(Array.from(s.obsNormalizer.mean)).toEqual(Array.from(from.obsNormalizer.mean));
    expect(s.adam.step).toBe(0);
    expect(s.iteration).toBe(0);
  });

  it('refuses to overwrite a run with checkpoints; a run without one starts over, saying so', async () => {
    const dir = tmp();
    const first = await runner(smallConfig(7), dir);
    await first.run(1);
    // while it is open, the directory is locked
    await expect(OnPolicyRunner.create({ config: smallConfig(7), backend: new CpuBackend(), outDir: dir, resume: true, createSource: trainingEnvs }))
      .rejects.toThrow(`${dir} is in use by another trainer: pid ${process.pid} on this host`);
    await first.close();
    open.splice(open.indexOf(first), 1);
    expect(readdirSync(dir)).not.toContain('run.lock');
    await expect(OnPolicyRunner.create({ config: smallConfig(7), backend: new CpuBackend(), outDir: dir, createSource: trainingEnvs })).rejects.toThrow(/already holds a run/);
    // as if killed before its first checkpoint: config.json and a metrics line, no checkpoint
    rmSync(path.join(dir, 'checkpoints'), { recursive: true });
    const notices: string[] = [];
    const again = await OnPolicyRunner.create({ config: smallConfig(7), backend: new CpuBackend(), outDir: dir, resume: true, createSource: trainingEnvs, onNotice: (l) => notices.push(l) });
    open.push(again);
    expect(again.startedOver).toBe(true);
    expect(again.iteration).toBe(0);
    expect(notices).toEqual([`${dir}: the run stopped before its first checkpoint; starting it over from iteration 0 with its config.json`]);
    await again.run(2);
    expect(readMetrics(path.join(dir, 'metrics.jsonl')).map((m) => m.iteration)).toEqual([1, 2]);
  });
});

describe('training config', () => {
  it('is closed, typed and range-checked, naming the key (the CLI types --set strings: test/cli/overrides.test.ts)', () => {
    const task = getTask('cartpole');
    expect(() => resolveTrainConfig(task, 'cartpole', [{ num_wrokers: 2 }])).toThrow(/unknown key "num_wrokers"/);
    expect(() => resolveTrainConfig(task, 'cartpole', [{ ppo: { learning_rat: 1 } }])).toThrow(/unknown PPO key "learning_rat"/);
    expect(() => resolveTrainConfig(task, 'cartpole', [{ seed: -1 }])).toThrow(/seed must be an integer/);
    expect(() => resolveTrainConfig(task, 'cartpole', [{ dr: { friction: [2, 1] } }])).toThrow(/dr\.friction: lower bound/);
    expect(() => resolveTrainConfig(task, 'cartpole', [{ seed: '5' }])).toThrow(/config: seed must be an integer in \[0, 4294967295\], got "5"/);
    expect(() => resolveTrainConfig(task, 'cartpole', [{ tensorboard: 'true' }])).toThrow(/config: tensorboard must be true or false, got "true"/);
    expect(() => resolveTrainConfig(task, 'cartpole', [{ ppo: { learning_rate: '3e-4' } }])).toThrow(/config: ppo: learning_rate must be a number in \(0, 1\], got "3e-4"/);
    expect(() => resolveTrainConfig(task, 'cartpole', [{ dr: { friction: '0.4,1.2' } }])).toThrow(/dr\.friction: expected a number or a range \[lo, hi\], got "0\.4,1\.2"/);
    const c = resolveTrainConfig(task, 'cartpole', [{ ppo: { learning_rate: 3e-4, actor_hidden: [32, 16] }, tensorboard: true, dr: { friction: [0.4, 1.2] } }]);
    expect(c.ppo.learning_rate).toBe(3e-4);
    expect(c.ppo.actor_hidden).toEqual([32, 16]);
    expect(c.tensorboard).toBe(true);
    expect(c.dr.friction).toEqual([0.4, 1.2]);
    expect(c.ppo.total_iterations).toBe(Math.ceil(100_000 / (c.ppo.num_envs * c.ppo.num_steps)));
    const off = resolveTrainConfig(task, 'cartpole', [{ randomize: false }]);
    expect(off.dr.mass_scale).toEqual([1, 1]);
  });

  it('derives ppo.total_iterations from total_env_steps and refuses a layer that sets it, or that names another env', () => {
    const task = getTask('cartpole');
    const steps = 1 + Math.floor(Math.random() * 1e6);
    const numSteps = 1 + Math.floor(Math.random() * 256);
    const c = resolveTrainConfig(task, 'cartpole', [{ total_env_steps: steps, ppo: { num_steps: numSteps, minibatch_size: 16 } }]);
    expect(c.ppo.total_iterations).toBe(Math.max(1, Math.ceil(steps / (16 * numSteps))));
    expect(() => resolveTrainConfig(task, 'cartpole', [{ ppo: { total_iterations: 7 } }]))
      .toThrow(/config: ppo\.total_iterations is derived \(total_env_steps .*\) and cannot be set; give the env steps with --steps/);
    expect(() => resolveTrainConfig(task, 'cartpole', [{ env: 'pendulum' }])).toThrow(/config: env "pendulum" differs from the task being trained \("cartpole"\)/);
    expect(resolveTrainConfig(task, 'cartpole', [{ env: 'cartpole' }]).env).toBe('cartpole');
  });

  it('num_workers "auto" resolves to a count: one per core, at least 32 envs each; garbage names the choices', () => {
    const task = getTask('cartpole');
    expect(autoWorkerCount(16, 16)).toBe(1);
    expect(autoWorkerCount(512, 16)).toBe(16);
    expect(autoWorkerCount(512, 2)).toBe(2);
    expect(autoWorkerCount(100, 16)).toBe(3);
    const cores = os.availableParallelism();
    const c = resolveTrainConfig(task, 'cartpole', [{ num_workers: 'auto', ppo: { num_envs: 32 * cores + 5 } }]);
    expect(c.num_workers).toBe(cores);
    expect(resolveTrainConfig(task, 'cartpole', [{ num_workers: 'auto' }]).num_workers).toBe(1); // 16 envs
    expect(() => resolveTrainConfig(task, 'cartpole', [{ num_workers: 'many' }])).toThrow(/num_workers must be an integer in \[1, 1024\] or "auto", got "many"/);
  });
});
