/**
 * Telemetry files: rotated, kept under the disk bound with the oldest files going first, every
 * kept file a whole recording; a file an agent killed outright left behind is recovered when it
 * reads back whole.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Telemetry } from '../../src/agent/telemetry.ts';
import { TelemetryLayout } from '../../src/agent/telemetry_layout.ts';
import { policyInfo, safetyLimitsFor } from '../../src/bridge/limits.ts';
import { OnnxPolicy } from '../../src/onnx/onnx_policy.ts';
import { readRecording } from '../../src/robot/recording.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { shipped } from './helpers.ts';

async function cartpoleLayout(): Promise<TelemetryLayout> {
  const spec = loadRobotSpec('cartpole'), model = loadUrdf(spec.urdfPath);
  const p = await OnnxPolicy.fromBytes(shipped('cartpole'));
  await p.dispose();
  return new TelemetryLayout(spec, model, policyInfo(p.contract, safetyLimitsFor(p.contract, spec, model)), 'test');
}

function step(seq: number) {
  const obs = Float32Array.from({ length: 4 }, () => Math.random() - 0.5);
  return { seq, tMs: 20 * seq, obs, decision: { kind: 'action' as const, seq, tMs: 20 * seq, command: [Math.random()], raw: [Math.random()], latencyMs: 0.1, limited: false } };
}

const dirBytes = (dir: string) => readdirSync(dir).reduce((a, f) => a + statSync(path.join(dir, f)).size, 0);

describe('telemetry files', () => {
  it('rotate and stay under the disk bound, oldest first; each kept file reads back whole', async () => {
    const layout = await cartpoleLayout();
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-telemetry-'));
    const maxBytes = 60_000;
    const t = new Telemetry(layout, { dir, maxBytes, fileBytes: 12_000, episodeSteps: 50, log: () => {} });
    let seq = 0;
    const names = new Set<string>();
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 100; i++) t.record('robot', step(seq++), 1);
      // let the writer catch up (each episode handed over is answered with a report)
      while (t.stats().episodes_written < 2 * (round + 1)) await new Promise((r) => setImmediate(r));
      for (const f of readdirSync(dir)) names.add(f);
      expect(dirBytes(dir)).toBeLessThanOrEqual(maxBytes);
    }
    await t.close();
    const kept = readdirSync(dir).sort();
    for (const f of kept) names.add(f);
    expect(kept.every((f) => /^telemetry-.*\.rec$/.test(f))).toBe(true);
    expect(dirBytes(dir)).toBeLessThanOrEqual(maxBytes);
    expect(t.stats().files_deleted).toBeGreaterThan(0);
    // the oldest went: what is kept is the newest, in order
    const all = [...names].filter((f) => f.endsWith('.rec')).sort();
    expect(kept).toEqual(all.slice(-kept.length));
    const steps = kept.reduce((a, f) => a + readRecording(path.join(dir, f)).episodes.reduce((b, e) => b + e.meta.steps, 0), 0);
    expect(steps).toBeGreaterThan(0);
    expect(steps % 50).toBe(0);
  });

  it('a file left by a killed agent is recovered into place when whole', async () => {
    const layout = await cartpoleLayout();
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-telemetry-'));
    const t = new Telemetry(layout, { dir, maxBytes: 1 << 20, episodeSteps: 10, log: () => {} });
    for (let i = 0; i < 30; i++) t.record('robot', step(i), 2);
    await t.close();
    const [file] = readdirSync(dir);
    // as a killed writer leaves it: still under its temporary name, from another process
    const leftover = `.${file}.tmp-999999-0a0b0c0d`;
    renameSync(path.join(dir, file!), path.join(dir, leftover));
    const again = new Telemetry(layout, { dir, maxBytes: 1 << 20, log: () => {} });
    await again.close();
    expect(readdirSync(dir)).toEqual([file]);
    expect(readRecording(path.join(dir, file!)).episodes.map((e) => e.meta.steps)).toEqual([10, 10, 10]);
  });
});
