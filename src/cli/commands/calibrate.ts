import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '../../graph/onnx-model.js';
import { UserError } from '../../errors.js';
import { checkUpgradable } from '../../quant/opset-upgrade.js';
import { calibrateModel, cacheOf, countImages, missingWarning, rankLookup, writeCache, writeQdqModel } from '../../quant/calibration-pipeline.js';
import { CALIBRATORS, CALIBRATOR_INFO, parseCalibrator } from '../../quant/calibrators.js';
import { DEFAULT_TRT_VERSION, trtVersionNumber } from '../../quant/calibration-cache.js';
import { PLACEMENTS, type PlacementPolicy } from '../../quant/placement.js';
import { progressBar } from '../../report/progress.js';
import { runSweepCommand, sweepFlags, type SweepArgs } from '../../quant-sweep/sweep-command.js';

/** calibrate's arguments are a subset of the sweep's (which adds --sweep, --eval, --keep...). */
type CalibrateArgs = SweepArgs;

/** Shared by calibrate and calibrators. */
export function calibrationFlags<T>(y: Argv<T>) {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'FP32 ONNX model' })
    .option('images', { type: 'string', array: true, demandOption: true, describe: 'calibration images: folder, list.txt, image files or .npy arrays' })
    .option('batch', { type: 'number', default: 8, describe: 'images per calibration batch (the first batch sets the histogram range)' })
    .option('max-images', { type: 'number', default: 500, describe: 'use at most this many images' })
    .option('percentile', { type: 'number', default: 99.99, describe: 'percentile calibrator: share of |x| kept below amax, in %' })
    .option('trt-version', { type: 'string', default: DEFAULT_TRT_VERSION, describe: 'TensorRT version for the cache header: 10.3, 8.6.1 or 100300' })
    .option('placement', { type: 'string', choices: [...PLACEMENTS], default: 'trt', describe: 'where activation Q/DQ pairs go in the Q/DQ model' })
    .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads' });
}

export const command: CommandModule<object, CalibrateArgs> = {
  command: 'calibrate',
  describe: 'Calibrate an FP32 model the way TensorRT does; write a calibration cache and a Q/DQ model',
  builder: (y) => sweepFlags(calibrationFlags(y))
    .option('calibrator', { type: 'string', choices: [...CALIBRATORS], default: 'entropy2', describe: 'calibration algorithm' })
    .option('cache', { type: 'string', describe: 'calibration cache to write (TensorRT text format); required without --sweep' })
    .option('qdq', { type: 'string', describe: 'also write a Q/DQ ONNX model emulating TensorRT INT8 with these scales' }) as unknown as Argv<CalibrateArgs>,
  handler: async (argv) => {
    if (argv.sweep !== undefined) return runSweepCommand(argv);
    if (!argv.cache) throw new UserError('--cache is required (the calibration cache to write), unless --sweep is given');
    const calibrator = parseCalibrator(argv.calibrator);
    const version = trtVersionNumber(argv['trt-version']);
    if (!(argv['max-images'] >= 1)) throw new UserError(`--max-images must be ≥ 1, got ${argv['max-images']}`);
    const model = loadModel(argv.model);
    // A --qdq model this model cannot become must fail before the cache is written, not after.
    if (argv.qdq) checkUpgradable(model.proto, argv.model);
    const total = countImages(argv.images);
    const bar = progressBar(`calibrating (${calibrator})`, total === undefined ? undefined : Math.min(total, argv['max-images']));
    let cal;
    try {
      cal = await calibrateModel(model, argv.images, [calibrator], {
        batch: argv.batch, maxImages: argv['max-images'], percentile: argv.percentile, threads: argv.threads,
        inputOptions: { warn: (l) => process.stderr.write(`${l}\n`) },
        onProgress: (done, id) => bar.update(done, id),
      });
    } finally {
      bar.finish();
    }
    const cache = cacheOf(calibrator, cal.amax.get(calibrator)!, version);
    writeCache(argv.cache, cache);
    const c = cal.collected;
    process.stdout.write(`${argv.cache}: ${cache.scales.size} tensors, ${CALIBRATOR_INFO[calibrator].cacheAlgorithm}, ${c.images} images in ${c.batches} batch(es) of ${argv.batch}, ${(c.timing.totalMs / 1000).toFixed(1)} s\n`);
    if (argv.qdq) {
      const q = writeQdqModel(model, cache.scales, argv.qdq, argv.placement as PlacementPolicy, rankLookup(c));
      const up = q.upgrade.converted.length > 0 || q.upgrade.from !== q.upgrade.to ? ` (opset ${q.upgrade.from} → ${q.upgrade.to}, ${q.upgrade.converted.length} node(s) converted)` : '';
      process.stdout.write(`${argv.qdq}: ${q.quantized.length} activation Q/DQ pairs, ${q.weights.length} per-channel int8 weights${up}\n`);
      const w = missingWarning(q, argv.cache);
      if (w) process.stderr.write(`${w}\n`);
    }
  },
};
