/**
 * The learner's handling of step rows: cutting a step's actions into each member's rows,
 * checking a host's results before anything is trained on them (shape, flags, finite numbers),
 * placing them at their env slots, and the rows of envs whose host was lost mid-step.
 */
import type { EnvBuffers, EnvDims } from '../sim/env_buffers.ts';
import type { Frame } from './frame.ts';
import type { StepRows } from './group_set.ts';
import type { GroupSpec, StepResult } from './protocol.ts';

/** The rows of `groups` (in order) taken from `all` [numEnvs, width]. */
export function rowsOf(all: Float32Array, layout: readonly GroupSpec[], groups: readonly number[], width: number): Float32Array {
  const specs = groups.map((g) => layout[g] as GroupSpec);
  const out = new Float32Array(specs.reduce((n, s) => n + s.count, 0) * width);
  let at = 0;
  for (const s of specs) {
    out.set(all.subarray(s.first * width, (s.first + s.count) * width), at);
    at += s.count * width;
  }
  return out;
}

/**
 * Why result `f` cannot be trained on as the rows of `groups`, or null when it can: the groups
 * asked for, every array present with the right type and length, flags 0 or 1 (never both),
 * every number the learner reads finite.
 */
export function checkResult(f: Frame<StepResult>, layout: readonly GroupSpec[], groups: readonly number[], dims: EnvDims): string | null {
  if (!Array.isArray(f.header.groups) || f.header.groups.join(',') !== groups.join(',')) return `groups [${String(f.header.groups)}], asked for [${groups.join(', ')}]`;
  const rows = groups.reduce((n, g) => n + (layout[g] as GroupSpec).count, 0);
  const a = f.arrays;
  const shape: [keyof StepRows, new (n: number) => unknown, number][] = [
    ['obs', Float32Array, rows * dims.obsDim], ['rewards', Float32Array, rows], ['terminated', Uint8Array, rows], ['truncated', Uint8Array, rows],
    ['rewardTerms', Float32Array, rows * dims.numTerms], ['episodeReturn', Float32Array, rows], ['episodeLength', Int32Array, rows],
  ];
  for (const [name, Ctor, length] of shape) {
    const x = a[name];
    if (!(x instanceof Ctor) || (x as Float32Array).length !== length) return `${name}: expected ${length} values, got ${x ? (x as Float32Array).length : 'none'}`;
  }
  const r = a as unknown as StepRows;
  let ended = 0;
  for (let i = 0; i < rows; i++) {
    const te = r.terminated[i]!, tr = r.truncated[i]!;
    if (te > 1 || tr > 1 || (te && tr)) return `env row ${i}: terminated ${te}, truncated ${tr}`;
    if (te || tr) {
      ended++;
      if (!Number.isFinite(r.episodeReturn[i]!)) return `env row ${i}: episode return ${r.episodeReturn[i]}`;
    }
  }
  if (!(r.terminalObs instanceof Float32Array) || r.terminalObs.length !== ended * dims.obsDim) return `terminalObs: expected ${ended * dims.obsDim} values`;
  for (const name of ['obs', 'rewards', 'rewardTerms', 'terminalObs'] as const) {
    const x = r[name];
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return `${name}[${i}] is ${x[i]}`;
  }
  return null;
}

/**
 * Each env's return and length so far in its current episode, kept by the learner from the
 * steps' flags and rewards: what the envs of a host lost mid-episode had.
 */
export class EpisodeProgress {
  readonly ret: Float64Array;
  readonly len: Int32Array;

  constructor(numEnvs: number) {
    this.ret = new Float64Array(numEnvs);
    this.len = new Int32Array(numEnvs);
  }

  /** After a step: an ended episode starts over, the others grow by the step. */
  advance(buf: EnvBuffers): void {
    for (let i = 0; i < this.len.length; i++) {
      if (buf.terminated[i] || buf.truncated[i]) {
        this.ret[i] = 0;
        this.len[i] = 0;
      } else {
        this.ret[i] = this.ret[i]! + buf.rewards[i]!;
        this.len[i] = this.len[i]! + 1;
      }
    }
  }

  /** Every episode starts over (a reset). */
  clear(): void {
    this.ret.fill(0);
    this.len.fill(0);
  }

  /** Group `g`'s envs as a saved state has them (its slots' step counts and returns). */
  load(g: GroupSpec, steps: ArrayLike<number>, ret: ArrayLike<number>): void {
    for (let i = 0; i < g.count; i++) {
      this.len[g.first + i] = steps[i] ?? 0;
      this.ret[g.first + i] = ret[i] ?? 0;
    }
  }

  /** Steps of the episodes in progress in group `g`'s envs. */
  stepsIn(g: GroupSpec): number {
    let n = 0;
    for (let i = g.first; i < g.first + g.count; i++) n += this.len[i]!;
    return n;
  }
}

/** Writes `rows` (the results of `groups`, in order) into `buf` at the groups' env slots. */
export function placeRows(buf: EnvBuffers, layout: readonly GroupSpec[], groups: readonly number[], rows: StepRows, dims: EnvDims): void {
  const { obsDim: D, numTerms: K } = dims;
  let r = 0, ended = 0;
  for (const g of groups) {
    const s = layout[g] as GroupSpec;
    const n = s.count, at = s.first;
    buf.obs.set(rows.obs.subarray(r * D, (r + n) * D), at * D);
    buf.rewards.set(rows.rewards.subarray(r, r + n), at);
    buf.terminated.set(rows.terminated.subarray(r, r + n), at);
    buf.truncated.set(rows.truncated.subarray(r, r + n), at);
    buf.rewardTerms.set(rows.rewardTerms.subarray(r * K, (r + n) * K), at * K);
    buf.episodeReturn.set(rows.episodeReturn.subarray(r, r + n), at);
    buf.episodeLength.set(rows.episodeLength.subarray(r, r + n), at);
    for (let i = 0; i < n; i++) {
      if (rows.terminated[r + i] || rows.truncated[r + i]) buf.terminalObs.set(rows.terminalObs.subarray(ended * D, ++ended * D), (at + i) * D);
    }
    r += n;
  }
}

/**
 * The step of group `g`'s envs whose host was lost before answering: each env's episode is cut
 * like a time-out — truncated, its last observation (still in `buf.obs`) as the terminal one,
 * the return and length it had so far — and it continues from `freshObs`, a reset elsewhere.
 */
export function cutRows(buf: EnvBuffers, g: GroupSpec, freshObs: Float32Array, episode: { ret: Float64Array; len: Int32Array }, dims: EnvDims): void {
  const { obsDim: D, numTerms: K } = dims;
  const a = g.first, b = g.first + g.count;
  buf.terminalObs.set(buf.obs.subarray(a * D, b * D), a * D);
  buf.obs.set(freshObs, a * D);
  buf.rewards.fill(0, a, b);
  buf.terminated.fill(0, a, b);
  buf.truncated.fill(1, a, b);
  buf.rewardTerms.fill(0, a * K, b * K);
  for (let i = a; i < b; i++) {
    buf.episodeReturn[i] = episode.ret[i]!;
    buf.episodeLength[i] = episode.len[i]!;
  }
}
