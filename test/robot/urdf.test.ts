import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Quat, RobotModel, Vec3 } from '../../src/robot/robot_model.ts';
import { loadUrdf, parseUrdf, rpyToQuat, totalMassKg, UrdfError } from '../../src/robot/urdf/urdf_loader.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '../..');
const fixtures = path.join(projectRoot, 'test/fixtures/urdf');
/** The legged_gym robots shipped in robots/ (copied with their licences). */
const realRobots = path.resolve(projectRoot, 'robots');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'urdf-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// -- helpers

/** A URDF whose `lines[i]` sits on line i + 2 of the file. */
const urdf = (...lines: string[]): string => ['<robot name="r">', ...lines, '</robot>'].join('\n');
const link = (name: string, inner = ''): string => `<link name="${name}">${inner}</link>`;
const inertial = (mass: string, inertia = 'ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"'): string =>
  `<inertial><mass value="${mass}"/><inertia ${inertia}/></inertial>`;
const collision = (geometry: string): string => `<collision><geometry>${geometry}</geometry></collision>`;
const joint = (name: string, parent: string, child: string, inner = '<limit lower="-1" upper="1" effort="1" velocity="1"/>', type = 'revolute'): string =>
  `<joint name="${name}" type="${type}"><parent link="${parent}"/><child link="${child}"/>${inner}</joint>`;

/** Parses `xml` expecting a UrdfError; returns it. */
function parseError(xml: string, opts: { baseDir?: string } = {}): UrdfError {
  try {
    parseUrdf(xml, 'robot.urdf', opts);
  } catch (e) {
    if (e instanceof UrdfError) return e;
    throw e;
  }
  throw new Error('expected a UrdfError, the file parsed');
}

/** Hamilton product a·b of [x, y, z, w] quaternions. */
function qmul(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz];
}
const axisAngle = (axis: Vec3, angle: number): Quat => [axis[0] * Math.sin(angle / 2), axis[1] * Math.sin(angle / 2), axis[2] * Math.sin(angle / 2), Math.cos(angle / 2)];
/** Quaternion of R = Rz(yaw)·Ry(pitch)·Rx(roll), composed from axis-angle quaternions. */
const composed = ([r, p, y]: Vec3): Quat => qmul(qmul(axisAngle([0, 0, 1], y), axisAngle([0, 1, 0], p)), axisAngle([1, 0, 0], r));
const randomRpy = (): Vec3 => [(Math.random() * 2 - 1) * Math.PI, (Math.random() * 2 - 1) * Math.PI, (Math.random() * 2 - 1) * Math.PI];
const expectClose = (got: readonly number[], want: readonly number[], tol: number): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - (want[i] as number))).toBeLessThanOrEqual(tol));
};

/** A binary STL of the given triangles (each three xyz vertices). */
function binaryStl(triangles: Vec3[][]): Buffer {
  const buf = Buffer.alloc(84 + 50 * triangles.length);
  buf.write('binary stl written by urdf.test.ts', 0, 'ascii');
  buf.writeUInt32LE(triangles.length, 80);
  triangles.forEach((tri, t) => {
    tri.forEach((v, k) => v.forEach((c, j) => buf.writeFloatLE(c, 84 + 50 * t + 12 + 12 * k + 4 * j)));
  });
  return buf;
}
const tetra = (p: Vec3[]): Vec3[][] => [[p[0]!, p[1]!, p[2]!], [p[0]!, p[1]!, p[3]!], [p[0]!, p[2]!, p[3]!], [p[1]!, p[2]!, p[3]!]];
const randomPoint = (): Vec3 => [Math.random() - 0.5, Math.random() - 0.5, Math.random() - 0.5];

// -- a valid robot

