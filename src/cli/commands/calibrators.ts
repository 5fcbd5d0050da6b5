import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadModel, graphOf } from '../../graph/onnx-model.js';
import { writeFileAtomic } from '../../output/output-session.js';
import { planOutputs } from '../../output/output-plan.js';
import { UserError } from '../../errors.js';
import { jsonNumbers } from '../../report/format.js';
import { trtVersionNumber } from '../../quant/calibration-cache.js';
import { countImages } from '../../quant/calibration-pipeline.js';
import { CALIBRATORS, parseCalibrator } from '../../quant/calibrators.js';
import { formatCalibratorsReport } from '../../quant/calibrators-report.js';
import { runCalibrators } from '../../quant/calibrators-run.js';
import type { PlacementPolicy } from '../../quant/placement.js';
import { progressBar } from '../../report/progress.js';
import { calibrationFlags, toCalibrationArgs } from '../calibration-options.js';
import { jsonOption, toJsonTarget, toScoreChannels } from '../options.js';
import { numberFlag, numeric } from '../flag-values.js';
import { log } from '../../log.js';

interface CalibratorsArgs {
  model: string;
  out: string;
  eval?: string;
  calibrators: string[];
  output?: string;
  placement: string;
  'trt-version': string;
  [k: string]: unknown;
}

export const command: CommandModule<object, CalibratorsArgs> = {
  command: 'calibrators',
  describe: 'Run every calibrator from one activation pass and show which one breaks the model, and where',
  builder: (y) => jsonOption(calibrationFlags(y), 'also print the report as JSON (- for stdout) or write it to this file')
    .option('out', { type: 'string', demandOption: true, describe: 'folder for the caches and Q/DQ models' })
    .option('eval', { type: 'string', describe: 'input to evaluate on (default: the first calibration image)' })
    .option('calibrators', { type: 'string', array: true, default: [...CALIBRATORS], describe: 'calibrators to run' })
    .option('output', { type: 'string', describe: 'model output whose channel range is scored separately (default: the first output)' })
    .option('break-db', { ...numeric, default: 20, describe: 'report the first layer whose SQNR falls below this (dB)' }) as unknown as Argv<CalibratorsArgs>,
  handler: async (argv) => {
    planOutputs([{ flag: '--out', path: argv.out, files: ['calibrators.json'] }], [argv.model, argv.images, argv.eval]);
    const calibrators = [...new Set(argv.calibrators.flatMap((s) => s.split(',')).filter(Boolean).map(parseCalibrator))];
    const channels = toScoreChannels(argv);
    const c0 = toCalibrationArgs(argv);
    const json = toJsonTarget(argv);
    const breakDb = numberFlag(argv, 'break-db') ?? 20;
    const trtVersion = trtVersionNumber(argv['trt-version']);
    if (argv.eval && !fs.existsSync(argv.eval)) throw new UserError('eval input not found', argv.eval);
    const model = loadModel(argv.model);
    if (argv.output && !graphOf(model.proto).output.some((o) => o.name === argv.output)) {
      throw new UserError(`model has no output "${argv.output}" (outputs: ${graphOf(model.proto).output.map((o) => o.name).join(', ')})`, argv.model);
    }
    const total = countImages(c0.specs);
    const bar = progressBar('collecting activations', total === undefined ? undefined : Math.min(total, c0.maxImages));
    let run;
    try {
      run = await runCalibrators(model, c0.specs, {
        calibrators, outDir: argv.out, trtVersion, placement: argv.placement as PlacementPolicy,
        batch: c0.batch, maxImages: c0.maxImages, percentile: c0.percentile, threads: c0.threads,
        evalInput: argv.eval, output: argv.output, channels, breakDb, inputOptions: c0.inputOptions,
        onProgress: (done, id) => bar.update(done, path.basename(id)),
        onCompareStart: () => bar.finish(),
      });
    } finally {
      bar.finish();
    }
    const text = JSON.stringify({ ...run.report, files: run.files }, jsonNumbers, 2);
    writeFileAtomic(path.join(argv.out, 'calibrators.json'), `${text}\n`);
    if (json === '-') { process.stdout.write(`${text}\n`); return; }
    process.stdout.write(`${formatCalibratorsReport(run.report)}\n`);
    if (json) { writeFileAtomic(json, `${text}\n`); log.info(`wrote ${json}`); }
  },
};
