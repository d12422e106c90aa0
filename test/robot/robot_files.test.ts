/**
 * A robot copied for a run directory: the contract, its URDF and its STL collision meshes land in
 * one folder with the references rewritten to the copies (also for a mesh outside the URDF's
 * folder), the copy loads as the same robot, and a changed or missing file is refused by the hash.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkRobotCopy, robotCopy } from '../../src/robot/robot_files.ts';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';

const dir = mkdtempSync(path.join(tmpdir(), 's2r-robot-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An ASCII STL tetrahedron of edge `s` (m). */
const tetra = (s: number) => `solid t\n${[[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]].map((f) => ` facet normal 0 0 1\n  outer loop\n${f.map((v) => `   vertex ${[[0, 0, 0], [s, 0, 0], [0, s, 0], [0, 0, s]][v]!.join(' ')}\n`).join('')}  endloop\n endfacet\n`).join('')}endsolid t\n`;

/** A one-joint arm whose link collides through an STL mesh kept in `../meshes/`. */
function userRobot(): string {
  const src = path.join(dir, 'user');
  mkdirSync(path.join(src, 'urdf'), { recursive: true });
  mkdirSync(path.join(src, 'meshes'), { recursive: true });
  const s = 0.05 + 0.1 * Math.random();
  writeFileSync(path.join(src, 'meshes', 'arm.stl'), tetra(s));
  writeFileSync(path.join(src, 'urdf', 'arm.urdf'), `<robot name="arm">
  <link name="base"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <joint name="shoulder" type="revolute"><parent link="base"/><child link="arm"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="5" velocity="3"/></joint>
  <link name="arm"><inertial><mass value="0.5"/><inertia ixx="0.001" iyy="0.001" izz="0.001" ixy="0" ixz="0" iyz="0"/></inertial>
    <visual><geometry><mesh filename="../meshes/arm.dae"/></geometry></visual>
    <collision><geometry><mesh filename='../meshes/arm.stl'/></geometry></collision></link>
</robot>
`);
  const contract = path.join(src, 'contracts', 'arm.json');
  mkdirSync(path.dirname(contract), { recursive: true });
  writeFileSync(contract, JSON.stringify({
    name: 'arm', urdf: '../urdf/arm.urdf', control_mode: 'position', control_dt_s: 0.02, physics_dt_s: 0.005, action_clip: 1,
    joints: [{ name: 'shoulder', kp: 10, kd: 0.5, default_pos: 0.3, action_scale: 0.5 }], base: { type: 'fixed' }, safe_command: { type: 'damping', kd: 1 },
  }));
  return contract;
}

describe('robot copies', () => {
  it('copy the contract, the URDF and its collision meshes into one folder that loads as the same robot', () => {
    const original = userRobot();
    const copy = robotCopy(original);
    expect(copy.files.map((f) => f.rel)).toEqual(['arm.json', 'arm.urdf', 'meshes/0_arm.stl']);
    const run = path.join(dir, 'run');
    for (const f of copy.files) {
      mkdirSync(path.dirname(path.join(run, 'robot', f.rel)), { recursive: true });
      writeFileSync(path.join(run, 'robot', f.rel), f.bytes);
    }
    rmSync(path.join(dir, 'user'), { recursive: true, force: true }); // the user's files are gone
    const file = checkRobotCopy(run, 'robot/arm.json', copy.sha256);
    const spec = loadRobotSpec(file);
    expect(spec.urdfPath).toBe(path.join(run, 'robot', 'arm.urdf'));
    expect(spec.joints).toEqual([{ name: 'shoulder', kp: 10, kd: 0.5, default_pos: 0.3, action_scale: 0.5 }]);
    const g = loadUrdf(spec.urdfPath).links.find((l) => l.name === 'arm')!.collisions[0]!.geometry;
    expect(g.kind === 'convex' && g.source).toBe(path.join(run, 'robot', 'meshes', '0_arm.stl'));
    // the visual mesh reference is left alone
    expect(copy.files[1]!.bytes.toString()).toContain('filename="../meshes/arm.dae"');
    expect(copy.files[1]!.bytes.toString()).toContain("filename='meshes/0_arm.stl'");

    appendFileSync(path.join(run, 'robot', 'meshes', '0_arm.stl'), '\n');
    expect(() => checkRobotCopy(run, 'robot/arm.json', copy.sha256)).toThrow(/robot copy .*arm\.json \(or its URDF or meshes\) changed since the run started/);
    rmSync(path.join(run, 'robot', 'arm.urdf'));
    expect(() => checkRobotCopy(run, 'robot/arm.json', copy.sha256)).toThrow(/the robot copy .*arm\.json cannot be used: robot spec .*: urdf "arm\.urdf" not found/);
  });
});
