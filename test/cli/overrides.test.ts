/**
 * `--set` and `--config` as a user meets them: strings are typed once, by the key's declared
 * type, and reach the resolved config as the values they spell; keys and values the config does
 * not take are one-line usage errors naming the key; prototype names are refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configLayers, DR_SHAPE, parseNumberPairs, parseSets, TRAIN_SHAPE, typeString } from '../../src/cli/overrides.ts';
import { planTrainRun, type TrainOpts } from '../../src/cli/train.ts';
import { UsageError } from '../../src/cli/common.ts';

const root = path.resolve(import.meta.dirname, '../..');
function s2r(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/sim2real.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 's2r-overrides-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const randInt = (lo: number, hi: number) => Math.floor(rand(lo, hi + 1));
const pick = <T>(xs: readonly T[]): T => xs[randInt(0, xs.length - 1)] as T;
const train = (o: Partial<TrainOpts>) => planTrainRun({ backend: 'cpu', randomize: true, env: 'cartpole', ...o });

describe('--set typing', () => {
  it('random valid values of every kind reach the resolved config as the values they spell', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const lo = rand(0, 5);
      const want = {
        seed: randInt(0, 2 ** 32 - 1), total_env_steps: randInt(1, 1e9), checkpoint_every: randInt(1, 1000), tensorboard: Math.random() < 0.5,
        learning_rate: rand(1e-6, 1), gamma: rand(0, 1), num_epochs: randInt(1, 20), clip_value_loss: Math.random() < 0.5,
        lr_schedule: pick(['fixed', 'linear', 'adaptive'] as const), actor_hidden: Array.from({ length: randInt(1, 4) }, () => randInt(1, 512)),
        friction: [lo, lo + rand(0, 5)], latency_steps: randInt(0, 5), obs_noise: rand(0, 2),
      };
      const { config } = await train({
        set: [
          `seed=${want.seed}`, ` total_env_steps = ${want.total_env_steps} `, `checkpoint_every=${want.checkpoint_every}`, `tensorboard=${want.tensorboard}`,
          `ppo.learning_rate=${want.learning_rate}`, `ppo.gamma=${want.gamma}`, `ppo.num_epochs=${want.num_epochs}`, `ppo.clip_value_loss=${want.clip_value_loss}`,
          `ppo.lr_schedule=${want.lr_schedule}`, `ppo.actor_hidden=${want.actor_hidden.join(', ')}`,
          `dr.friction=${want.friction.join(',')}`, `dr.latency_steps=${want.latency_steps}`, `dr.obs_noise=${want.obs_noise}`,
        ],
      });
      expect(config).toMatchObject({ seed: want.seed, total_env_steps: want.total_env_steps, checkpoint_every: want.checkpoint_every, tensorboard: want.tensorboard });
      expect(config.ppo).toMatchObject({
        learning_rate: want.learning_rate, gamma: want.gamma, num_epochs: want.num_epochs, clip_value_loss: want.clip_value_loss,
        lr_schedule: want.lr_schedule, actor_hidden: want.actor_hidden,
      });
      expect(config.dr.friction).toEqual(want.friction);
      expect(config.dr.latency_steps).toEqual([want.latency_steps, want.latency_steps]);
      expect(config.dr.obs_noise).toEqual([want.obs_noise, want.obs_noise]);
    }
  });

  it('the same values from a --config file (JSON values, or strings spelled as --set spells them) resolve the same', async () => {
    const lr = rand(1e-6, 1);
    const hidden = [randInt(1, 300), randInt(1, 300)];
    const dir = tmp();
    const typed = path.join(dir, 'typed.json');
    const strings = path.join(dir, 'strings.json');
    writeFileSync(typed, JSON.stringify({ seed: 9, num_workers: 'auto', randomize: false, ppo: { learning_rate: lr, critic_hidden: hidden }, dr: { gravity: [9, 10] } }));
    writeFileSync(strings, JSON.stringify({ seed: '9', num_workers: 'auto', randomize: 'false', ppo: { learning_rate: String(lr), critic_hidden: hidden.join(',') }, dr: { gravity: '9,10' } }));
    const a = (await train({ config: typed })).config;
    const b = (await train({ config: strings })).config;
    const c = (await train({ set: ['seed=9', 'num_workers=auto', 'randomize=false', `ppo.learning_rate=${lr}`, `ppo.critic_hidden=${hidden.join(',')}`, 'dr.gravity=9,10'] })).config;
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(a).toMatchObject({ seed: 9, num_workers: 1, randomize: false, ppo: { learning_rate: lr, critic_hidden: hidden } });
    // --set wins over the file; the flags win over both
    const d = (await train({ config: typed, set: ['seed=4', 'ppo.learning_rate=0.5'], seed: 11 })).config;
    expect(d).toMatchObject({ seed: 11, ppo: { learning_rate: 0.5, critic_hidden: hidden } });
  });

  it('a string is read by its key\'s declared type only; what does not read as one is left for the owner to refuse', () => {
    const x = rand(-1e6, 1e6);
    expect(typeString('number', ` ${x} `)).toBe(x);
    expect(typeString('integer', '1e3')).toBe(1000);
    expect(typeString('integer', 'auto')).toBe('auto');
    expect(typeString('number', '')).toBe('');
    expect(typeString('boolean', 'true')).toBe(true);
    expect(typeString('boolean', 'yes')).toBe('yes');
    expect(typeString('numbers', '64')).toEqual([64]);
    expect(typeString('numbers', '0.4, 1.2')).toEqual([0.4, 1.2]);
    expect(typeString('numbers', '64,,64')).toBe('64,,64');
    expect(typeString('string', '1e3')).toBe('1e3');
    // unknown keys stay strings: their owner names them
    expect(parseSets(['ppo.lr=0.1', 'dr.frictoin=1,2', 'seeed=3'], TRAIN_SHAPE)).toEqual({ ppo: { lr: '0.1' }, dr: { frictoin: [1, 2] }, seeed: '3' });
    expect(configLayers(undefined, ['dr.friction=0.5'], { dr: DR_SHAPE })).toEqual([{}, { dr: { friction: [0.5] } }]);
  });

  it('refuses prototype names in --set, --config and k=v flags, and touches no prototype', async () => {
    for (const pair of ['__proto__.num_steps=16', 'ppo.__proto__.num_steps=16', 'constructor.x=1', 'dr.constructor=1', 'prototype=1', 'ppo.prototype.x=2']) {
      const name = /(__proto__|constructor|prototype)/.exec(pair)?.[1];
      await expect(train({ set: [pair] })).rejects.toThrow(new UsageError(`--set ${pair}: "${name}" is a reserved name, not a config key`));
    }
    const file = path.join(tmp(), 'proto.json');
    writeFileSync(file, '{"ppo": {"__proto__": {"num_steps": 16}}}');
    await expect(train({ config: file })).rejects.toThrow(`--config ${file}: "ppo.__proto__" holds a reserved name, not a config key`);
    expect(() => parseNumberPairs('--shift', ['__proto__=1'], 'key=value')).toThrow('--shift __proto__=1: "__proto__" is a reserved name, not a key');
    expect(({} as Record<string, unknown>).num_steps).toBeUndefined();
    expect(parseNumberPairs('--shift', ['friction = 0.3', 'mass=1.3', 'friction=0.4'], 'key=value')).toEqual({ friction: 0.4, mass: 1.3 });
    expect(() => parseNumberPairs('--shift', ['friction='], 'key=value')).toThrow('--shift friction=: value must be a number');
  });

  it('ppo.total_iterations is refused with a pointer to --steps; --steps sets it', async () => {
    await expect(train({ set: ['ppo.total_iterations=7'] })).rejects.toThrow(/ppo\.total_iterations is derived .* cannot be set; give the env steps with --steps/);
    const steps = randInt(1, 1e6);
    const { config } = await train({ steps });
    expect(config.ppo.total_iterations).toBe(Math.ceil(steps / (config.ppo.num_envs * config.ppo.num_steps)));
  });
});

describe('sim2real train / bench sim: bad --set and --config input is one line and exit 2, naming the key', () => {
  it('train refuses prototype keys, total_iterations, unknown keys and values that do not read as their type', () => {
    const out = path.join(tmp(), 'never');
    const cases: [string[], RegExp][] = [
      [['--set', '__proto__.num_steps=16'], /--set __proto__\.num_steps=16: "__proto__" is a reserved name, not a config key/],
      [['--set', 'constructor.x=1'], /"constructor" is a reserved name/],
      [['--set', 'ppo.prototype=1'], /"prototype" is a reserved name/],
      [['--set', 'ppo.total_iterations=100'], /ppo\.total_iterations is derived .* give the env steps with --steps/],
      [['--set', 'ppo.learning_rate=fast'], /ppo: learning_rate must be a number in \(0, 1\], got "fast"/],
      [['--set', 'ppo.gamma=1.5'], /ppo: gamma must be a number in \[0, 1\], got 1\.5/],
      [['--set', 'seed='], /seed must be an integer in \[0, 4294967295\], got ""/],
      [['--set', 'tensorboard=yes'], /tensorboard must be true or false, got "yes"/],
      [['--set', 'dr.friction=0.4,abc'], /dr\.friction: expected a number or a range \[lo, hi\], got "0\.4,abc"/],
      [['--set', 'dr.frictoin=1'], /dr\.frictoin: unknown randomization key/],
      [['--set', 'env=pendulum'], /env "pendulum" differs from the task being trained \("cartpole"\)/],
    ];
    for (const [args, message] of cases) {
      const r = s2r('train', '--env', 'cartpole', '--steps', '2048', '--out', out, ...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('sim2real:'))).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('bench sim types its dr ranges once: a valid range runs, a bad one is refused naming the key', () => {
    const ok = s2r('bench', 'sim', '--envs', '4', '--steps', '5', '--set', 'dr.friction=0.4,1.2', '--set', 'dr.latency_steps=1', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const bad = s2r('bench', 'sim', '--envs', '4', '--steps', '5', '--set', 'dr.latency_steps=0,1.5');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/dr\.latency_steps: must be whole/);
    const proto = s2r('bench', 'sim', '--envs', '4', '--steps', '5', '--set', 'dr.__proto__=1');
    expect(proto.code).toBe(2);
    expect(proto.stderr).toMatch(/"__proto__" is a reserved name/);
  });
});
