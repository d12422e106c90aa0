/**
 * The deployment contract an exported policy carries in its ONNX `metadata_props`: what every
 * input and output number means (names, units, scales), how raw actions become motor commands
 * (clip, scale, offsets) and whether the graph already does it, the robot's joint order and
 * control period, and where the policy came from (task, DR ranges, config hash, version).
 * Values are strings; lists and objects are JSON. Specified in docs/policy-format.md.
 */
import type { SignalSpec, TaskSpec } from '../task/task.ts';
import type { RobotSpec } from '../robot/robot_spec.ts';

/** Value of the `format` key: identifies a sim2real policy file. */
export const POLICY_FORMAT = 'sim2real-policy';
/** Value of the `format_version` key this code writes; readers refuse newer versions. */
export const POLICY_FORMAT_VERSION = 1;

/** One observation or action number as the contract describes it. */
export interface ContractSignal {
  name: string;
  unit: string;
  /** Observations: observed = scale · quantity. Actions: quantity = scale · action. */
  scale: number;
}

/** Everything `metadata_props` says about a policy, decoded. */
export interface PolicyContract {
  task: string;
  robot: string;
  obsDim: number;
  actDim: number;
  observations: ContractSignal[];
  actions: ContractSignal[];
  /** Raw actions are clipped to [-actionClip, actionClip] before scaling. */
  actionClip: number;
  /** Added after scaling: the default joint positions under position control, zeros under effort control. */
  actionOffsets: number[];
  controlMode: 'position' | 'effort';
  /** Actuated joints in action order. */
  jointOrder: string[];
  defaultJointPositions: number[];
  /** PD gains per joint (action order) the policy trained with: Kp (N·m/rad or N/m) and Kd; absent in files older than them. */
  jointKp?: number[];
  jointKd?: number[];
  controlDtS: number;
  /** True when the graph's `actions` output is already offset + scale · clip(action). */
  postprocess: boolean;
  /** The observation normalization baked into the graph, or null when the policy had none. */
  obsNormalization: { clip: number; eps: number } | null;
  activation: string;
  hiddenSizes: number[];
  /** Domain-randomization ranges trained under, by key. */
  drRanges: Record<string, [number, number]>;
  configHash: string;
  packageVersion: string;
  /** Git revision of the code that trained the policy, when known. */
  gitRevision?: string;
  trainingIterations?: number;
  trainingEnvSteps?: number;
}

/** Where the contract's facts come from when a policy is exported. */
export interface ContractSources {
  task: Pick<TaskSpec, 'name' | 'robot' | 'observations' | 'actions'>;
  robot: Pick<RobotSpec, 'name' | 'control_mode' | 'control_dt_s' | 'action_clip' | 'joints'>;
  training: {
    dr: object;
    configHash: string;
    packageVersion: string;
    gitRevision?: string | null;
    iterations?: number;
    envSteps?: number;
  };
  network: { activation: string; hiddenSizes: number[]; obsNormalization: { clip: number; eps: number } | null };
  postprocess: boolean;
}

/** Assembles the contract of a policy for `task` on `robot`, checking that the two agree. */
export function buildContract(s: ContractSources): PolicyContract {
  const { task, robot } = s;
  if (task.actions.length !== robot.joints.length) {
    throw new Error(`task ${task.name} declares ${task.actions.length} actions but robot ${robot.name} drives ${robot.joints.length} joints`);
  }
  const signal = (x: SignalSpec): ContractSignal => ({ name: x.name, unit: x.unit, scale: x.scale ?? 1 });
  const contract: PolicyContract = {
    task: task.name,
    robot: robot.name,
    obsDim: task.observations.length,
    actDim: task.actions.length,
    observations: task.observations.map(signal),
    actions: task.actions.map(signal),
    actionClip: robot.action_clip,
    actionOffsets: robot.joints.map((j) => (robot.control_mode === 'position' ? j.default_pos : 0)),
    controlMode: robot.control_mode,
    jointOrder: robot.joints.map((j) => j.name),
    defaultJointPositions: robot.joints.map((j) => j.default_pos),
    jointKp: robot.joints.map((j) => j.kp),
    jointKd: robot.joints.map((j) => j.kd),
    controlDtS: robot.control_dt_s,
    postprocess: s.postprocess,
    obsNormalization: s.network.obsNormalization,
    activation: s.network.activation,
    hiddenSizes: s.network.hiddenSizes,
    drRanges: Object.fromEntries(Object.entries(s.training.dr).map(([k, v]) => [k, [(v as number[])[0], (v as number[])[1]]])) as Record<string, [number, number]>,
    configHash: s.training.configHash,
    packageVersion: s.training.packageVersion,
  };
  robot.joints.forEach((j, k) => {
    const declared = contract.actions[k]!.scale;
    if (declared !== j.action_scale) throw new Error(`task ${task.name}: action ${contract.actions[k]!.name} declares scale ${declared}, robot ${robot.name} joint ${j.name} has action_scale ${j.action_scale}`);
  });
  if (s.training.gitRevision) contract.gitRevision = s.training.gitRevision;
  if (s.training.iterations !== undefined) contract.trainingIterations = s.training.iterations;
  if (s.training.envSteps !== undefined) contract.trainingEnvSteps = s.training.envSteps;
  return contract;
}

