import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '../../graph/onnx-model.js';
import { UserError, mustGet } from '../../errors.js';
import { checkUpgradable } from '../../quant/opset-upgrade.js';
import { calibrateModel, cacheOf, countImages, missingWarning, rankLookup, writeCache, writeQdqModel } from '../../quant/calibration-pipeline.js';
import { CALIBRATORS, CALIBRATOR_INFO, parseCalibrator } from '../../quant/calibrators.js';
import { trtVersionNumber } from '../../quant/calibration-cache.js';
import type { PlacementPolicy } from '../../quant/placement.js';
import { progressBar } from '../../report/progress.js';
import { calibrationFlags, toCalibrationArgs } from '../calibration-options.js';
import { runSweepCommand, sweepFlags, type SweepArgs } from '../sweep-command.js';
import { planOutputs } from '../../output/output-plan.js';
import { toJsonTarget } from '../options.js';
import { log } from '../../log.js';

/** calibrate's arguments are a subset of the sweep's (which adds --sweep, --eval, --keep...). */
type CalibrateArgs = SweepArgs;

export const command: CommandModule<object, CalibrateArgs> = {
  command: 'calibrate',
  describe: 'Calibrate an FP32 model the way TensorRT does; write a calibration cache and a Q/DQ model',
  builder: (y) => sweepFlags(calibrationFlags(y))
    .option('calibrator', { type: 'string', choices: [...CALIBRATORS], default: 'entropy2', describe: 'calibration algorithm' })
    .option('cache', { type: 'string', describe: 'calibration cache to write (TensorRT text format); required without --sweep' })
    .option('qdq', { type: 'string', describe: 'also write a Q/DQ ONNX model emulating TensorRT INT8 with these scales' }) as unknown as Argv<CalibrateArgs>,
  handler: async (argv) => {
    if (argv.sweep !== undefined) {
      planOutputs([{ flag: '--json', path: toJsonTarget(argv) }, { flag: '--keep', path: argv.keep, files: [], atCommit: false }], [argv.model, argv.images, argv.eval]);
      return runSweepCommand(argv);
    }
    if (!argv.cache) throw new UserError('--cache is required (the calibration cache to write), unless --sweep is given');
    planOutputs([{ flag: '--cache', path: argv.cache }, { flag: '--qdq', path: argv.qdq }], [argv.model, argv.images]);
    const calibrator = parseCalibrator(argv.calibrator);
    const version = trtVersionNumber(argv['trt-version']);
    const c0 = toCalibrationArgs(argv);
    const model = loadModel(argv.model);
    // A --qdq model this model cannot become must fail before the cache is written, not after.
    if (argv.qdq) checkUpgradable(model.proto, argv.model);
    const total = countImages(c0.specs);
    const bar = progressBar(`calibrating (${calibrator})`, total === undefined ? undefined : Math.min(total, c0.maxImages));
    let cal;
    try {
      cal = await calibrateModel(model, c0.specs, [calibrator], {
        batch: c0.batch, maxImages: c0.maxImages, percentile: c0.percentile, threads: c0.threads, inputOptions: c0.inputOptions,
        onProgress: (done, id) => bar.update(done, id),
      });
    } finally {
      bar.finish();
    }
    const cache = cacheOf(calibrator, mustGet(cal.amax, calibrator), version);
    writeCache(argv.cache, cache);
    const c = cal.collected;
    process.stdout.write(`${argv.cache}: ${cache.scales.size} tensors, ${CALIBRATOR_INFO[calibrator].cacheAlgorithm}, ${c.images} images in ${c.batches} batch(es) of ${c0.batch}, ${(c.timing.totalMs / 1000).toFixed(1)} s\n`);
    if (argv.qdq) {
      const q = writeQdqModel(model, cache.scales, argv.qdq, argv.placement as PlacementPolicy, rankLookup(c));
      const up = q.upgrade.converted.length > 0 || q.upgrade.from !== q.upgrade.to ? ` (opset ${q.upgrade.from} → ${q.upgrade.to}, ${q.upgrade.converted.length} node(s) converted)` : '';
      process.stdout.write(`${argv.qdq}: ${q.quantized.length} activation Q/DQ pairs, ${q.weights.length} per-channel int8 weights${up}\n`);
      const w = missingWarning(q, argv.cache);
      if (w) log.warn(w);
    }
  },
};