describe('parseUrdf on a valid robot (test/fixtures/urdf/arm.urdf)', () => {
  const model: RobotModel = loadUrdf(path.join(fixtures, 'arm.urdf'));

  it('keeps the robot name, the links and joints in file order, and finds the root', () => {
    expect(model.name).toBe('test_arm');
    expect(model.links.map((l) => l.name)).toEqual(['base', 'upper_arm', 'forearm', 'slider', 'wheel', 'tool_frame']);
    expect(model.joints.map((j) => [j.name, j.type, j.parent, j.child])).toEqual([
      ['shoulder', 'revolute', 'base', 'upper_arm'],
      ['elbow', 'revolute', 'upper_arm', 'forearm'],
      ['slide', 'prismatic', 'forearm', 'slider'],
      ['spin', 'continuous', 'slider', 'wheel'],
      ['tool', 'fixed', 'slider', 'tool_frame'],
    ]);
    expect(model.rootLink).toBe('base');
  });

  it('reads inertials, and gives the total mass', () => {
    const base = model.links[0]!;
    expect(base.inertial).toMatchObject({ massKg: 2.5, ixx: 0.01, ixy: 0.001, ixz: -0.002, iyy: 0.02, iyz: 0.0005, izz: 0.03 });
    expect(base.inertial!.origin.xyz).toEqual([0, 0, 0.05]);
    expectClose(model.links[2]!.inertial!.origin.quat, composed([0.1, -0.2, 0.3]), 1e-12);
    expect(model.links.find((l) => l.name === 'tool_frame')!.inertial).toBeUndefined();
    expect(Math.abs(totalMassKg(model) - 5.25)).toBeLessThan(1e-12);
  });

  it('reads every collision shape with its origin', () => {
    const [base, upper, forearm] = model.links;
    expect(base!.collisions).toHaveLength(1);
    expect(base!.collisions[0]!.name).toBe('plate');
    expect(base!.collisions[0]!.geometry).toEqual({ kind: 'box', size: [0.3, 0.2, 0.1] });
    expectClose(base!.collisions[0]!.origin.quat, [0, 0, Math.SQRT1_2, Math.SQRT1_2], 1e-12);
    expect(upper!.collisions.map((c) => c.geometry)).toEqual([
      { kind: 'cylinder', radius: 0.04, length: 0.4 },
      { kind: 'capsule', radius: 0.03, length: 0.35 },
    ]);
    expect(upper!.collisions[0]!.origin).toEqual({ xyz: [0, 0, 0.2], rpy: [0, 0, 0], quat: [0, 0, 0, 1] });
    expect(forearm!.collisions[0]!.geometry).toEqual({ kind: 'sphere', radius: 0.05 });
  });

  it('reads origins, unit axes, limits and dynamics with the spec defaults', () => {
    const [shoulder, elbow, slide, spin, tool] = model.joints;
    expect(shoulder!.origin.xyz).toEqual([0, 0, 0.1]);
    expect(shoulder!.origin.rpy).toEqual([0.3, -0.4, 1.2]);
    expectClose(shoulder!.origin.quat, composed([0.3, -0.4, 1.2]), 1e-12);
    expect(shoulder!.axis).toEqual([0, 0, 1]);
    expect(shoulder!.limit).toEqual({ lower: -1.5, upper: 2, effort: 40, velocity: 3.5 });
    expect(shoulder!.dynamics).toEqual({ damping: 0, friction: 0 });
    expectClose(elbow!.axis, [0, Math.SQRT1_2, Math.SQRT1_2], 1e-15);
    expect(elbow!.dynamics).toEqual({ damping: 0.7, friction: 0.05 });
    expect(slide!.limit).toEqual({ lower: 0, upper: 0.15, effort: 100, velocity: 0.5 });
    expect(spin!.origin).toEqual({ xyz: [0, 0, 0], rpy: [0, 0, 0], quat: [0, 0, 0, 1] });
    expect(spin!.axis).toEqual([0, -1, 0]);
    expect(spin!.limit).toEqual({ lower: -Infinity, upper: Infinity, effort: Infinity, velocity: Infinity });
    expect(tool!.limit).toBeUndefined();
  });

  it('warns about what it does not simulate, one line per kind', () => {
    expect(model.warnings).toEqual([
      '3 top-level <material> elements ignored (not simulated)',
      'top-level <transmission> ignored (not simulated)',
      '2 top-level <gazebo> elements ignored (not simulated)',
      'link "base": visual mesh ../meshes/base.dae is not loaded (visuals are not simulated)',
      'joint "elbow": <mimic> ignored (not simulated)',
      'joint "slide": <safety_controller> ignored (not simulated)',
    ]);
  });
});

