import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getTask } from '../../envs/index.ts';
import { fitParameters, checkFitParams } from '../../src/calibrate/fit.ts';
import { replayColumns } from '../../src/calibrate/replay.ts';
import { CalibrationInputError, readSessionLog } from '../../src/calibrate/session_log.ts';
import { calibrationLayer } from '../../src/calibrate/config_layer.ts';
import { configLayers, TRAIN_SHAPE } from '../../src/cli/overrides.ts';
import { resolveTrainConfig } from '../../src/rl/config.ts';
import { readRecording, RecordingWriter, stepLayout } from '../../src/robot/recording.ts';
import { lastJson, runCli } from '../cli/run_cli.ts';
import { recordSession } from './record_session.ts';

const dir = mkdtempSync(path.join(tmpdir(), 's2r-calibrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => (Math.random() * 2 ** 31) >>> 0;

/** Balances the pole: a linear state feedback (force toward the lean), in action units (×10 N). */
const balance = (obs: Float32Array, out: Float32Array) => {
  out[0] = 0.1 * obs[0]! + 0.15 * obs[1]! + 1.8 * obs[2]! + 0.3 * obs[3]!;
};

describe('calibrate recovers hidden cartpole dynamics from a recorded session', () => {
  it('motor strength within 10% and latency exactly, with a lower error after than before', async () => {
    const seed = fresh();
    const strength = 0.6 + 0.7 * ((seed % 1000) / 1000);
    const latency = seed % 3;
    const task = getTask('cartpole');
    const file = path.join(dir, `cartpole-${seed}.rec`);
    await recordSession({ task, file, shift: { motor_strength: strength, latency_steps: latency }, episodes: 3, seed, maxSteps: 150, noise: 0.3, controller: balance });
    const { spec, columns } = replayColumns(task);
    const log = readSessionLog(file, task, spec, columns);
    expect(log.stateColumns).toEqual(['state.q.slider', 'state.q.hinge', 'state.qd.slider', 'state.qd.hinge']);
    const r = await fitParameters({ task, log, params: checkFitParams(task, ['motor_strength', 'latency_steps']), budget: 160, horizon: 10, windows: 32, folds: 4, population: 16, seed });
    const ms = r.fitted.motor_strength!, lat = r.fitted.latency_steps!;
    const what = `seed ${seed}: true ${strength.toFixed(3)}/${latency}, fitted ${ms.value.toFixed(3)} ± ${ms.uncertainty.toFixed(3)} / ${lat.value}`;
    expect(Math.abs(ms.value - strength) / strength, what).toBeLessThan(0.1);
    expect(lat.value, what).toBe(latency);
    expect(r.error_after, what).toBeLessThan(r.error_before);
    expect(ms.uncertainty).toBeGreaterThanOrEqual(0);
    // the layer centres the ranges on the fit and train --config takes it
    const layer = calibrationLayer(r.fitted);
    const [lo, hi] = layer.dr.motor_strength!;
    expect((lo + hi) / 2).toBeCloseTo(ms.value, 4);
    expect(hi - lo).toBeGreaterThan(0);
    expect(layer.dr.latency_steps).toEqual([latency, latency]);
    const cfgFile = path.join(dir, `calib-${seed}.json`);
    writeFileSync(cfgFile, JSON.stringify(layer));
    const cfg = resolveTrainConfig(task, 'cartpole', configLayers(cfgFile, [], TRAIN_SHAPE));
    expect(cfg.dr.motor_strength).toEqual([lo, hi]);
  }, 120_000);
});

describe('calibrate refuses bad input with one line and exit 2', () => {
  const cartLog = path.join(dir, 'cart.rec');
  const setup = recordSession({ task: getTask('cartpole'), file: cartLog, shift: {}, episodes: 1, seed: fresh(), maxSteps: 40, noise: 0.2, controller: balance });

  const expectUsage = (args: string[], pattern: RegExp) => {
    const r = runCli('calibrate', ...args);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length, r.stderr).toBe(1);
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('a log of another task', async () => {
    await setup;
    expectUsage(['--env', 'pendulum', '--log', cartLog], /recorded from task cartpole, not pendulum/);
  }, 60_000);

  it('a log of another robot', async () => {
    await setup;
    const rec = readRecording(cartLog);
    const other = path.join(dir, 'other-robot.rec');
    const { format: _f, version: _v, ...header } = rec.header;
    const w = RecordingWriter.open(other, { ...header, robot: 'cartpole_long' });
    const L = stepLayout(rec.header);
    for (const { meta, data } of rec.episodes) {
      w.beginEpisode({ env: meta.env, dr: meta.dr });
      for (let t = 0; t < meta.steps; t++) {
        const row = data.subarray(t * L.stride, (t + 1) * L.stride);
        w.addStep({ poses: row.subarray(0, L.obs), obs: row.subarray(L.obs, L.actions), actions: row.subarray(L.actions, L.reward), reward: row[L.reward]!, terms: row.subarray(L.terms) });
      }
      w.endEpisode({ terminated: meta.terminated });
    }
    w.close();
    expectUsage(['--env', 'cartpole', '--log', other], /recorded on robot cartpole_long, not cartpole/);
  }, 60_000);

  it('a truncated log', async () => {
    await setup;
    const cut = path.join(dir, 'cut.rec');
    const bytes = readFileSync(cartLog);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1 - Math.floor(Math.random() * 100)));
    expectUsage(['--env', 'cartpole', '--log', cut], /truncated/);
  }, 60_000);

  it('a parameter the task does not randomize, and one a replay cannot fit', async () => {
    await setup;
    expectUsage(['--env', 'cartpole', '--log', cartLog, '--params', 'friction'], /friction: task cartpole does not randomize it/);
    expectUsage(['--env', 'cartpole', '--log', cartLog, '--params', 'obs_noise'], /obs_noise: cannot be fitted/);
    expect(() => checkFitParams(getTask('cartpole'), ['warp_factor'])).toThrow(CalibrationInputError);
  }, 60_000);

  it('a log without the state to replay from (an eval recording)', async () => {
    await setup;
    const rec = readRecording(cartLog);
    expect(rec.header.rewardTerms).toContain('state.q.hinge');
    const noState = path.join(dir, 'eval.rec');
    const r = runCli('eval', '--env', 'cartpole', '--policy', 'policies/cartpole.onnx', '--episodes', '1', '--record', noState);
    expect(r.code, r.stderr).toBe(0);
    expectUsage(['--env', 'cartpole', '--log', noState], /no state to replay from/);
  }, 60_000);

  it('prints the fit as one JSON line and writes the layer', async () => {
    await setup;
    const out = path.join(dir, 'layer.json');
    const r = runCli('calibrate', '--env', 'cartpole', '--log', cartLog, '--params', 'motor_strength', '--budget', '32', '--windows', '8', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout) as { fitted: Record<string, { value: number; uncertainty: number }>; error_before: number; error_after: number };
    expect(Object.keys(j.fitted)).toEqual(['motor_strength']);
    expect(Number.isFinite(j.fitted.motor_strength!.value)).toBe(true);
    expect(JSON.parse(readFileSync(out, 'utf8')).dr.motor_strength).toHaveLength(2);
  }, 60_000);
});