/** The units of the graph's `actions` output: the actions' physical units when post-processed, else `1`. */
function outputUnits(c: PolicyContract): string[] {
  return c.actions.map((a) => (c.postprocess ? a.unit : '1'));
}

/** The contract as `metadata_props` entries (key → string), in documentation order. */
export function encodeMetadata(c: PolicyContract): Record<string, string> {
  const j = (v: unknown) => JSON.stringify(v);
  const out: Record<string, string> = {
    format: POLICY_FORMAT,
    format_version: String(POLICY_FORMAT_VERSION),
    task: c.task,
    robot: c.robot,
    obs_dim: String(c.obsDim),
    act_dim: String(c.actDim),
    observation_names: j(c.observations.map((o) => o.name)),
    observation_units: j(c.observations.map((o) => o.unit)),
    observation_scales: j(c.observations.map((o) => o.scale)),
    action_names: j(c.actions.map((a) => a.name)),
    action_units: j(c.actions.map((a) => a.unit)),
    action_scales: j(c.actions.map((a) => a.scale)),
    action_clip: j(c.actionClip),
    action_offsets: j(c.actionOffsets),
    control_mode: c.controlMode,
    joint_order: j(c.jointOrder),
    default_joint_positions: j(c.defaultJointPositions),
    ...(c.jointKp ? { joint_kp: j(c.jointKp) } : {}),
    ...(c.jointKd ? { joint_kd: j(c.jointKd) } : {}),
    control_dt_s: j(c.controlDtS),
    postprocess_baked: String(c.postprocess),
    output_units: j(outputUnits(c)),
    obs_normalization: j(c.obsNormalization),
    activation: c.activation,
    hidden_sizes: j(c.hiddenSizes),
    dr_ranges: j(c.drRanges),
    config_hash: c.configHash,
    package_version: c.packageVersion,
  };
  if (c.gitRevision !== undefined) out.git_revision = c.gitRevision;
  if (c.trainingIterations !== undefined) out.training_iterations = String(c.trainingIterations);
  if (c.trainingEnvSteps !== undefined) out.training_env_steps = String(c.trainingEnvSteps);
  return out;
}

/**
 * Reads the contract back from `metadata_props`; a missing or malformed key, or a format this
 * code does not know, is an error naming the key.
 */
