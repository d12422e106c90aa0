/**
 * `sim2real urdf FILE --init OUT.json`: refuse to overwrite OUT without --force, draft and check
 * the contract (src/sim/contract_init.ts), write it, and print every guess with its reason, the
 * stand check, and what the user should check.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { initContract, type ContractInitReport } from '../sim/contract_init.ts';
import type { StandReport } from '../sim/stand_check.ts';
import { checkOutputTarget, writeFileAtomic } from '../rl/atomic_file.ts';
import { asUsage, asUsageAsync, printJson, say, table, UsageError } from './common.ts';

/** Options of `--init`. */
export interface InitOptions {
  force?: boolean;
  json?: boolean;
}

/** Runs `--init`; throws (exit 1, after writing OUT) when the legged robot does not pass the stand check. */
export async function runInit(file: string, out: string, opts: InitOptions): Promise<void> {
  if (existsSync(out) && !opts.force) throw new UsageError(`${out} exists: not overwritten (add --force to replace it)`);
  asUsage(() => checkOutputTarget(path.resolve(out)));
  const r = await asUsageAsync(() => initContract(file, out));
  writeFileAtomic(r.out_file, r.text);
  const log = opts.json ? say : (line: string) => console.log(line);
  if (opts.json) printJson({ ...r, text: undefined });
  else printReport(r, out, log);
  if (r.stand !== null && !r.stand.pass) {
    throw new Error(`the robot does not stand in its default pose (${r.stand.failures[0] ?? 'see above'}); ${r.out_file} was written so you can adjust it (default_pos, kp), or start again with --force`);
  }
}

/** The human report: robot, legs and pose, guesses with reasons, stand check, checks, warnings. */
function printReport(r: ContractInitReport, out: string, log: (line: string) => void): void {
  log(`robot ${r.robot} (${r.urdf_file}): ${r.kind === 'legged' ? `floating base, ${r.legs.length} legs` : 'fixed base'}, ${r.contract.joints.length} driven joints`);
  if (r.message) log(r.message);
  if (r.kind === 'legged') {
    log(table(['leg', 'joint', 'default_pos', 'stands at', 'limits', 'kp', 'kd', 'foot'], r.legs.flatMap((l) => l.joints.map((j, k) => [
      k === 0 ? l.name : '', `${j.name}${j.name === l.knee ? ' (knee)' : ''}`, j.default_pos, j.stand_pos, limits(j.lower, j.upper), j.kp, j.kd, k === 0 ? `${l.foot} (${l.footShape})` : '',
    ]))));
  }
  log('guesses, and why:');
  for (const g of r.guesses) log(`  ${g.what}: ${g.value}\n      ${g.why}`);
  for (const l of r.legs) if (l.knee) log(`  leg ${l.name} knee ${l.knee}: ${l.kneeWhy}`);
  log(r.stand === null ? 'stand check: not run (a fixed-base robot stands on the world)' : standLine(r.stand));
  log(`wrote ${r.out_file}`);
  log('check before training, and again on the real robot before enabling its motors:');
  for (const c of r.checks) log(`  - ${c}`);
  if (r.warnings.length > 0) log(`warnings:\n${r.warnings.map((w) => `  - ${w}`).join('\n')}`);
  if (r.kind === 'legged') log(`next: sim2real train --env quadruped --robot ${out}`);
}

/** One line: what the stand check saw and its verdict. */
export function standLine(s: StandReport): string {
  const pct = (x: number) => `${Math.round((100 * x) / s.nominal_height_m)}%`;
  const what = `stand check: ${s.seconds} s with zero actions from ${s.start_height_m} m: base ${s.min_height_m.toFixed(3)}–${s.max_height_m.toFixed(3)} m `
    + `(${pct(s.min_height_m)}–${pct(s.max_height_m)} of nominal ${s.nominal_height_m} m; within ±10% after 1 s), tilt ≤ ${s.max_tilt_deg.toFixed(1)}°, `
    + `speed ${s.final_speed_m_s.toFixed(3)} m/s at the end, ${s.other_contacts.length === 0 ? 'only the feet touched the ground' : `also touching: ${s.other_contacts.join(', ')}`}`;
  return `${what}: ${s.pass ? 'pass' : `FAIL (${s.failures.join('; ')})`}`;
}

function limits(lo: number, hi: number): string {
  if (!Number.isFinite(lo) && !Number.isFinite(hi)) return 'none';
  const f = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(3)).toString() : v > 0 ? '∞' : '-∞');
  return `[${f(lo)}, ${f(hi)}]`;
}
