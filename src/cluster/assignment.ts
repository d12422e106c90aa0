/**
 * Which member of a cluster run (a rollout host, or the learner's local workers) steps which
 * env group: a share in proportion to the worker threads each offers, groups moved only when a
 * move makes the busiest member less busy. Pure functions of the members' offers and holdings.
 */

/** A member as the planner sees it: what it offers and what it holds. */
export interface Holder {
  id: string;
  /** Worker threads offered (> 0). */
  workers: number;
  /** Group indices held. */
  groups: number[];
}

/** A group to move from one member to another. */
export interface Move {
  group: number;
  from: string;
  to: string;
}

/**
 * `numGroups` groups over `members` (in their order) from nothing: each gets a share in
 * proportion to its workers (largest remainders first, ties to the earlier member), as a
 * contiguous run of group indices.
 */
export function initialAssignment(numGroups: number, members: readonly { id: string; workers: number }[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (members.length === 0) return out;
  const total = members.reduce((n, m) => n + m.workers, 0);
  const exact = members.map((m) => (numGroups * m.workers) / total);
  const counts = exact.map(Math.floor);
  let left = numGroups - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    counts[i]!++;
  }
  let next = 0;
  members.forEach((m, i) => {
    const groups: number[] = [];
    for (let k = 0; k < counts[i]!; k++) groups.push(next++);
    out.set(m.id, groups);
  });
  return out;
}

/** Groups per worker: how busy a member is. */
function load(groups: number, workers: number): number {
  return groups / workers;
}

/**
 * Moves that spread the groups more evenly: repeatedly the busiest member's last group goes to
 * the member that would be least busy with it, as long as that member ends up less busy than
 * the busiest was (so no move is made for nothing, and a balanced run stays put).
 */
export function rebalanceMoves(members: readonly Holder[]): Move[] {
  const state = members.map((m) => ({ id: m.id, workers: m.workers, groups: [...m.groups].sort((a, b) => a - b) }));
  const moves: Move[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    const busiest = [...state].sort((a, b) => load(b.groups.length, b.workers) - load(a.groups.length, a.workers))[0];
    if (!busiest || busiest.groups.length === 0) break;
    const before = load(busiest.groups.length, busiest.workers);
    const taker = state.filter((m) => m !== busiest).sort((a, b) => load(a.groups.length + 1, a.workers) - load(b.groups.length + 1, b.workers))[0];
    if (!taker || load(taker.groups.length + 1, taker.workers) >= before) break;
    const group = busiest.groups.pop() as number;
    taker.groups.push(group);
    moves.push({ group, from: busiest.id, to: taker.id });
  }
  return moves;
}

/** The member (of `members`, none excluded) that would be least busy taking one more group; undefined when none is left. */
export function pickTaker(members: readonly Holder[]): string | undefined {
  return [...members].sort((a, b) => load(a.groups.length + 1, a.workers) - load(b.groups.length + 1, b.workers))[0]?.id;
}
