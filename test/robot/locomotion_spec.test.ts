/**
 * The robot contract's `locomotion` section and its checks against the URDF: the shipped legged
 * robots load with it, and each bad input a user can write — a joint or link the URDF lacks, a
 * leg without a foot or with a foot that is not on it, a default pose outside the joint limits,
 * legs out of the contract's order — is one error naming the field.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRobotSpec } from '../../src/robot/robot_spec.ts';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 's2r-locomotion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
copyFileSync(path.join(root, 'robots/quadruped.urdf'), path.join(dir, 'quadruped.urdf'));

/** The parts of robots/quadruped.json the tests edit. */
interface Contract {
  base: unknown;
  joints: { name: string; default_pos: number }[];
  locomotion: {
    base_link: string;
    legs: { name: string; joints: string[]; foot?: string }[];
    penalized_contacts: string[];
    terminating_contacts: string[];
    nominal_base_height_m: number;
    [other: string]: unknown;
  };
}
const quadruped = (): Contract => JSON.parse(readFileSync(path.join(root, 'robots/quadruped.json'), 'utf8'));
let n = 0;
/** `edit` applied to robots/quadruped.json, written beside a copy of its URDF and loaded. */
function load(edit: (c: Contract) => void) {
  const c = quadruped();
  edit(c);
  const file = path.join(dir, `edited_${n++}.json`);
  writeFileSync(file, JSON.stringify(c));
  return () => loadRobotSpec(file);
}
const freshSeed = () => Math.floor(Math.random() * 2 ** 31);

