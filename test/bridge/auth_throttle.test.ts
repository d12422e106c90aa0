/** The failed-token bookkeeping on a fake clock: what blocks, for how long, what clears it, and that the table stays bounded. */
import { describe, expect, it } from 'vitest';
import { AuthThrottle, DEFAULT_AUTH_THROTTLE } from '../../src/bridge/auth_throttle.ts';

function throttle(over: Partial<typeof DEFAULT_AUTH_THROTTLE> = {}) {
  const clock = { now: Math.floor(1e6 * Math.random()) };
  return { clock, t: new AuthThrottle({ ...DEFAULT_AUTH_THROTTLE, ...over }, () => clock.now) };
}

describe('AuthThrottle', () => {
  it('blocks an address after maxFailures within the window, for blockMs, and no other address', () => {
    const { clock, t } = throttle();
    for (let i = 1; i < 10; i++) expect(t.fail('10.0.0.7')).toBe(false);
    expect(t.fail('::ffff:10.0.0.7')).toBe(true); // the same address, IPv4-mapped
    expect(t.blockedForMs('10.0.0.7')).toBe(60_000);
    expect(t.blockedForMs('10.0.0.8')).toBe(0);
    clock.now += 59_999;
    expect(t.blockedForMs('10.0.0.7')).toBe(1);
    clock.now += 1;
    expect(t.blockedForMs('10.0.0.7')).toBe(0);
  });

  it('failures spread wider than the window never block; a success starts afresh', () => {
    const { clock, t } = throttle({ maxFailures: 3, windowMs: 1000 });
    for (let i = 0; i < 20; i++) {
      expect(t.fail('a')).toBe(false);
      clock.now += 600; // two per window at most
    }
    t.fail('b');
    t.fail('b');
    t.succeed('b');
    expect(t.fail('b')).toBe(false);
  });

  it('remembers at most maxAddresses, forgetting the oldest', () => {
    const { t } = throttle({ maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) t.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(t.size).toBe(100);
  });

  it('refuses a configuration that is not positive integers', () => {
    expect(() => throttle({ maxFailures: 0 })).toThrow(/maxFailures must be a positive integer/);
    expect(() => throttle({ blockMs: Number.NaN })).toThrow(/blockMs/);
  });
});
