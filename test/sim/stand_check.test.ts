/**
 * The stand check `sim2real urdf --init` runs (src/sim/stand_check.ts), on the contracts it
 * drafts: the A1 and ANYmal C (and randomly rescaled ones) stand 5 s in their default pose with
 * zero actions at 90–110% of nominal height, upright, still, on their feet only; a contract
 * whose gains cannot carry the robot fails, saying why.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadUrdf } from '../../src/robot/urdf/urdf_loader.ts';
import type { RobotModel } from '../../src/robot/robot_model.ts';
import type { LoadedRobotSpec } from '../../src/robot/robot_spec.ts';
import { draftContract, type ContractJson } from '../../src/robot/contract_init/init_contract.ts';
import { standCheck, type StandReport } from '../../src/sim/stand_check.ts';
import { realUrdf } from '../robot/real_robots.ts';
import { scaleLegs } from '../robot/scaled_legs.ts';

/** Stands `model` under `contract` (default 5 s). */
function stand(model: RobotModel, contract: ContractJson, file: string): Promise<StandReport> {
  const loco = contract.locomotion;
  if (loco === undefined) throw new Error('no locomotion section');
  const spec: LoadedRobotSpec = { ...contract, specPath: '/nowhere/robot.json', urdfPath: path.resolve(file), decimation: 4 };
  return standCheck(model, spec, { feet: loco.legs.map((l) => l.foot), nominalHeightM: loco.nominal_base_height_m });
}

describe.each(['a1', 'anymal_c', 'quadruped'])('stand check of the %s contract urdf --init drafts', (name) => {
  const file = realUrdf(name);

  it.skipIf(file === null)('stands 5 s with zero actions at ≥ 90% of nominal height, upright, still, only the feet touching', async () => {
    const model = loadUrdf(file as string);
    const r = await stand(model, draftContract(model, 'robot.urdf').contract, file as string);
    expect(r.failures).toEqual([]);
    expect(r.pass).toBe(true);
    expect(r.seconds).toBe(5);
    expect(r.min_height_ratio).toBeGreaterThanOrEqual(0.9);
    expect(r.max_height_m).toBeLessThanOrEqual(1.1 * r.nominal_height_m);
    expect(r.max_tilt_deg).toBeLessThan(10);
    expect(r.other_contacts).toEqual([]);
  });

  it.skipIf(file === null)('stands too when its thighs, shanks and mass are randomly rescaled', async () => {
    const base = loadUrdf(file as string);
    for (let t = 0; t < 2; t++) {
      const [thigh, shank, mass] = [0.85 + 0.3 * Math.random(), 0.85 + 0.3 * Math.random(), 0.8 + 0.4 * Math.random()];
      const model = scaleLegs(base, thigh, shank, mass);
      const r = await stand(model, draftContract(model, 'robot.urdf').contract, file as string);
      expect(r.failures, `${name} thigh ×${thigh.toFixed(3)} shank ×${shank.toFixed(3)} mass ×${mass.toFixed(3)}`).toEqual([]);
    }
  });
});

describe('stand check verdicts', () => {
  const file = realUrdf('a1');

  it.skipIf(file === null)('fails a contract whose gains cannot carry the robot, naming the height and the links that touched', async () => {
    const model = loadUrdf(file as string);
    const c = draftContract(model, 'robot.urdf').contract;
    const weak = { ...c, joints: c.joints.map((j) => ({ ...j, kp: 2, kd: 0.05 })) };
    const r = await stand(model, weak, file as string);
    expect(r.pass).toBe(false);
    expect(r.failures.join('\n')).toMatch(/sank to .* of nominal/);
    expect(r.other_contacts.length).toBeGreaterThan(0);
  });
});
