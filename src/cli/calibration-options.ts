import type { Argv } from 'yargs';
import { UserError } from '../errors.js';
import type { InputOptions } from '../inputs/input-source.js';
import { DEFAULT_TRT_VERSION } from '../quant/calibration-cache.js';
import { PLACEMENTS } from '../quant/placement.js';
import { inputOptions, inputSpecs, scoreChannelsOption, threadsOption, toInputOptions, toThreads } from './options.js';
import { intFlag, numberFlag, numeric } from './flag-values.js';
import { log } from '../log.js';

/** Shared by calibrate and calibrators: the model, the inputs group (calibration samples), the calibration run. */
export function calibrationFlags<T>(y: Argv<T>) {
  return scoreChannelsOption(threadsOption(inputOptions(y, { maxImages: 500 })), 'rows of axis 1 of the output scored separately (YOLOv8: class scores 4:)')
    .option('model', { type: 'string', demandOption: true, describe: 'FP32 ONNX model' })
    .option('batch', { ...numeric, default: 8, describe: 'images per calibration batch (the first batch sets the histogram range)' })
    .option('percentile', { ...numeric, default: 99.99, describe: 'percentile calibrator: share of |x| kept below amax, in % (above 0, at most 100)' })
    .option('trt-version', { type: 'string', default: DEFAULT_TRT_VERSION, describe: 'TensorRT version for the cache header: 10.3, 8.6.1 or 100300' })
    .option('placement', { type: 'string', choices: [...PLACEMENTS], default: 'trt', describe: 'where activation Q/DQ pairs go in the Q/DQ model' });
}

/** calibrationFlags, parsed and checked before anything runs. */
export interface CalibrationArgs {
  specs: string[];
  inputOptions: InputOptions;
  maxImages: number;
  batch: number;
  percentile: number;
  threads?: number;
}

export function toCalibrationArgs(a: Record<string, unknown>): CalibrationArgs {
  const specs = inputSpecs(a);
  if (specs.length === 0) throw new UserError('name the calibration samples with --images (folder, list.txt, image files, .npy arrays or folders of them)');
  const inputOpts = toInputOptions(a, log.warn);
  return {
    specs, inputOptions: inputOpts, maxImages: inputOpts.maxSamples ?? 500,
    batch: intFlag(a, 'batch', { min: 1 }) ?? 8,
    percentile: numberFlag(a, 'percentile', { min: 0, above: true, max: 100 }) ?? 99.99,
    threads: toThreads(a),
  };
}
