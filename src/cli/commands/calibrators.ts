import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadModel, writeFileAtomic } from '../../graph/onnx-model.js';
import { UserError } from '../../errors.js';
import { jsonNumbers } from '../../report/format.js';
import { trtVersionNumber } from '../../quant/calibration-cache.js';
import { countImages } from '../../quant/calibration-pipeline.js';
import { CALIBRATORS, parseCalibrator } from '../../quant/calibrators.js';
import { formatCalibratorsReport } from '../../quant/calibrators-report.js';
import { runCalibrators } from '../../quant/calibrators-run.js';
import { parseChannelRange } from '../../quant/output-channels.js';
import type { PlacementPolicy } from '../../quant/placement.js';
import { progressBar } from '../../report/progress.js';
import { calibrationFlags } from './calibrate.js';

interface CalibratorsArgs {
  model: string;
  images: string[];
  batch: number;
  'max-images': number;
  out: string;
  eval?: string;
  calibrators: string[];
  output?: string;
  channels: string;
  'break-db': number;
  placement: string;
  percentile: number;
  'trt-version': string;
  threads?: number;
  json: boolean;
}

export const command: CommandModule<object, CalibratorsArgs> = {
  command: 'calibrators',
  describe: 'Run every calibrator from one activation pass and show which one breaks the model, and where',
  builder: (y) => calibrationFlags(y)
    .option('out', { type: 'string', demandOption: true, describe: 'folder for the caches and Q/DQ models' })
    .option('eval', { type: 'string', describe: 'input to evaluate on (default: the first calibration image)' })
    .option('calibrators', { type: 'string', array: true, default: [...CALIBRATORS], describe: 'calibrators to run' })
    .option('output', { type: 'string', describe: 'model output whose channel range is scored separately (default: the first output)' })
    .option('channels', { type: 'string', default: '4:84', describe: 'channel range start:end of that output (axis 1); default YOLO class scores' })
    .option('break-db', { type: 'number', default: 20, describe: 'report the first layer whose SQNR falls below this' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }) as unknown as Argv<CalibratorsArgs>,
  handler: async (argv) => {
    const calibrators = [...new Set(argv.calibrators.flatMap((s) => s.split(',')).filter(Boolean).map(parseCalibrator))];
    const channels = parseChannelRange(argv.channels);
    const trtVersion = trtVersionNumber(argv['trt-version']);
    if (argv.eval && !fs.existsSync(argv.eval)) throw new UserError('eval input not found', argv.eval);
    const model = loadModel(argv.model);
    if (argv.output && !model.proto.graph!.output.some((o) => o.name === argv.output)) {
      throw new UserError(`model has no output "${argv.output}" (outputs: ${model.proto.graph!.output.map((o) => o.name).join(', ')})`, argv.model);
    }
    const total = countImages(argv.images);
    const bar = progressBar('collecting activations', total === undefined ? undefined : Math.min(total, argv['max-images']));
    let run;
    try {
      run = await runCalibrators(model, argv.images, {
        calibrators, outDir: argv.out, trtVersion, placement: argv.placement as PlacementPolicy,
        batch: argv.batch, maxImages: argv['max-images'], percentile: argv.percentile, threads: argv.threads,
        evalInput: argv.eval, output: argv.output, channels, breakDb: argv['break-db'],
        inputOptions: { warn: (l) => process.stderr.write(`${l}\n`) },
        onProgress: (done, id) => bar.update(done, path.basename(id)),
        onCompareStart: () => bar.finish(),
      });
    } finally {
      bar.finish();
    }
    const json = JSON.stringify({ ...run.report, files: run.files }, jsonNumbers, 2);
    writeFileAtomic(path.join(argv.out, 'calibrators.json'), `${json}\n`);
    process.stdout.write(argv.json ? `${json}\n` : `${formatCalibratorsReport(run.report)}\n`);
  },
};
