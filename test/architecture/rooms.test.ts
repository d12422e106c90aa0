/**
 * The directions imports may point in (docs/architecture.md, DESIGN.md "Which way imports
 * point"), held over the whole source tree: a new import against them fails here with the
 * file and the import named.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { importsOf, ROOT, roomOf, sourceFiles } from './import_graph.ts';

/** Rooms each room may import from (itself always). Type-only imports obey the same table. */
const MAY_IMPORT: Record<string, string[]> = {
  robot: [],
  task: ['robot'],
  sim: ['task', 'robot'],
  envs: ['task', 'robot'],
  backend: [],
  rl: ['backend', 'task'],
  onnx: ['robot', 'task'],
  bridge: ['onnx', 'robot', 'task'],
  rehearsal: ['bridge', 'onnx', 'sim', 'task', 'robot'],
  cluster: ['sim', 'task', 'robot'],
  mujoco: ['sim', 'task', 'robot'],
  agent: ['bridge', 'onnx', 'robot', 'task'],
  calibrate: ['sim', 'task', 'robot'],
  viewer: ['sim', 'onnx', 'task', 'robot'],
  cli: ['*'],
  '(src)': [],
};

/** Single files another room may see as types only: the interfaces that are the seams. */
const TYPE_SEAMS: Record<string, string[]> = {
  sim: ['src/rl/rollout_source.ts'],
  onnx: ['src/rl/ppo_types.ts'],
  cluster: ['src/rl/rollout_source.ts'],
};

/** Packages that hold a physics engine, a renderer, or a GPU: never in the robot or task rooms or on the deploy path. */
const HEAVY = [/^@dimforge\//, /^mujoco-js$/, /^three($|\/)/, /^webgpu$/];

describe('import directions', () => {
  const files = sourceFiles('src', 'envs');

  it('every room imports only the rooms it may (and type-only only the seam files)', () => {
    expect(files.length).toBeGreaterThan(100);
    const bad: string[] = [];
    for (const f of files) {
      const room = roomOf(f);
      const allowed = MAY_IMPORT[room];
      if (!allowed) { bad.push(`${f}: room "${room}" is not in the table`); continue; }
      const { runtime, typeOnly } = importsOf(f);
      for (const [imports, typeOk] of [[runtime, false], [typeOnly, true]] as const) {
        for (const t of imports) {
          const to = roomOf(t);
          if (to === room || allowed.includes('*') || allowed.includes(to)) continue;
          if (typeOk && TYPE_SEAMS[room]?.includes(t)) continue;
          bad.push(`${f} imports ${t}${typeOk ? ' (type)' : ''}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('no room but the command line imports envs/ or src/cli/ (library code knows no command line)', () => {
    const bad = files.filter((f) => !['cli', 'envs'].includes(roomOf(f)))
      .flatMap((f) => { const i = importsOf(f); return [...i.runtime, ...i.typeOnly].filter((t) => ['cli', 'envs'].includes(roomOf(t))).map((t) => `${f} imports ${t}`); });
    expect(bad).toEqual([]);
  });

  it('the robot and task rooms import no physics engine, renderer or GPU package; only src/sim/rapier.ts imports Rapier, only src/mujoco/mujoco_wasm.ts MuJoCo', () => {
    const bad: string[] = [];
    for (const f of files) {
      const pk = importsOf(f).packages;
      if (['robot', 'task', 'envs'].includes(roomOf(f))) for (const p of pk) if (HEAVY.some((h) => h.test(p))) bad.push(`${f} imports ${p}`);
      if (f !== 'src/sim/rapier.ts') for (const p of pk) if (/^@dimforge\//.test(p)) bad.push(`${f} imports ${p} (load Rapier through src/sim/rapier.ts)`);
      if (f !== 'src/mujoco/mujoco_wasm.ts') for (const p of pk) if (p === 'mujoco-js') bad.push(`${f} imports ${p} (load MuJoCo through src/mujoco/mujoco_wasm.ts)`);
    }
    expect(bad).toEqual([]);
  });

  it('only the cluster room talks NATS (the @nats-io packages)', () => {
    const bad = files.filter((f) => roomOf(f) !== 'cluster').flatMap((f) => importsOf(f).packages.filter((p) => p.startsWith('@nats-io/')).map((p) => `${f} imports ${p}`));
    expect(bad).toEqual([]);
  });

  it('catches a violation: the table refuses a task file importing Rapier or the bridge importing src/sim', () => {
    // the rules above, applied to hypothetical edges, so a table typo that allows everything fails here
    const allows = (from: string, to: string) => to === from || MAY_IMPORT[from]?.includes(to) || MAY_IMPORT[from]?.includes('*');
    expect(allows('task', 'sim')).toBe(false);
    expect(allows('robot', 'sim')).toBe(false);
    expect(allows('bridge', 'sim')).toBe(false);
    expect(allows('onnx', 'sim')).toBe(false);
    expect(allows('rl', 'sim')).toBe(false);
    expect(allows('sim', 'envs')).toBe(false);
    expect(allows('sim', 'rl')).toBe(false);
    expect(allows('backend', 'rl')).toBe(false);
    expect(HEAVY.some((h) => h.test('@dimforge/rapier3d-simd-compat'))).toBe(true);
    expect(HEAVY.some((h) => h.test('three/examples/jsm/loaders/STLLoader.js'))).toBe(true);
  });

  it('every room under src/ is in the table, in docs/architecture.md and in the README layout', () => {
    const rooms = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(rooms.length).toBeGreaterThan(8);
    const map = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const layout = readme.slice(readme.indexOf('## Layout'));
    for (const room of rooms) {
      expect(Object.keys(MAY_IMPORT), room).toContain(room);
      expect(map, `docs/architecture.md names src/${room}/`).toContain(`| \`src/${room}/\` |`);
      expect(layout, `README layout names src/${room}/`).toContain(`\`src/${room}/\``);
    }
  });
});
