/** The plain-line progress display (logs, CI): the ETA of a resumed run counts this process's rate only. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/cli/progress.ts';

describe('progress lines', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
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
