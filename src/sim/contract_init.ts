/**
 * `sim2real urdf FILE --init OUT.json` as a library call: read the URDF, draft its contract
 * (src/robot/contract_init/, engine-free), validate it as `loadRobotSpec` would, and for a legged
 * robot run the stand check on it in Rapier. Writing OUT is the caller's.
 */
import path from 'node:path';
import { loadUrdf } from '../robot/urdf/urdf_loader.ts';
import { validateRobotSpec, type LoadedRobotSpec } from '../robot/robot_spec.ts';
import { checkRobotAgainstUrdf } from '../robot/robot_check.ts';
import { draftContract, type ContractDraft } from '../robot/contract_init/init_contract.ts';
import { formatContract } from '../robot/contract_init/contract_json.ts';
import { standCheck, type StandReport } from './stand_check.ts';

/** The drafted contract, its text, and the stand check (null for a fixed-base robot). */
export interface ContractInitReport extends ContractDraft {
  /** The URDF file, absolute. */
  urdf_file: string;
  /** Where the contract is meant to go, absolute. */
  out_file: string;
  robot: string;
  /** The contract as it is written to OUT. */
  text: string;
  stand: StandReport | null;
}

/**
 * Drafts the contract of `urdfFile` for `outFile` (its `urdf` key is the URDF's path relative
 * to it), validates it and, for a legged robot, stands it for `standSeconds`. URDF errors and
 * robots without a contract (`ContractInitError`) throw.
 */
export async function initContract(urdfFile: string, outFile: string, standSeconds?: number): Promise<ContractInitReport> {
  const urdfPath = path.resolve(urdfFile);
  const outPath = path.resolve(outFile);
  const model = loadUrdf(urdfPath);
  const urdfRef = path.relative(path.dirname(outPath), urdfPath).split(path.sep).join('/');
  const draft = draftContract(model, urdfRef);
  const text = formatContract(draft.contract);
  // the contract must read back as `loadRobotSpec` reads it: same checks, same errors
  const err = (field: string, msg: string) => new Error(`generated contract ${outPath}: ${field}: ${msg} (a bug in sim2real urdf --init: please report it)`);
  const spec = validateRobotSpec(JSON.parse(text), outPath);
  checkRobotAgainstUrdf(spec, model, err);
  let stand: StandReport | null = null;
  const loco = spec.locomotion;
  if (draft.kind === 'legged' && loco !== undefined) {
    const loaded: LoadedRobotSpec = { ...spec, specPath: outPath, urdfPath, decimation: Math.round(spec.control_dt_s / spec.physics_dt_s) };
    const opts = { feet: loco.legs.map((l) => l.foot), nominalHeightM: loco.nominal_base_height_m };
    stand = await standCheck(model, loaded, standSeconds === undefined ? opts : { ...opts, seconds: standSeconds });
  }
  return { ...draft, urdf_file: urdfPath, out_file: outPath, robot: model.name, text, stand };
}
