import { describe, expect, it } from 'vitest';
import { CrossEntropySearch, minimizeCem, type CemDim } from '../../src/calibrate/cem.ts';

const fresh = () => (Math.random() * 2 ** 31) >>> 0;

describe('cross-entropy method on known functions', () => {
  it('finds the minimum of a shifted 4-d sphere within 1% of the box width', async () => {
    const seed = fresh();
    const target = Array.from({ length: 4 }, (_, i) => -2 + 4 * ((seed * (i + 7)) % 1000) / 1000);
    const dims: CemDim[] = target.map(() => ({ lo: -5, hi: 5, integer: false }));
    const f = (xs: number[][]) => xs.map((x) => x.reduce((s, v, i) => s + (v - (target[i] as number)) ** 2, 0));
    const r = await minimizeCem(f, dims, 40, { seed, population: 24 });
    r.x.forEach((v, i) => expect(Math.abs(v - (target[i] as number)), `seed ${seed} dim ${i}`).toBeLessThan(0.1));
  });

  it('finds the minimum (1, 3) of the correlated Booth function within 0.05', async () => {
    const seed = fresh();
    const f = (xs: number[][]) => xs.map(([x = 0, y = 0]) => (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2);
    const r = await minimizeCem(f, [{ lo: -10, hi: 10, integer: false }, { lo: -10, hi: 10, integer: false }], 60, { seed, population: 24 });
    expect(Math.abs(r.x[0]! - 1), `seed ${seed}: ${r.x}`).toBeLessThan(0.05);
    expect(Math.abs(r.x[1]! - 3), `seed ${seed}: ${r.x}`).toBeLessThan(0.05);
  });

  it('fits a whole number exactly and a continuous one beside it (mixed quadratic)', async () => {
    const seed = fresh();
    const n0 = 1 + (seed % 5), x0 = 0.2 + ((seed >>> 3) % 600) / 1000;
    const f = (xs: number[][]) => xs.map(([x = 0, n = 0]) => 4 * (x - x0) ** 2 + 0.3 * (n - n0) ** 2 + 0.2 * (x - x0) * (n - n0));
    const r = await minimizeCem(f, [{ lo: 0, hi: 1.5, integer: false }, { lo: 0, hi: 6, integer: true }], 30, { seed });
    expect(r.x[1], `seed ${seed}`).toBe(n0);
    expect(Number.isInteger(r.x[1])).toBe(true);
    expect(Math.abs(r.x[0]! - x0), `seed ${seed}`).toBeLessThan(0.02);
  });

  it('keeps every candidate inside its box and integers whole', () => {
    const s = new CrossEntropySearch([{ lo: 0.5, hi: 0.6, integer: false }, { lo: 2, hi: 4, integer: true }], { seed: fresh(), initialStd: 5 });
    for (let g = 0; g < 5; g++) {
      const pop = s.ask();
      for (const [x = NaN, n = NaN] of pop) {
        expect(x).toBeGreaterThanOrEqual(0.5);
        expect(x).toBeLessThanOrEqual(0.6);
        expect([2, 3, 4]).toContain(n);
      }
      s.tell(pop.map(([x = 0]) => x));
    }
  });

  it('rejects a population too small and a loss list of the wrong length', () => {
    expect(() => new CrossEntropySearch([{ lo: 0, hi: 1, integer: false }], { population: 2 })).toThrow(/population/);
    const s = new CrossEntropySearch([{ lo: 0, hi: 1, integer: false }]);
    s.ask();
    expect(() => s.tell([1, 2])).toThrow(/losses/);
  });
});
