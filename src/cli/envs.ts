/** `sim2real envs`: every registered task with its observation/action layout, timing and randomization. */
import { Command } from 'commander';
import { listTasks } from '../../envs/index.ts';
import { loadRobotSpec } from '../robot/robot_spec.ts';
import type { TaskSpec } from '../task/task.ts';
import { describeRanges, type DrParamInfo } from '../task/randomize.ts';
import { printJson, table } from './common.ts';

/** The JSON description of one task (`sim2real envs --json` prints an array of these). */
function describeTask(task: TaskSpec) {
  const spec = loadRobotSpec(task.robot);
  return {
    name: task.name,
    description: task.description,
    robot: task.robot,
    obs_dim: task.observations.length,
    // the critic's input size beside the actor's, for tasks whose critic sees privileged signals
    ...(task.criticObservations ? { critic_obs_dim: task.criticObservations.length } : {}),
    act_dim: task.actions.length,
    control_dt_s: spec.control_dt_s,
    physics_dt_s: spec.physics_dt_s,
    control_mode: spec.control_mode,
    max_episode_steps: task.maxEpisodeSteps,
    episode_s: task.maxEpisodeSteps * spec.control_dt_s,
    observations: task.observations.map((s) => ({ name: s.name, unit: s.unit, scale: s.scale ?? 1, noise: s.noise ?? 0 })),
    actions: task.actions.map((s) => ({ name: s.name, unit: s.unit, scale: s.scale ?? 1 })),
    reward_terms: [...task.rewardTerms],
    commands: (task.commands ?? []).map((c) => ({ name: c.name, unit: c.unit, range: [...c.range] })),
    dr: task.dr,
    /** Every randomization parameter: unit, description, limits, nominal value, and this task's range. */
    dr_params: describeRanges(task.dr),
  };
}

export function envsCommand(): Command {
  return new Command('envs')
    .description('List the tasks: observation and action sizes and names, control period, randomization knobs.')
    .option('--json', 'print one JSON array on stdout')
    .addHelpText('after', '\nExamples:\n  sim2real envs\n  sim2real envs --json | jq ".[].name"')
    .action((opts: { json?: boolean }) => {
      const all = listTasks().map(describeTask);
      if (opts.json) {
        printJson(all);
        return;
      }
      console.log(table(['env', 'obs', 'act', 'control', 'episode', 'robot', 'description'],
        all.map((t) => [t.name, t.obs_dim, t.act_dim, `${1 / t.control_dt_s} Hz`, `${t.episode_s} s`, t.robot, t.description])));
      for (const t of all) {
        console.log(`\n${t.name}`);
        console.log(`  observations: ${t.observations.map((o) => `${o.name} [${withScale(o.unit, o.scale)}]`).join(', ')}`);
        console.log(`  actions:      ${t.actions.map((a) => `${a.name} [${withScale(a.unit, a.scale)}]`).join(', ')}`);
        console.log(`  reward terms: ${t.reward_terms.join(', ')}`);
        if (t.commands.length) console.log(`  commands:     ${t.commands.map((c) => `${c.name} ${c.range[0]}..${c.range[1]} ${c.unit}`).join(', ')} (hold one with sim2real eval --command)`);
        console.log(`  randomization: ${describeDr(t.dr_params)}`);
      }
    });
}

/** The ranges that differ from nominal, as `key lo..hi unit` (or `key v unit` for a fixed value). */
function describeDr(params: DrParamInfo[]): string {
  const parts = params
    .filter((p) => p.range[0] !== p.nominal || p.range[1] !== p.nominal)
    .map((p) => `${p.name} ${p.range[0] === p.range[1] ? p.range[0] : `${p.range[0]}..${p.range[1]}`}${p.unit ? ` ${p.unit}` : ''}`);
  return parts.join(', ') || 'none';
}

/** `m/s` or, with a scale, `m/s, ×2` (observed = 2 · quantity; for actions: quantity = scale · action). */
function withScale(unit: string, scale: number): string {
  return scale === 1 ? unit : `${unit}, ×${scale}`;
}