describe('rpyToQuat', () => {
  it('matches Rz(yaw)·Ry(pitch)·Rx(roll) composed from axis-angle quaternions (1e-12, 1000 random rpy)', () => {
    for (let i = 0; i < 1000; i++) {
      const rpy = randomRpy();
      expectClose(rpyToQuat(rpy), composed(rpy), 1e-12);
    }
  });

  it('gives the same quaternion in parsed origins as the independent composition (1e-12)', () => {
    const rpys = Array.from({ length: 20 }, randomRpy);
    const model = parseUrdf(urdf(...rpys.map((r, i) => link(`l${i}`, `<collision><origin rpy="${r.join(' ')}"/><geometry><sphere radius="1"/></geometry></collision>`)), ...rpys.slice(1).map((_, i) => joint(`j${i}`, 'l0', `l${i + 1}`, '', 'fixed'))), 'random.urdf');
    model.links.forEach((l, i) => expectClose(l.collisions[0]!.origin.quat, composed(rpys[i]!), 1e-12));
  });
});

// -- broken files: every one is a UrdfError naming what is wrong, never a half-built model

interface Broken {
  xml: string;
  element: string;
  attribute?: string;
  line?: number;
  text: RegExp;
}

const L = link;
const broken: Record<string, Broken> = {
  'malformed XML (with its line)': { xml: urdf(L('a'), '<link name="b">', L('c')), element: '', line: 5, text: /^robot\.urdf:5: malformed XML: .*'link'/ },
  'a document without <robot>': { xml: '<?xml version="1.0"?>\n<model name="x"/>', element: '', line: 2, text: /root element is <model>; a URDF file holds one <robot>/ },
  'a robot without a name': { xml: '<robot>\n<link name="a"/>\n</robot>', element: 'robot', attribute: 'name', line: 1, text: /<robot> is missing the name="…" attribute/ },
  'a robot without links': { xml: urdf(), element: 'robot', text: /no <link> elements/ },
  'a link without a name': { xml: urdf('<link/>'), element: 'link', attribute: 'name', line: 2, text: /<link> is missing the name/ },
  'duplicate link names': { xml: urdf(L('a'), L('b'), L('a')), element: 'link "a"', attribute: 'name', line: 4, text: /duplicate link name \(first defined on line 2\)/ },
  'duplicate joint names': { xml: urdf(L('a'), L('b'), L('c'), joint('j', 'a', 'b'), joint('j', 'a', 'c')), element: 'joint "j"', attribute: 'name', line: 6, text: /duplicate joint name/ },
  'a joint whose child link does not exist': {
    xml: '<robot name="b"><link name="a"/><joint name="j" type="revolute"><parent link="a"/><child link="missing"/></joint></robot>',
    element: 'joint "j"', attribute: 'link', line: 1, text: /^robot\.urdf:1: joint "j": <child link="missing"> names a link that does not exist$/,
  },
  'a joint whose parent link does not exist': { xml: urdf(L('a'), joint('j', 'nowhere', 'a')), element: 'joint "j"', attribute: 'link', line: 3, text: /<parent link="nowhere"> names a link that does not exist/ },
  'a joint without <child>': { xml: urdf(L('a'), '<joint name="j" type="fixed"><parent link="a"/></joint>'), element: 'joint "j"', line: 3, text: /needs a <child link="…"> element/ },
  'a joint from a link to itself': { xml: urdf(L('a'), joint('j', 'a', 'a')), element: 'joint "j"', text: /<parent> and <child> are the same link "a"/ },
  'a link with two parent joints': { xml: urdf(L('a'), L('b'), L('c'), joint('j1', 'a', 'c'), joint('j2', 'b', 'c')), element: 'joint "j2"', attribute: 'link', line: 6, text: /link "c" is already the child of joint "j1" \(line 5\)/ },
  'a cycle': { xml: urdf(L('r'), L('a'), L('b'), joint('j1', 'a', 'b'), joint('j2', 'b', 'a')), element: 'joint "j2"', text: /joints "j2", "j1" form a cycle: link "b" → "a" → "b"/ },
  'more than one root link (all listed)': { xml: urdf(L('a'), L('b'), L('c'), joint('j', 'a', 'b')), element: 'robot', line: 1, text: /2 root links .*: "a", "c"/ },
  'an origin with 2 numbers': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '<origin xyz="1 2"/>', 'fixed')), element: 'joint "j"', attribute: 'xyz', line: 4, text: /<origin xyz="1 2"> needs 3 numbers, got 2/ },
  'a non-numeric rpy': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '<origin rpy="0 x 0"/>', 'fixed')), element: 'joint "j"', attribute: 'rpy', text: /<origin rpy="0 x 0">: "x" is not a number/ },
  'a non-finite mass': { xml: urdf(L('a', inertial('inf'))), element: 'link "a"/inertial', attribute: 'value', line: 2, text: /<mass value="inf">: "inf" is not a finite number/ },
  'a negative mass': { xml: urdf(L('a', inertial('-1'))), element: 'link "a"/inertial', attribute: 'value', text: /mass must be ≥ 0/ },
  'an inertial without mass': { xml: urdf(L('a', '<inertial><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial>')), element: 'link "a"/inertial', text: /needs a <mass value="…">/ },
  'a negative inertia diagonal': { xml: urdf(L('a', inertial('1', 'ixx="1" ixy="0" ixz="0" iyy="-0.1" iyz="0" izz="1"'))), element: 'link "a"/inertial', attribute: 'iyy', text: /<inertia iyy="-0.1">: a diagonal moment of inertia must be ≥ 0/ },
  'a NaN product of inertia': { xml: urdf(L('a', inertial('1', 'ixx="1" ixy="NaN" ixz="0" iyy="1" iyz="0" izz="1"'))), element: 'link "a"/inertial', attribute: 'ixy', text: /"NaN" is not a finite number/ },
  'an inertia without izz': { xml: urdf(L('a', inertial('1', 'ixx="1" ixy="0" ixz="0" iyy="1" iyz="0"'))), element: 'link "a"/inertial', attribute: 'izz', text: /<inertia> is missing the izz="…" attribute/ },
  'a box with a zero side': { xml: urdf(L('a', collision('<box size="0.1 0 0.1"/>'))), element: 'link "a"/collision[0]', attribute: 'size', text: /<box size="0.1 0 0.1">: every side must be > 0/ },
  'a sphere with a negative radius': { xml: urdf(L('a', collision('<sphere radius="-1"/>'))), element: 'link "a"/collision[0]', attribute: 'radius', text: /<sphere radius="-1"> must be > 0/ },
  'a cylinder of length 0 (second collision)': { xml: urdf(L('a', collision('<sphere radius="1"/>') + collision('<cylinder radius="1" length="0"/>'))), element: 'link "a"/collision[1]', attribute: 'length', text: /<cylinder length="0"> must be > 0/ },
  'a cylinder without length': { xml: urdf(L('a', collision('<cylinder radius="1"/>'))), element: 'link "a"/collision[0]', attribute: 'length', text: /<cylinder> is missing the length="…" attribute/ },
  'a capsule of radius 0': { xml: urdf(L('a', collision('<capsule radius="0" length="1"/>'))), element: 'link "a"/collision[0]', attribute: 'radius', text: /must be > 0/ },
  'an empty collision geometry': { xml: urdf(L('a', collision(''))), element: 'link "a"/collision[0]', text: /<geometry> needs one of <box>/ },
  'a joint without type': { xml: urdf(L('a'), L('b'), '<joint name="j"><parent link="a"/><child link="b"/></joint>'), element: 'joint "j"', attribute: 'type', text: /<joint> is missing the type="…" attribute/ },
  'a planar joint': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '', 'planar')), element: 'joint "j"', attribute: 'type', text: /type="planar" is not supported/ },
  'an unknown joint type': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '', 'ball')), element: 'joint "j"', attribute: 'type', text: /type="ball" is not a joint type \(revolute, continuous, prismatic, fixed, floating\)/ },
  'a revolute joint without <limit>': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '')), element: 'joint "j"', line: 4, text: /type="revolute" needs a <limit/ },
  'a prismatic joint without <limit>': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '', 'prismatic')), element: 'joint "j"', text: /type="prismatic" needs a <limit/ },
  'a limit without effort': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '<limit lower="0" upper="1" velocity="1"/>')), element: 'joint "j"', attribute: 'effort', text: /<limit> is missing the effort="…" attribute/ },
  'a limit with lower above upper': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '<limit lower="1" upper="-1" effort="1" velocity="1"/>')), element: 'joint "j"', attribute: 'lower', text: /lower is above upper/ },
  'a zero axis': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '<axis xyz="0 0 0"/><limit effort="1" velocity="1" lower="0" upper="1"/>')), element: 'joint "j"', attribute: 'xyz', text: /<axis xyz="0 0 0"> is a zero vector/ },
  'negative damping': { xml: urdf(L('a'), L('b'), joint('j', 'a', 'b', '<dynamics damping="-1"/>', 'fixed')), element: 'joint "j"', attribute: 'damping', text: /<dynamics damping="-1"> must be ≥ 0/ },
  'a .dae collision mesh (names link, collision and file; suggests primitives)': {
    xml: urdf(L('a', collision('<box size="1 1 1"/>') + collision('<mesh filename="../meshes/arm.dae"/>'))),
    element: 'link "a"/collision[1]', attribute: 'filename', text: /collision mesh \.\.\/meshes\/arm\.dae is not STL.*<box>, <cylinder>, <sphere> or <capsule>/,
  },
  'a missing STL collision mesh': { xml: urdf(L('a', collision('<mesh filename="package://nope/meshes/x.stl"/>'))), element: 'link "a"/collision[0]', attribute: 'filename', text: /collision mesh package:\/\/nope\/meshes\/x\.stl not found \(looked for .*\): put the STL file there, or use <box>/ },
};