describe('robot contract locomotion section', () => {
  it('the shipped legged robots carry one that fits their URDF', () => {
    for (const name of ['quadruped', 'a1', 'anymal_c']) {
      const spec = loadRobotSpec(name);
      const loco = spec.locomotion;
      expect(loco, name).toBeDefined();
      // every actuated joint is on a leg, legs in the contract's joint order
      expect(loco!.legs.flatMap((l) => l.joints)).toEqual(spec.joints.map((j) => j.name));
      const links = new Set(loadUrdf(spec.urdfPath).links.map((l) => l.name));
      for (const l of [loco!.base_link, ...loco!.legs.map((x) => x.foot), ...loco!.penalized_contacts, ...loco!.terminating_contacts]) expect(links.has(l), `${name}: ${l}`).toBe(true);
    }
    expect(loadRobotSpec('cartpole').locomotion).toBeUndefined();
  });

  it('refuses a joint the URDF lacks', () => {
    expect(load((c) => { c.joints[4]!.name = 'FR_knee_joint'; c.locomotion.legs[1]!.joints[1] = 'FR_knee_joint'; }))
      .toThrow(/edited_\d+\.json: joints\[4\]\.name: "FR_knee_joint" is not a joint of the URDF$/);
  });

  it('refuses a link the URDF lacks: base, foot or contact link', () => {
    expect(load((c) => { c.locomotion.base_link = 'body'; })).toThrow(/locomotion\.base_link: "body" is not a link of the URDF$/);
    expect(load((c) => { c.locomotion.legs[2]!.foot = 'RL_toe'; })).toThrow(/locomotion\.legs\[2\]\.foot: "RL_toe" is not a link of the URDF$/);
    expect(load((c) => { c.locomotion.penalized_contacts.push('FL_shin'); })).toThrow(/locomotion\.penalized_contacts\[8\]: "FL_shin" is not a link of the URDF$/);
    expect(load((c) => { c.locomotion.terminating_contacts = ['base']; })).toThrow(/locomotion\.terminating_contacts\[0\]: "base" is not a link of the URDF$/);
  });

  it('refuses a leg without a foot, or whose foot is not below its joints', () => {
    expect(load((c) => { delete c.locomotion.legs[1]!.foot; })).toThrow(/locomotion\.legs\[1\]\.foot: leg FR has no foot: name the link that touches the ground$/);
    expect(load((c) => { c.locomotion.legs[0]!.foot = 'FR_foot'; c.locomotion.legs[1]!.foot = 'FL_foot'; }))
      .toThrow(/locomotion\.legs\[0\]\.foot: "FR_foot" is not below the leg's last joint FL_calf_joint in the URDF tree$/);
    expect(load((c) => { c.locomotion.legs[3]!.foot = 'trunk'; })).toThrow(/locomotion\.legs\[3\]\.foot: "trunk" is not below the leg's last joint RR_calf_joint/);
    // in the contract's order, but FR's chain starts on FL's calf
    expect(load((c) => { c.locomotion.legs[0]!.joints = ['FL_hip_joint', 'FL_thigh_joint']; c.locomotion.legs[1]!.joints = ['FL_calf_joint', 'FR_hip_joint', 'FR_thigh_joint', 'FR_calf_joint']; }))
      .toThrow(/locomotion\.legs\[1\]\.joints\[1\]: "FR_hip_joint" is not below FL_calf_joint in the URDF tree/);
  });

  it('refuses a default pose outside the URDF joint limits (a fresh joint and distance each run)', () => {
    const seed = freshSeed();
    const k = seed % 12, beyond = 0.01 + (seed % 1000) / 1000;
    const model = loadUrdf(path.join(dir, 'quadruped.urdf'));
    const name = quadruped().joints[k]!.name;
    const lim = model.joints.find((j) => j.name === name)!.limit!;
    const above = lim.upper + beyond;
    expect(load((c) => { c.joints[k]!.default_pos = above; }), `seed ${seed}`)
      .toThrow(new RegExp(`joints\\[${k}\\]\\.default_pos: ${above} is outside the URDF limits \\[${lim.lower}, ${lim.upper}\\] of joint ${name}$`));
    expect(load((c) => { c.joints[k]!.default_pos = lim.lower - beyond; }), `seed ${seed}`).toThrow(/is outside the URDF limits/);
    expect(load((c) => { c.joints[k]!.default_pos = lim.lower; })).not.toThrow();
  });

  it('refuses duplicates, legs out of the contract order, joints not in the contract, unknown keys, a bad height', () => {
    expect(load((c) => { c.locomotion.legs[1]!.joints[0] = 'FL_hip_joint'; })).toThrow(/locomotion\.legs\[1\]\.joints\[0\]: duplicate joint "FL_hip_joint" \(also locomotion\.legs\[0\]\.joints\[0\]\)/);
    expect(load((c) => { c.locomotion.legs[1]!.foot = 'FL_foot'; })).toThrow(/locomotion\.legs\[1\]\.foot: duplicate foot "FL_foot"/);
    expect(load((c) => { c.locomotion.legs.reverse(); })).toThrow(/locomotion\.legs\[1\]\.joints\[0\]: the legs list joints in the contract's order \(joints\[\]\), but "RL_hip_joint" \(joints\[6\]\) comes after "RR_calf_joint" \(joints\[11\]\)/);
    expect(load((c) => { c.locomotion.legs[0]!.joints.push('RR_toe_joint'); })).toThrow(/locomotion\.legs\[0\]\.joints\[3\]: "RR_toe_joint" is not one of the contract's joints/);
    expect(load((c) => { c.locomotion.feet = []; })).toThrow(/locomotion\.feet: unknown key/);
    expect(load((c) => { c.locomotion.nominal_base_height_m = -0.3; })).toThrow(/locomotion\.nominal_base_height_m: must be a number > 0/);
    expect(load((c) => { c.locomotion.penalized_contacts.push('FL_calf'); })).toThrow(/locomotion\.penalized_contacts\[8\]: duplicate link "FL_calf"/);
    expect(load((c) => { c.base = { type: 'fixed' }; })).toThrow(/locomotion: a legged robot needs base\.type "floating"/);
  });

  it('refuses contact links that cannot touch anything', () => {
    // the quadruped's hip links have no collision shapes
    expect(load((c) => { c.locomotion.penalized_contacts.push('FL_hip'); })).toThrow(/locomotion\.penalized_contacts\[8\]: link "FL_hip" has no collision shapes/);
    expect(load((c) => { c.locomotion.terminating_contacts.push('FL_foot'); })).toThrow(/locomotion\.terminating_contacts\[1\]: "FL_foot" is a foot/);
  });
});
