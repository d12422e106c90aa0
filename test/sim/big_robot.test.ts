/**
 * Robots of thousands of links: the loader, the build plan and the Rapier builder walk the link
 * tree without recursion (a 4,000-link chain once overflowed the stack) and do work that grows
 * linearly with the links (a 10,000-link star once took a minute: a copy of the parent's child
 * list per joint, and a search of all bodies per actuated joint).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.ts';
import { parseUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import { buildRobot, createWorld, type BuiltRobot } from '../../src/sim/build/build.ts';
import { makeSpec } from '../fixtures/build/helpers.ts';
import { bigUrdf } from '../robot/big_urdf.ts';

let R: Rapier;
beforeAll(async () => {
  R = await loadRapier();
});

/** Parses, plans and builds a generated robot into a fresh world. */
function build(shape: 'star' | 'chain', links: number): BuiltRobot {
  const model = parseUrdf(bigUrdf(shape, links), `${shape}.urdf`);
  const spec = makeSpec('big', model.joints.map((j) => ({ name: j.name })), { floating: 1 });
  return buildRobot(R, createWorld(R, { dtS: 0.002 }), model, spec, { origin: [0, 0, 0] });
}

type Callback = (this: unknown, a: unknown, b: unknown, c: unknown, d: unknown) => unknown;
type Method = (this: unknown[], ...args: unknown[]) => unknown;

/**
 * Runs `fn` and counts the array elements it visits: every step of an array iterator (for-of,
 * spread, `Array.from`), every callback of the array methods, every element `indexOf` and
 * `includes` scan. A deterministic measure of work, unlike a timing.
 */
function arrayVisits(fn: () => void): number {
  let visits = 0;
  const iterator = Object.getPrototypeOf([][Symbol.iterator]()) as { next: (this: unknown) => unknown };
  const next = iterator.next;
  iterator.next = function (this: unknown) {
    visits++;
    return next.call(this);
  };
  const proto = Array.prototype as unknown as Record<string, Method>;
  const saved = new Map<string, Method>();
  for (const name of ['find', 'findIndex', 'filter', 'map', 'forEach', 'some', 'every', 'reduce', 'flatMap']) {
    const orig = proto[name] as Method;
    saved.set(name, orig);
    proto[name] = function (this: unknown[], cb: unknown, extra: unknown) {
      const counted = function (this: unknown, a: unknown, b: unknown, c: unknown, d: unknown) {
        visits++;
        return (cb as Callback).call(this, a, b, c, d);
      };
      return arguments.length > 1 ? orig.call(this, counted, extra) : orig.call(this, counted);
    };
  }
  for (const name of ['indexOf', 'includes']) {
    const orig = proto[name] as Method;
    saved.set(name, orig);
    proto[name] = function (this: unknown[], x: unknown, from: unknown) {
      const r = arguments.length > 1 ? orig.call(this, x, from) : orig.call(this, x);
      visits += typeof r === 'number' && r >= 0 ? r + 1 : this.length;
      return r;
    };
  }
  try {
    fn();
  } finally {
    iterator.next = next;
    for (const [name, orig] of saved) proto[name] = orig;
  }
  return visits;
}

describe('robots of thousands of links', () => {
  it('a 10,000-link star loads and builds, with work growing linearly from 2,500 links', () => {
    let small: BuiltRobot | undefined;
    let large: BuiltRobot | undefined;
    const work2500 = arrayVisits(() => { small = build('star', 2_500); });
    const work10000 = arrayVisits(() => { large = build('star', 10_000); });
    expect(small?.links).toHaveLength(2_500);
    expect(large?.links).toHaveLength(10_000);
    expect(large?.numJoints).toBe(9_999);
    // 4× the links: 4× the work when linear (measured 4.0), 16× when quadratic (12.4 before)
    expect(work10000 / work2500, `${work2500} → ${work10000} array elements visited`).toBeLessThan(6);
  });

  it('a 4,000-link chain loads and builds: the tree walks need no call stack', () => {
    const robot = build('chain', 4_000);
    expect(robot.links).toHaveLength(4_000);
    expect(robot.numJoints).toBe(3_999);
    // bodies are numbered from the base down the chain
    expect(robot.linkFrames.get('l3999')?.body).toBe(3_999);
  });
});
