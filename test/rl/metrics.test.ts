import { randomInt } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MetricsWriter, readMetrics, type MetricsRow } from '../../src/rl/metrics.ts';
import { readScalarEvents, TensorBoardWriter } from '../../src/rl/tensorboard.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'metrics-test-'));
  file = join(dir, 'metrics.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function row(iteration: number): MetricsRow {
  return {
    iteration,
    env_steps: iteration * 2048,
    mean_return: Math.random() * 500,
    policy_loss: Math.random() - 0.5,
    approx_kl: Math.random() * 0.02,
    learning_rate: 1e-3,
    nonfinite_updates: 0,
  };
}

function writeRun(iterations: number): MetricsRow[] {
  const w = new MetricsWriter(file);
  const rows = Array.from({ length: iterations }, (_, i) => row(i + 1));
  for (const r of rows) w.write(r);
  w.close();
  return rows;
}

describe('MetricsWriter', () => {
  it('writes one JSON object per line, each on disk as soon as it is written', () => {
    const w = new MetricsWriter(file);
    const rows = [row(1), { ...row(2), value_loss: NaN, entropy: Infinity, note: 'x' }];
    w.write(rows[0]!);
    expect(readMetrics(file)).toEqual([rows[0]]);
    w.write(rows[1]!);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
    expect(readMetrics(file)[1]).toEqual({ ...rows[1], value_loss: null, entropy: null }); // JSON has no NaN
    w.close();
    expect(() => w.write(row(3))).toThrow('closed');
  });

  it('refuses to overwrite another run and to write iterations out of order', () => {
    writeRun(2);
    expect(() => new MetricsWriter(file)).toThrow(`${file} already holds metrics; resume that run or choose a new run directory`);
    const w = new MetricsWriter(file, { resumeIteration: 2 });
    expect(() => w.write(row(2))).toThrow('metrics iteration must be an integer above 2, got 2');
    expect(() => w.write({ ...row(3), obs_mean: new Float32Array(2) })).toThrow('metrics field obs_mean of iteration 3 is not a JSON value');
    w.write(row(3));
    expect(() => w.write(row(3))).toThrow('above 3');
    w.close();
  });

  it('a resumed run cuts the lines past its checkpoint (and a torn last line) and continues', () => {
    const total = randomInt(5, 20);
    const rows = writeRun(total);
    const original = readFileSync(file, 'utf8');
    appendFileSync(file, '{"iteration": 99, "env_st'); // a crash mid-line
    const resumeAt = randomInt(1, total);
    const w = new MetricsWriter(file, { resumeIteration: resumeAt });
    const kept = original.split('\n').slice(0, resumeAt).join('\n') + '\n';
    expect(readFileSync(file, 'utf8')).toBe(kept); // earlier lines byte for byte
    const next = row(resumeAt + 1);
    w.write(next);
    w.close();
    expect(readMetrics(file)).toEqual([...rows.slice(0, resumeAt), next]);
    // Resuming at the last line keeps everything; resuming before the first keeps nothing.
    new MetricsWriter(file, { resumeIteration: resumeAt + 1 }).close();
    expect(readMetrics(file)).toHaveLength(resumeAt + 1);
    new MetricsWriter(file, { resumeIteration: 0 }).close();
    expect(readFileSync(file, 'utf8')).toBe('');
    const fresh = join(dir, 'none', 'metrics.jsonl');
    new MetricsWriter(fresh, { resumeIteration: 3 }).close(); // a run resumed without its metrics starts a new file
    expect(existsSync(fresh) && readFileSync(fresh, 'utf8')).toBe('');
  });

  it('mirrors numeric fields to TensorBoard as train/<key> at the env-step count', () => {
    const tb = new TensorBoardWriter(join(dir, 'tensorboard'));
    const w = new MetricsWriter(file, { tensorboard: tb });
    const rows = [row(1), { ...row(2), value_loss: NaN, backend: 'cpu', ok: true }];
    for (const r of rows) w.write(r);
    // Flushed per line: visible before anything is closed.
    const events = readScalarEvents(tb.file);
    const expected = rows.flatMap((r) =>
      Object.entries(r)
        .filter(([k, v]) => typeof v === 'number' && k !== 'iteration' && k !== 'env_steps')
        .map(([k, v]) => ({ tag: `train/${k}`, step: r.env_steps as number, value: Math.fround(v as number) })),
    );
    expect(events.map(({ tag, step, value }) => ({ tag, step, value }))).toEqual(expected);
    w.close();
    tb.close();

    // A resume marks a restart just past the last kept step, so TensorBoard drops the abandoned points.
    const tb2 = new TensorBoardWriter(join(dir, 'tensorboard'));
    const start = vi.spyOn(tb2, 'sessionStart');
    const w2 = new MetricsWriter(file, { resumeIteration: 1, tensorboard: tb2, stepKey: 'iteration' });
    expect(start).toHaveBeenCalledWith(2);
    w2.write(row(2));
    w2.close();
    tb2.close();
    expect(readScalarEvents(tb2.file).every((e) => e.step === 2)).toBe(true);
  });
});

describe('readMetrics', () => {
  it('names the file and line of a damaged line', () => {
    writeRun(3);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = '{"iteration": 2, "mean_ret';
    writeFileSync(file, lines.join('\n'));
    expect(() => readMetrics(file)).toThrow(`${file}:2: not JSON`);
    writeFileSync(file, '{"no_iteration": 1}\n');
    expect(() => readMetrics(file)).toThrow(`${file}:1: not a metrics object with an integer "iteration"`);
  });
});