describe('broken URDF files are refused with a UrdfError naming element, attribute and line', () => {
  for (const [title, want] of Object.entries(broken)) {
    it(title, () => {
      const err = parseError(want.xml, { baseDir: tmp });
      expect(err.message).toMatch(want.text);
      expect(err.element).toBe(want.element);
      expect(err.line).toBeGreaterThan(0);
      expect(err.message.startsWith(`robot.urdf:${err.line}: `)).toBe(true);
      if (want.element !== '') expect(err.message).toContain(`: ${want.element}: `);
      if (want.attribute !== undefined) expect(err.attribute).toBe(want.attribute);
      if (want.line !== undefined) expect(err.line).toBe(want.line);
    });
  }

  it('counts lines of CRLF files like editors do', () => {
    const err = parseError(urdf(L('a'), L('b'), joint('j', 'a', 'b', '<axis xyz="0 0 0"/>')).replace(/\n/g, '\r\n'));
    expect(err.line).toBe(4);
  });

  it('loadUrdf names a file that does not exist', () => {
    const file = path.join(tmp, 'nope.urdf');
    expect(() => loadUrdf(file)).toThrow(UrdfError);
    expect(() => loadUrdf(file)).toThrow(`${file}: file not found`);
  });
});

describe('warnings, not errors, for what is not simulated', () => {
  it('notes visual meshes even when the file does not exist, and unknown elements', () => {
    const m = parseUrdf(urdf(L('a', '<visual><geometry><mesh filename="package://x/none.stl"/></geometry></visual><sensor/>'), L('b', '<sensor/>'), L('c'), joint('j', 'a', 'b', '<calibration rising="0"/><limit effort="1" velocity="1"/>'), joint('k', 'a', 'c', '<calibration rising="0"/>', 'fixed'), '<xacro:macro name="leg"/>'), 'w.urdf');
    expect(m.warnings).toEqual([
      'top-level <xacro:macro> ignored (unexpanded xacro: run the file through xacro first)',
      'link "a": visual mesh package://x/none.stl is not loaded (visuals are not simulated)',
      'unknown element <sensor> ignored in 2 <link> elements: link "a", link "b"',
      '<limit> without lower/upper on joint "j": position treated as unlimited (the URDF default 0..0 would lock the joint); add lower/upper to limit it',
      '<calibration> ignored on 2 joints (not simulated): "j", "k"',
    ]);
    expect(m.joints[0]!.limit).toEqual({ lower: -Infinity, upper: Infinity, effort: 1, velocity: 1 });
  });

  it('warns that a limit of lower = upper locks the joint, and that continuous joints ignore lower/upper', () => {
    const m = parseUrdf(urdf(L('a'), L('b'), L('c'), joint('j', 'a', 'b', '<limit lower="0.5" upper="0.5" effort="1" velocity="1"/>'), joint('k', 'a', 'c', '<limit lower="-1" upper="1" effort="3"/>', 'continuous')), 'w.urdf');
    expect(m.warnings).toEqual([
      'joint "j": <limit> lower = upper = 0.5: the joint cannot move',
      'joint "k": <limit> lower/upper ignored (a continuous joint has no position limits)',
    ]);
    expect(m.joints[1]!.limit).toEqual({ lower: -Infinity, upper: Infinity, effort: 3, velocity: Infinity });
  });
});

