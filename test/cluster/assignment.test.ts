import { describe, expect, it } from 'vitest';
import { initialAssignment, pickTaker, rebalanceMoves, type Holder } from '../../src/cluster/assignment.ts';

/** Holders after applying moves. */
function apply(members: Holder[], moves: { group: number; from: string; to: string }[]): Holder[] {
  const out = members.map((m) => ({ ...m, groups: [...m.groups] }));
  for (const mv of moves) {
    const from = out.find((m) => m.id === mv.from)!, to = out.find((m) => m.id === mv.to)!;
    expect(from.groups).toContain(mv.group);
    from.groups = from.groups.filter((g) => g !== mv.group);
    to.groups.push(mv.group);
  }
  return out;
}

describe('env groups over cluster members', () => {
  it('start in proportion to the workers each member offers, as contiguous runs, every group once', () => {
    expect([...initialAssignment(2, [{ id: 'h1', workers: 1 }, { id: 'h2', workers: 1 }])]).toEqual([['h1', [0]], ['h2', [1]]]);
    expect([...initialAssignment(8, [{ id: 'a', workers: 1 }, { id: 'b', workers: 3 }])]).toEqual([['a', [0, 1]], ['b', [2, 3, 4, 5, 6, 7]]]);
    for (let trial = 0; trial < 50; trial++) {
      const members = Array.from({ length: 1 + Math.floor(Math.random() * 5) }, (_, i) => ({ id: `m${i}`, workers: 1 + Math.floor(Math.random() * 8) }));
      const groups = 1 + Math.floor(Math.random() * 40);
      const plan = initialAssignment(groups, members);
      expect([...plan.values()].flat().sort((a, b) => a - b)).toEqual(Array.from({ length: groups }, (_, i) => i));
      const total = members.reduce((n, m) => n + m.workers, 0);
      for (const m of members) expect(Math.abs(plan.get(m.id)!.length - (groups * m.workers) / total)).toBeLessThan(1);
    }
  });

  it('move to a host that joined until nobody is busier than needed, and stay put when balanced', () => {
    const joined: Holder[] = [{ id: 'h1', workers: 1, groups: [0, 1] }, { id: 'h2', workers: 1, groups: [] }];
    const moves = rebalanceMoves(joined);
    expect(moves).toEqual([{ group: 1, from: 'h1', to: 'h2' }]);
    expect(rebalanceMoves(apply(joined, moves))).toEqual([]);
    expect(rebalanceMoves([{ id: 'a', workers: 1, groups: [0] }, { id: 'b', workers: 1, groups: [] }])).toEqual([]);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(Math.random() * 5);
      const members: Holder[] = Array.from({ length: n }, (_, i) => ({ id: `m${i}`, workers: 1 + Math.floor(Math.random() * 4), groups: [] }));
      const groups = Math.floor(Math.random() * 30);
      for (let g = 0; g < groups; g++) members[Math.floor(Math.random() * n)]!.groups.push(g);
      const after = apply(members, rebalanceMoves(members));
      const load = (m: Holder) => m.groups.length / m.workers;
      // no single move would make the busiest member less busy
      const busiest = Math.max(...after.map(load));
      for (const m of after) expect((m.groups.length + 1) / m.workers >= busiest || load(m) === busiest).toBe(true);
      expect(after.flatMap((m) => m.groups).sort((a, b) => a - b)).toEqual(Array.from({ length: groups }, (_, i) => i));
    }
  });

  it('give a lost host\'s group to the member least busy with it', () => {
    expect(pickTaker([{ id: 'a', workers: 1, groups: [0] }, { id: 'b', workers: 4, groups: [1, 2] }])).toBe('b');
    expect(pickTaker([])).toBeUndefined();
  });
});
