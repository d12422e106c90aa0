/** `sim2real urdf FILE`: parse a robot, build it in Rapier, drop it, and report what was used. */
import { Command } from 'commander';
import { inspectUrdf, MAX_DROP_BODIES } from '../sim/inspect.ts';
import { formatBytes, MAX_URDF_BYTES } from '../robot/input_file.ts';
import { MAX_URDF_LINKS } from '../robot/urdf/urdf_loader.ts';
import { asUsageAsync, printJson, table, UsageError } from './common.ts';
import { runInit } from './urdf_init.ts';

const fmt = (v: number | null) => (v === null ? '-' : Number(v.toPrecision(4)).toString());

export function urdfCommand(): Command {
  return new Command('urdf')
    .description(`Check a URDF file: links, joints (type, axis, limits), total mass, degrees of freedom, and a one-second drop test in Rapier (robots of up to ${MAX_DROP_BODIES} rigid bodies). Files above ${formatBytes(MAX_URDF_BYTES)} or ${MAX_URDF_LINKS} links, and anything but a regular file, are refused.`)
    .argument('<file>', 'URDF file')
    .option('--json', 'print one JSON object on stdout')
    .option('--init <out.json>', 'write a robot contract for this URDF (legs, feet, standing pose, gains, locomotion section; a fixed-base contract for an arm), check that it stands 5 s in simulation, and print every guess with its reason')
    .option('--force', 'with --init: replace an existing file')
    .addHelpText('after', '\nExamples:\n  sim2real urdf robots/quadruped.urdf\n  sim2real urdf my_robot.urdf --json\n  sim2real urdf my_robot.urdf --init my_robot.json\n  sim2real urdf my_robot.urdf --init my_robot.json --force --json\n\nSee docs/your-robot.md for the way from a URDF to a deployed policy.')
    .action(async (file: string, opts: { json?: boolean; init?: string; force?: boolean }) => {
      if (opts.init !== undefined) {
        await runInit(file, opts.init, opts);
        return;
      }
      if (opts.force) throw new UsageError('--force only goes with --init');
      const r = await asUsageAsync(() => inspectUrdf(file));
      if (opts.json) {
        printJson(r);
        return;
      }
      console.log(`robot ${r.robot} (${r.file})`);
      console.log(`  ${r.links.length} links, ${r.joints.length} joints, ${r.dof} movable (${r.base} base), ${r.bodies} rigid bodies after merging fixed joints, total mass ${r.total_mass_kg.toFixed(3)} kg`);
      console.log(table(['joint', 'type', 'parent → child', 'axis', 'lower', 'upper', 'effort', 'velocity'],
        r.joints.filter((j) => j.type !== 'fixed').map((j) => [j.name, j.type, `${j.parent} → ${j.child}`, j.axis.map((a) => fmt(a)).join(' '), fmt(j.lower), fmt(j.upper), fmt(j.effort), fmt(j.velocity)])));
      const d = r.drop;
      if (d === null) console.log(`drop test: skipped (${r.drop_skipped})`);
      else console.log(d.finite
        ? `drop test: ${d.seconds} s from ${d.start_height_m.toFixed(2)} m → root at ${d.final_height_m.toFixed(3)} m, peak speed ${d.max_speed_m_s.toFixed(2)} m/s`
        : 'drop test: the simulation produced non-finite values (check masses and inertias)');
      const warnings = collapseVisualMeshes(r.warnings);
      if (warnings.length) console.log(`warnings:\n${warnings.map((w) => `  - ${w}`).join('\n')}`);
    });
}

/** One line for all "visual mesh … is not loaded" warnings (a robot can have dozens); the rest as they are. */
function collapseVisualMeshes(warnings: string[]): string[] {
  const visual = warnings.filter((w) => /visual mesh .* is not loaded/.test(w));
  if (visual.length <= 1) return warnings;
  const files = [...new Set(visual.map((w) => /visual mesh (\S+)/.exec(w)?.[1]?.split('/').at(-1) ?? '?'))];
  return [
    ...warnings.filter((w) => !visual.includes(w)),
    `${visual.length} visual meshes not loaded (visuals are not simulated): ${files.slice(0, 8).join(', ')}${files.length > 8 ? ', …' : ''}`,
  ];
}
