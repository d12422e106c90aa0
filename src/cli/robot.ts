/**
 * `sim2real robot`: a simulated robot controller — the task in Rapier, or in MuJoCo with
 * `--engine mujoco`, as if it were the real robot — driven by a running `sim2real deploy` over
 * the network; reports return and latency.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { runRehearsal } from '../rehearsal/rehearsal.ts';
import { shiftRandomization } from '../task/shift.ts';
import { effectiveRanges, NOMINAL } from '../task/randomize.ts';
import { asUsage, asUsageAsync, nonNegativeInt, nonNegativeNumber, positiveInt, printJson, say, UsageError } from './common.ts';
import { collectSet } from './overrides.ts';
import { MAX_ROBOT_EPISODES } from './limits.ts';
import { parseShifts, shiftKeysHelp } from './shift.ts';
import { ROBOT_OPTION_HELP, taskFor } from './robot_option.ts';
import { checkEngineRanges, checkEngineShifts, ENGINE_OPTION_HELP, loadEngine, parseEngine, type EngineName } from './engine_option.ts';

interface RobotOpts {
  env: string;
  robot?: string;
  connect: string;
  episodes: number;
  seed: number;
  randomize: boolean;
  engine: EngineName;
  shift?: string[];
  rateHz?: number;
  encoding: string;
  token?: string;
  ca?: string;
  record?: string;
  json?: boolean;
}

/** The `robot` command. */
export function robotCommand(): Command {
  return new Command('robot')
    .description('Run a task in the simulator as a robot controller driven by a sim2real deploy bridge: one connection per env, one episode per env; return and latency percentiles.')
    .requiredOption('--env <name>', 'task name or task module path')
    .option('--robot <file.json>', `${ROBOT_OPTION_HELP} (the simulated robot; the bridge checks it against the policy with its own --robot)`)
    .requiredOption('--connect <url>', 'bridge address, ws://host:port or wss://host:port')
    .option('--episodes <n>', `episodes (= simulated robots, one connection each; at most ${MAX_ROBOT_EPISODES})`, positiveInt('--episodes', MAX_ROBOT_EPISODES), 20)
    .option('--seed <n>', 'seed of the envs (same meaning as eval --seed)', nonNegativeInt('--seed'), 1)
    .option('--no-randomize', 'nominal dynamics instead of the ranges the policy trained under')
    .option('--engine <name>', ENGINE_OPTION_HELP, parseEngine, 'rapier')
    .option('--shift <key=value>', `fix a dynamics parameter, also outside the training ranges (repeatable); keys: ${shiftKeysHelp()}`, collectSet)
    .option('--rate-hz <hz>', 'control rate of the simulated robots (default: as fast as the bridge answers)', nonNegativeNumber('--rate-hz'))
    .option('--encoding <e>', 'observation encoding: binary or json', 'binary')
    .option('--token <t>', 'bridge token')
    .option('--ca <pem>', 'CA certificate to trust for wss:// (a self-signed bridge certificate)')
    .option('--record <file.rec>', 'record each episode (observations, actions, motor commands and the state to replay from) for sim2real calibrate')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real robot --env cartpole --connect ws://127.0.0.1:9090 --episodes 5 --json',
      '  sim2real robot --env cartpole --connect ws://127.0.0.1:9090 --rate-hz 50 --shift latency_steps=2',
      '  sim2real robot --env quadruped --robot robots/a1.json --connect ws://127.0.0.1:9090 --episodes 4',
      '  sim2real robot --env quadruped --connect ws://127.0.0.1:9090 --engine mujoco --no-randomize --episodes 4   # rehearse on MuJoCo',
      '  sim2real robot --env cartpole --connect ws://127.0.0.1:9090 --no-randomize --shift motor_strength=0.8 --record robot.rec   # a log for calibrate',
    ].join('\n'))
    .action(async (o: RobotOpts) => {
      if (o.encoding !== 'binary' && o.encoding !== 'json') throw new UsageError(`--encoding ${o.encoding}: expected binary or json`);
      if (!/^wss?:\/\//.test(o.connect)) throw new UsageError(`--connect ${o.connect}: expected ws://host:port or wss://host:port`);
      const shifts = parseShifts(o.shift ?? []);
      const engine = await loadEngine(o.engine);
      checkEngineShifts(engine, shifts);
      const task = await taskFor(o.env, o.robot);
      let shift: Record<string, number> = {};
      const r = await asUsageAsync(() => runRehearsal({
        url: o.connect, task, episodes: o.episodes, seed: o.seed, rateHz: o.rateHz ?? null, encoding: o.encoding as 'binary',
        ...(o.token ? { token: o.token } : {}),
        ...(o.ca ? { ca: asUsage(() => readFileSync(o.ca as string)) } : {}),
        resolveDr: (trained) => {
          const base = effectiveRanges(NOMINAL, { randomize: o.randomize, overrides: trained });
          const s = shiftRandomization(base, shifts);
          shift = s.shift;
          checkEngineRanges(engine, s.dr);
          return s.dr;
        },
        engine,
        ...(o.record ? { record: { file: o.record, source: `sim2real robot --env ${o.env} --connect ${o.connect} --seed ${o.seed}` } } : {}),
      }));
      const line = `${o.env}${o.engine === 'rapier' ? '' : ` on ${o.engine}`} through ${o.connect}: return ${r.mean_return.toFixed(2)} ± ${r.std_return.toFixed(2)}, length ${r.mean_length.toFixed(1)} over ${r.episodes} episodes; latency p50 ${r.latency_ms_p50.toFixed(3)} ms, p99 ${r.latency_ms_p99.toFixed(3)} ms; ${r.dropped} dropped; ${r.safety_interventions} safety interventions`;
      if (o.json) {
        say(line);
        printJson({ env: o.env, connect: o.connect, engine: o.engine, seed: o.seed, randomize: o.randomize, shift, encoding: o.encoding, ...r });
      } else console.log(line);
    });
}
