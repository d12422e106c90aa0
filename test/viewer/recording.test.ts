import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeRecording, readRecording, RecordingError, RecordingWriter, stepLayout } from '../../src/robot/recording.ts';
import { recordEpisodes } from '../../src/viewer/record_episodes.ts';
import { EnvGroup } from '../../src/sim/env_group.ts';
import { cartpole } from '../../envs/cartpole.ts';
import type { RobotDescription } from '../../src/robot/robot_description.ts';

const dir = mkdtempSync(path.join(tmpdir(), 's2r-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scene: RobotDescription = {
  name: 'two', bodies: [
    { name: 'base', mergedLinks: ['base'], shapes: [{ kind: 'box', link: 'base', size: [1, 1, 1], pos: [0, 0, 0], quat: [0, 0, 0, 1] }], joint: null },
    { name: 'arm', mergedLinks: ['arm'], shapes: [{ kind: 'capsule', link: 'arm', radius: 0.1, length: 0.5, pos: [0, 0, 0.25], quat: [0, 0, 0, 1] }], joint: { name: 'j', type: 'revolute', axis: [0, 1, 0] } },
  ],
};
const header = { task: 'test', robot: 'two', controlDtS: 0.02, source: 'vitest', scene, observations: ['a', 'b', 'c'], actions: ['u'], rewardTerms: ['alive', 'cost'] };
const rand = (n: number) => Array.from({ length: n }, () => Math.fround(Math.random() * 4 - 2));

/** Writes two episodes of random data; returns what was written. */
function writeSample(file: string) {
  const w = RecordingWriter.open(file, header);
  const episodes = [5, 3].map((steps, e) => {
    w.beginEpisode({ env: e, dr: { friction: 0.5 + e } });
    const rows = Array.from({ length: steps }, () => ({ poses: rand(14), obs: rand(3), actions: rand(1), reward: Math.fround(Math.random()), terms: rand(2) }));
    for (const r of rows) w.addStep(r);
    w.endEpisode({ terminated: e === 0 });
    return rows;
  });
  w.close();
  return episodes;
}

describe('recordings', () => {
  it('round-trips header, episode facts and every per-step value (float32-exact)', () => {
    const file = path.join(dir, 'rt.rec');
    const written = writeSample(file);
    const rec = readRecording(file);
    expect(rec.header).toMatchObject({ ...header, version: 1, format: 'sim2real.recording' });
    const L = stepLayout(rec.header);
    expect(L.stride).toBe(14 + 3 + 1 + 1 + 2);
    expect(rec.episodes.map((e) => e.meta)).toMatchObject([
      { env: 0, steps: 5, terminated: true, dr: { friction: 0.5 } },
      { env: 1, steps: 3, terminated: false, dr: { friction: 1.5 } },
    ]);
    written.forEach((rows, e) => rows.forEach((r, k) => {
      const row = Array.from(rec.episodes[e]!.data.subarray(k * L.stride, (k + 1) * L.stride));
      expect(row).toEqual([...r.poses, ...r.obs, ...r.actions, r.reward, ...r.terms]);
    }));
    const ret = written[0]!.reduce((a, r) => a + r.reward, 0);
    expect(rec.episodes[0]!.meta.return).toBeCloseTo(ret, 5);
  });

  it('refuses a wrongly sized step, naming the field', () => {
    const w = RecordingWriter.open(path.join(dir, 'bad-step.rec'), header);
    w.beginEpisode();
    expect(() => w.addStep({ poses: rand(14), obs: rand(2), actions: rand(1), reward: 0, terms: rand(2) })).toThrow(/obs has 2 values, the header declares 3/);
    w.close();
  });

  it('rejects corrupt and truncated files with a message saying what is wrong', () => {
    const file = path.join(dir, 'c.rec');
    writeSample(file);
    const good = readFileSync(file);
    const bad = (bytes: Uint8Array) => () => decodeRecording(bytes, 'x.rec');
    expect(bad(Buffer.from('hello world, not a recording'))).toThrow(/recording x.rec: not a sim2real recording/);
    expect(bad(good.subarray(0, 8))).toThrow(/header is missing/);
    expect(bad(good.subarray(0, 30))).toThrow(/header is truncated/);
    // cut inside the last episode's step data
    expect(bad(good.subarray(0, good.length - 5))).toThrow(/episode 1 is truncated \(its step data needs \d+ bytes, \d+ left\)/);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 0xff;
    expect(bad(flipped)).toThrow(/episode 1: checksum mismatch/);
    const v2 = Buffer.from(good.toString('latin1').replace('"version":1', '"version":7'), 'latin1');
    expect(bad(v2)).toThrow(/written as version 7; this build reads version 1/);
    expect(bad(good.subarray(0, good.length - 5))).toThrow(RecordingError);
    writeFileSync(path.join(dir, 'empty.rec'), '');
    expect(() => readRecording(path.join(dir, 'empty.rec'))).toThrow(/not a sim2real recording/);
    expect(() => readRecording(path.join(dir, 'missing.rec'))).toThrow(/file not found/);
  });

  it('records evaluation episodes whose first poses are those of an identically seeded env group', async () => {
    const file = path.join(dir, 'eval.rec');
    const zero = async (obs: Float32Array) => new Float32Array((obs.length / 4) * 1);
    const n = await recordEpisodes({ task: cartpole, policy: zero, episodes: 2, seed: 5, dr: cartpole.dr, file, source: 'vitest' });
    expect(n).toBe(2);
    const rec = readRecording(file);
    expect(rec.header.observations).toEqual(cartpole.observations.map((s) => s.name));
    const ref = await EnvGroup.create({ task: cartpole, numEnvs: 2, firstEnvIndex: 0, seed: 5, dr: cartpole.dr });
    const L = stepLayout(rec.header);
    const pose = new Float64Array(7);
    for (const ep of rec.episodes) {
      expect(ep.meta.steps).toBeGreaterThan(5);
      expect(ep.meta.dr.mass_scale).toBe(ref.sample(ep.meta.env).mass_scale);
      for (let b = 0; b < rec.header.scene.bodies.length; b++) {
        ref.robot(ep.meta.env).readLinkPose(b, pose);
        for (let j = 0; j < 7; j++) expect(ep.data[L.poses + 7 * b + j]).toBeCloseTo(pose[j]!, 6);
      }
      const obs = Array.from(ep.data.subarray(L.obs, L.actions));
      expect(obs).toEqual(Array.from(ref.buffers.obs.subarray(ep.meta.env * 4, ep.meta.env * 4 + 4)));
    }
    ref.dispose();
  });
});
