/**
 * The plain-line progress display (logs, CI): the ETA of a resumed run counts this process's rate
 * only, a figure that does not exist yet shows as `–`, and each state is printed once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/cli/progress.ts';

describe('progress lines', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** Plain lines (no TTY) written while `body` runs, with fake timers. */
  function plainLines(body: () => void): string[] {
    const isTTY = process.stderr.isTTY;
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    vi.useFakeTimers();
    try {
      body();
    } finally {
      Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true });
    }
    return lines;
  }

  it('shows – for a figure that does not exist yet and for an ETA before any progress, never NaN; counts as integers', () => {
    const lines = plainLines(() => {
      const p = createProgress('train x', 10, 'iterations', { lineEveryS: 0 });
      p.update(0, { return: null, steps: 32 });
      vi.advanceTimersByTime(1000);
      p.update(1, { return: 12.25, steps: 64, 'steps/s': 1234.5 });
    });
    expect(lines[0]).toBe('train x: 0/10 iterations (0%) | return – | steps 32 | 0 s, ETA –\n');
    expect(lines[1]).toMatch(/^train x: 1\/10 iterations \(10%\) \| return 12\.3 \| steps 64 \| steps\/s 1235 \| 1 s, ETA 9 s\n$/);
    expect(lines.join('')).not.toMatch(/NaN|\?/);
  });

  it('stop() prints the last state only if it was not printed yet', () => {
    const lines = plainLines(() => {
      const p = createProgress('train x', 3, 'iterations', { lineEveryS: 5 });
      p.update(1, { return: 1 }); // printed: the first line comes at once
      p.update(2, { return: 2 }); // within 5 s: held back
      p.stop(); // prints 2/3
      const q = createProgress('train y', 1, 'iterations', { lineEveryS: 5 });
      q.update(1, { return: 3 }); // printed
      q.stop(); // nothing new to say
      q.stop();
    });
    expect(lines.map((l) => l.split(' |')[0])).toEqual(['train x: 1/3 iterations (33%)', 'train x: 2/3 iterations (67%)', 'train y: 1/1 iterations (100%)']);
  });

  it('a run resumed at iteration 100 of 200 that did 10 more in 10 s has 90 s to go, not 8', () => {
    const isTTY = process.stderr.isTTY;
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    vi.useFakeTimers();
    try {
      const p = createProgress('train x', 200, 'iterations', { start: 100, lineEveryS: 0 });
      vi.advanceTimersByTime(10_000);
      p.update(110, { return: 1.5 });
      expect(lines.at(-1)).toMatch(/110\/200 iterations \(55%\) \| return 1\.5\d* \| 10 s, ETA 90 s/);
      const fresh = createProgress('train x', 200, 'iterations', { lineEveryS: 0 });
      vi.advanceTimersByTime(10_000);
      fresh.update(50, {});
      expect(lines.at(-1)).toMatch(/ETA 30 s/);
    } finally {
      Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true });
    }
  });
});
