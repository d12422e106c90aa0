/**
 * `sim2real calibrate`: fits the simulator's physical parameters to a robot's logged session
 * (`src/calibrate/`, docs/calibration.md) and writes a config layer for `train --config` whose
 * randomization ranges are centred on the fitted values.
 */
import { Command } from 'commander';
import { calibrationLayer, CALIBRATED_WIDTH } from '../calibrate/config_layer.ts';
import { checkFitParams, fitParameters, fittableParams } from '../calibrate/fit.ts';
import { replayColumns } from '../calibrate/replay.ts';
import { CalibrationInputError, readSessionLog } from '../calibrate/session_log.ts';
import { writeFileAtomic } from '../rl/atomic_file.ts';
import { asUsage, nonNegativeInt, positiveInt, printJson, say, table, UsageError } from './common.ts';
import { ROBOT_OPTION_HELP, taskFor } from './robot_option.ts';

interface CalibrateOpts {
  env: string;
  robot?: string;
  log: string;
  params?: string;
  budget: number;
  horizon: number;
  windows: number;
  folds: number;
  population: number;
  seed: number;
  out?: string;
  json?: boolean;
}

/** The `calibrate` command. */
export function calibrateCommand(): Command {
  return new Command('calibrate')
    .description('Fit the simulator to a logged robot session (sim2real robot --record): replay the logged actions from the logged states in many simulated robots and fit the chosen randomization parameters by the cross-entropy method; print each fitted value with its uncertainty and the trajectory error before and after; write a config layer for train --config centred on the fitted values.')
    .requiredOption('--env <name>', 'task name or task module path (the log must be of this task)')
    .option('--robot <file.json>', `${ROBOT_OPTION_HELP} (the robot the log was recorded on)`)
    .requiredOption('--log <file.rec>', 'the logged session (recording format with state columns, docs/recording.md)')
    .option('--params <p1,p2>', 'parameters to fit (default: every one the task randomizes that a replay can identify)')
    .option('--budget <n>', 'candidate evaluations per fold (population × generations)', positiveInt('--budget', 100_000), 320)
    .option('--horizon <steps>', 'control steps replayed from each logged state', positiveInt('--horizon', 1000), 20)
    .option('--windows <n>', 'replay windows spread over the log, at most', positiveInt('--windows', 10_000), 48)
    .option('--folds <n>', 'folds the windows are dealt into; the spread of their fits is the uncertainty', positiveInt('--folds', 64), 4)
    .option('--population <n>', 'candidates per generation', positiveInt('--population', 1024), 16)
    .option('--seed <n>', 'seed of the search', nonNegativeInt('--seed'), 1)
    .option('--out <calib.json>', 'write the config layer ({"dr": {…}}) here, atomically')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', [
      '\nExamples:',
      '  sim2real robot --env cartpole --connect ws://127.0.0.1:9090 --episodes 3 --no-randomize --shift motor_strength=0.8 --record robot.rec',
      '  sim2real calibrate --env cartpole --log robot.rec --params motor_strength,latency_steps --out calib.json',
      '  sim2real train --env cartpole --config calib.json --init-from policies/cartpole.onnx',
    ].join('\n'))
    .action(async (o: CalibrateOpts) => {
      if (o.folds < 2) throw new UsageError('--folds must be at least 2 (the spread of the folds\' fits is the uncertainty)');
      if (o.population < 4) throw new UsageError('--population must be at least 4');
      const task = await taskFor(o.env, o.robot);
      const params = asUsage(() => checkFitParams(task, o.params !== undefined ? o.params.split(',').map((s) => s.trim()).filter(Boolean) : fittableParams(task)));
      const { spec, columns } = asUsage(() => replayColumns(task));
      const log = asUsage(() => readSessionLog(o.log, task, spec, columns));
      say(`calibrate ${task.name}: ${log.steps} logged steps in ${log.episodes.length} episodes; fitting ${params.join(', ')}`);
      let lastSaid = 0;
      let result;
      try {
        result = await fitParameters({
          task, log, params, budget: o.budget, horizon: o.horizon, windows: o.windows, folds: o.folds, population: o.population, seed: o.seed,
          onProgress: (g, n, loss) => {
            if (g === n || Date.now() - lastSaid > 2000) {
              lastSaid = Date.now();
              say(`generation ${g}/${n}: best loss ${loss.toExponential(3)}`);
            }
          },
        });
      } catch (e) {
        if (e instanceof CalibrationInputError) throw new UsageError(e.message);
        throw e;
      }
      const layer = calibrationLayer(result.fitted);
      if (o.out) asUsage(() => writeFileAtomic(o.out as string, `${JSON.stringify(layer, null, 2)}\n`));
      const rows = Object.entries(result.fitted).map(([p, f]) => [p, fmt(f.nominal), fmt(f.value), fmt(f.uncertainty), `[${layer.dr[p]!.map(fmt).join(', ')}]`]);
      const text = [
        table(['parameter', 'nominal', 'fitted', 'uncertainty', 'calibrated range'], rows),
        `trajectory error ${result.error_before.toExponential(3)} (nominal) -> ${result.error_after.toExponential(3)} (fitted); ${result.loss}, ${result.windows} windows of ${result.horizon_steps} steps in ${result.folds} folds`,
        `ranges: half-width max(${CALIBRATED_WIDTH.uncertainties} × uncertainty, ${CALIBRATED_WIDTH.relative * 100}% of the value)${o.out ? `; config layer written to ${o.out} (train --config ${o.out})` : ''}`,
      ].join('\n');
      if (o.json) {
        say(text);
        printJson({ env: task.name, log: o.log, ...result, ranges: layer.dr, ...(o.out ? { out: o.out } : {}) });
      } else console.log(text);
    });
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}
