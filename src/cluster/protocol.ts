/**
 * What the learner and the rollout hosts say to each other over NATS (docs/cluster.md): the
 * subjects, the JetStream buckets, and the messages. Control messages are request/reply frames
 * with a JSON header (`op`); a step is a frame of actions out and a frame of results back, each
 * split into parts when above the server's payload limit. Every message names the run (and a
 * step its iteration and sequence number), so neither side acts on another run's traffic.
 */
import type { DomainRandomization } from '../task/randomize.ts';
import type { EnvDims } from '../sim/env_buffers.ts';
import type { SignalNames } from '../rl/rollout_source.ts';

/** Subjects, all under `sim2real.`. */
export const SUBJECTS = {
  /** The learner asks every host to say hello now (published, no reply). */
  discover: 'sim2real.discover',
  /** Each host's `Hello`, at start, on `discover` and every heartbeat. */
  hello: 'sim2real.hello',
  /** The learner's heartbeat (`LearnerAlive`). */
  learner: 'sim2real.learner',
  /** Control requests to one host (`op`: assign, release, save, reset, end, ping). */
  ctl: (hostId: string) => `sim2real.host.${hostId}.ctl`,
  /** Step requests to one host (parts of a `StepRequest` frame). */
  step: (hostId: string) => `sim2real.host.${hostId}.step`,
  /** Step results for one run (parts of a `StepResult` frame). */
  chunks: (runId: string) => `sim2real.run.${runId}.chunks`,
};

/** JetStream key-value bucket holding the learner's lease (key `LEASE_KEY`). */
export const KV_BUCKET = 'sim2real';
export const LEASE_KEY = 'learner';
/** Seconds a lease lives without being renewed (the bucket's max age): a killed learner's lease is gone after this. */
export const LEASE_TTL_S = 6;
/** JetStream object store for env group states (checkpoints, moves) and robot files. */
export const OBJ_BUCKET = 'sim2real-state';

/** Ids (host, run) are short random hex, safe in subjects. */
export function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A host introducing itself (and, every heartbeat, saying it is alive and what it holds). */
export interface Hello {
  hostId: string;
  /** `--name`, or the machine's host name and process id. */
  name: string;
  /** The sim2real version it runs. */
  version: string;
  /** Worker threads it offers (`--workers`): how many env groups it takes at a fair share. */
  workers: number;
  /** The run it serves, or null while waiting. */
  runId: string | null;
  /** Env groups it holds for that run. */
  groups: number[];
}

/** The learner's lease in the key-value bucket, and its heartbeat. */
export interface LearnerAlive {
  runId: string;
  /** The learner's host name and process id, for log lines. */
  name: string;
  version: string;
}

/** The robot files a run ships to its hosts (data, never code): a robot copy in the object store. */
export interface ShippedRobot {
  /** The robot's name, and SHA-256 over its files (`robotCopy`): hosts check their copy against it. */
  name: string;
  sha256: string;
  /** The contract's path relative to the copy's folder. */
  contract: string;
  /** Each file's path relative to the folder, and its object in `OBJ_BUCKET`. */
  files: { rel: string; object: string }[];
}

/** Everything a host needs to build a run's envs: the task by name (never its code), sizes, seed, randomization. */
export interface RunSpec {
  runId: string;
  /** The learner's sim2real version: a host of another version refuses the run. */
  version: string;
  /** The task's registered name or module path, looked up on the host. */
  task: string;
  /** The robot when not the task's own, or null. */
  robot: ShippedRobot | null;
  seed: number;
  /** All envs of the run, and the groups they are split into (the run's worker groups). */
  numEnvs: number;
  numGroups: number;
  /** Randomization ranges, as the local vec env gets them. */
  dr: DomainRandomization;
  /** Where hosts publish step results. */
  chunkSubject: string;
}

/** One env group: env slots [first, first + count), stepped in one Rapier world. */
export interface GroupSpec {
  index: number;
  first: number;
  count: number;
}

/**
 * The run's envs split into `numGroups` contiguous, near-equal groups — the split the local vec
 * env makes over its workers, so a group here is a worker there.
 */
export function groupLayout(numEnvs: number, numGroups: number): GroupSpec[] {
  if (!Number.isInteger(numGroups) || numGroups < 1 || numGroups > numEnvs) throw new Error(`cannot split ${numEnvs} envs into ${numGroups} groups`);
  const out: GroupSpec[] = [];
  let first = 0;
  for (let index = 0; index < numGroups; index++) {
    const count = Math.floor(numEnvs / numGroups) + (index < numEnvs % numGroups ? 1 : 0);
    out.push({ index, first, count });
    first += count;
  }
  return out;
}

// -- control requests (frame headers; replies are `CtlReply` frames)

/** Build these groups for the run (from a reset, or from a saved state in the object store); the reply carries their observations. */
export interface AssignRequest {
  op: 'assign';
  run: RunSpec;
  groups: (GroupSpec & { state: string | null })[];
  /** The sequence number of the next step request. */
  nextSeq: number;
}

/** Drop these groups. */
export interface ReleaseRequest {
  op: 'release';
  runId: string;
  groups: number[];
}

/** Put these groups' states into the object store as `<prefix>/g<index>`. */
export interface SaveRequest {
  op: 'save';
  runId: string;
  groups: number[];
  prefix: string;
}

/** Reset every env of the groups held; the reply carries their observations. */
export interface ResetRequest {
  op: 'reset';
  runId: string;
  groups: number[];
}

/** The run is over: drop its groups and wait for the next. */
export interface EndRequest {
  op: 'end';
  runId: string;
}

export interface PingRequest {
  op: 'ping';
}

export type CtlRequest = AssignRequest | ReleaseRequest | SaveRequest | ResetRequest | EndRequest | PingRequest;

/** A host's answer to a control request; `obs` (rows of the named groups, in order) travels as an array. */
export type CtlReply =
  | { ok: true; hostId: string; dims?: EnvDims; signals?: SignalNames; groups?: number[]; objects?: Record<string, string> }
  | { ok: false; hostId: string; error: string };

// -- steps

/** One control step of a host's groups: `actions` rows for `groups`, in that order. */
export interface StepRequest {
  runId: string;
  iteration: number;
  seq: number;
  groups: number[];
}

/**
 * A host's results of one step, rows of `groups` in order: arrays `obs`, `rewards`,
 * `terminated`, `truncated`, `rewardTerms`, `episodeReturn`, `episodeLength`, and `terminalObs`
 * for the rows whose episode ended only (in row order).
 */
export interface StepResult {
  runId: string;
  hostId: string;
  iteration: number;
  seq: number;
  groups: number[];
  /** Seconds the host spent stepping (the rest of the round trip is transfer). */
  computeS: number;
}