describe('STL collision meshes become convex shapes', () => {
  it('loads a binary STL: distinct vertices, scaled, with the resolved file as source', () => {
    const pts = [randomPoint(), randomPoint(), randomPoint(), randomPoint()];
    writeFileSync(path.join(tmp, 'tetra.stl'), binaryStl(tetra(pts)));
    const scale: Vec3 = [2, -1, 0.5];
    const m = parseUrdf(urdf(L('a', collision(`<mesh filename="tetra.stl" scale="${scale.join(' ')}"/>`))), 'm.urdf', { baseDir: tmp });
    const g = m.links[0]!.collisions[0]!.geometry;
    if (g.kind !== 'convex') throw new Error(`expected convex, got ${g.kind}`);
    expect(g.source).toBe(path.join(tmp, 'tetra.stl'));
    expect(g.vertices).toBeInstanceOf(Float32Array);
    expectClose(Array.from(g.vertices), pts.flatMap((p) => p.map((c, j) => c * scale[j]!)), 1e-6);
  });

  it('loads an ASCII STL found through package:// relative to the URDF directory', () => {
    const pkg = path.join(tmp, 'my_robot_description');
    mkdirSync(path.join(pkg, 'meshes'), { recursive: true });
    mkdirSync(path.join(pkg, 'urdf'), { recursive: true });
    const pts = [randomPoint(), randomPoint(), randomPoint(), randomPoint()];
    const facets = tetra(pts).map((t) => `facet normal 0 0 0\n outer loop\n${t.map((v) => `  vertex ${v.join(' ')}\n`).join('')} endloop\nendfacet\n`);
    writeFileSync(path.join(pkg, 'meshes', 'part.STL'), `solid part\n${facets.join('')}endsolid part\n`);
    const file = path.join(pkg, 'urdf', 'robot.urdf');
    writeFileSync(file, urdf(L('a', collision('<mesh filename="package://my_robot_description/meshes/part.STL"/>'))));
    const g = loadUrdf(file).links[0]!.collisions[0]!.geometry;
    if (g.kind !== 'convex') throw new Error(`expected convex, got ${g.kind}`);
    expectClose(Array.from(g.vertices), pts.flat(), 1e-6);
  });

  it('refuses a flat or unreadable STL, naming the link and file', () => {
    writeFileSync(path.join(tmp, 'flat.stl'), binaryStl([[[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[1, 1, 0], [1, 0, 0], [0, 1, 0]]]));
    writeFileSync(path.join(tmp, 'junk.stl'), Buffer.from('not an stl'));
    expect(parseError(urdf(L('a', collision('<mesh filename="flat.stl"/>'))), { baseDir: tmp }).message).toMatch(/link "a"\/collision\[0\]: collision mesh flat\.stl .* is flat/);
    expect(parseError(urdf(L('a', collision('<mesh filename="junk.stl"/>'))), { baseDir: tmp }).message).toMatch(/link "a"\/collision\[0\]: collision mesh junk\.stl .*not a readable STL file/);
  });
});

describe('real robots from legged_gym', () => {
  for (const [name, mass] of [['a1', 12.454], ['anymal_c', 52.1349]] as const) {
    const file = path.join(realRobots, `${name}.urdf`);
    it(`${name}.urdf parses with only warnings: 12 revolute joints, ${mass} kg`, () => {
      const m = parseUrdf(readFileSync(file, 'utf8'), file, { baseDir: realRobots });
      expect(m.joints.filter((j) => j.type === 'revolute')).toHaveLength(12);
      expect(Math.abs(totalMassKg(m) - mass)).toBeLessThan(1e-3);
      expect(m.rootLink).toBe('base');
      expect(m.warnings.some((w) => /visual mesh \.\.\/meshes\/.*\.dae is not loaded/.test(w))).toBe(true);
    });
  }
});