export function decodeMetadata(props: Readonly<Record<string, string>>): PolicyContract {
  const bad = (key: string, why: string) => new Error(`policy metadata ${key}: ${why}`);
  const str = (key: string): string => {
    const v = props[key];
    if (v === undefined) throw bad(key, 'missing');
    return v;
  };
  const json = (key: string): unknown => {
    const text = str(key);
    try {
      return JSON.parse(text);
    } catch {
      throw bad(key, `not valid JSON: ${JSON.stringify(text)}`);
    }
  };
  const count = (key: string): number => {
    const v = Number(str(key));
    if (!Number.isInteger(v) || v < 0) throw bad(key, `expected a non-negative integer, got "${props[key]}"`);
    return v;
  };
  const num = (key: string, v: unknown = json(key)): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(key, `expected a finite number, got ${JSON.stringify(v)}`);
    return v;
  };
  const list = <T>(key: string, len: number, is: (x: unknown) => x is T, what: string): T[] => {
    const v = json(key);
    if (!Array.isArray(v) || v.length !== len || !v.every(is)) throw bad(key, `expected ${len} ${what}, got ${props[key]}`);
    return v;
  };
  const isStr = (x: unknown): x is string => typeof x === 'string';
  const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

  if (str('format') !== POLICY_FORMAT) throw bad('format', `expected "${POLICY_FORMAT}", got "${props.format}" (not a sim2real policy)`);
  const version = Number(str('format_version'));
  if (!Number.isInteger(version) || version < 1) throw bad('format_version', `expected a positive integer, got "${props.format_version}"`);
  if (version > POLICY_FORMAT_VERSION) throw bad('format_version', `${version} is newer than this sim2real reads (${POLICY_FORMAT_VERSION}); upgrade sim2real`);
  const obsDim = count('obs_dim');
  const actDim = count('act_dim');
  const signals = (kind: 'observation' | 'action', n: number): ContractSignal[] => {
    const names = list(`${kind}_names`, n, isStr, 'strings');
    const units = list(`${kind}_units`, n, isStr, 'strings');
    const scales = list(`${kind}_scales`, n, isNum, 'numbers');
    return names.map((name, i) => ({ name, unit: units[i]!, scale: scales[i]! }));
  };
  const mode = str('control_mode');
  if (mode !== 'position' && mode !== 'effort') throw bad('control_mode', `expected "position" or "effort", got "${mode}"`);
  const post = str('postprocess_baked');
  if (post !== 'true' && post !== 'false') throw bad('postprocess_baked', `expected "true" or "false", got "${post}"`);
  const norm = json('obs_normalization');
  if (norm !== null && !(typeof norm === 'object' && isNum((norm as { clip?: unknown }).clip) && isNum((norm as { eps?: unknown }).eps))) {
    throw bad('obs_normalization', `expected null or {"clip": number, "eps": number}, got ${props.obs_normalization}`);
  }
  const dr = json('dr_ranges');
  if (typeof dr !== 'object' || dr === null || Array.isArray(dr)) throw bad('dr_ranges', 'expected an object of [lo, hi] ranges');
  for (const [k, r] of Object.entries(dr)) {
    if (!Array.isArray(r) || r.length !== 2 || !r.every(isNum)) throw bad('dr_ranges', `${k}: expected [lo, hi], got ${JSON.stringify(r)}`);
  }
  const hidden = json('hidden_sizes');
  if (!Array.isArray(hidden) || !hidden.every((h) => Number.isInteger(h) && h > 0)) throw bad('hidden_sizes', `expected a list of positive integers, got ${props.hidden_sizes}`);
  const c: PolicyContract = {
    task: str('task'),
    robot: str('robot'),
    obsDim,
    actDim,
    observations: signals('observation', obsDim),
    actions: signals('action', actDim),
    actionClip: num('action_clip'),
    actionOffsets: list('action_offsets', actDim, isNum, 'numbers'),
    controlMode: mode,
    jointOrder: list('joint_order', actDim, isStr, 'strings'),
    defaultJointPositions: list('default_joint_positions', actDim, isNum, 'numbers'),
    controlDtS: num('control_dt_s'),
    postprocess: post === 'true',
    obsNormalization: norm as PolicyContract['obsNormalization'],
    activation: str('activation'),
    hiddenSizes: hidden as number[],
    drRanges: dr as Record<string, [number, number]>,
    configHash: str('config_hash'),
    packageVersion: str('package_version'),
  };
  if (props.joint_kp !== undefined) c.jointKp = list('joint_kp', actDim, isNum, 'numbers');
  if (props.joint_kd !== undefined) c.jointKd = list('joint_kd', actDim, isNum, 'numbers');
  if (props.git_revision !== undefined) c.gitRevision = props.git_revision;
  if (props.training_iterations !== undefined) c.trainingIterations = count('training_iterations');
  if (props.training_env_steps !== undefined) c.trainingEnvSteps = count('training_env_steps');
  return c;
}
