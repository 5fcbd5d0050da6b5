import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { loadModel } from '../graph/onnx-model.js';
import { writeFileAtomic } from '../output/output-session.js';
import { UserError } from '../errors.js';
import { toCalibrationArgs } from './calibration-options.js';
import { toJsonTarget, toScoreChannelPair } from './options.js';
import { progressBar, type Progress } from '../report/progress.js';
import { trtVersionNumber } from '../quant/calibration-cache.js';
import { parseCalibrator } from '../quant/calibrators.js';
import type { PlacementPolicy } from '../quant/placement.js';
import { runCalibrationSweep, type SweepProgress } from '../quant-sweep/calibration-sweep.js';
import { parseSweep } from '../quant-sweep/sweep-spec.js';
import { formatSweepTable, sweepJson } from '../quant-sweep/sweep-report.js';
import { log } from '../log.js';

/** The flags `trt-diff calibrate` gains for --sweep, and the handler it branches to. */
export interface SweepArgs {
  model: string;
  calibrator: string;
  cache?: string;
  qdq?: string;
  placement: string;
  'trt-version': string;
  sweep?: string[];
  eval?: string[];
  keep?: string;
  [k: string]: unknown;
}

export function sweepFlags<T>(y: Argv<T>) {
  return y
    .option('sweep', { type: 'string', array: true, describe: 'calibrate every combination of AXIS=V1,V2 (axes: batch, images, calibrator, seed; repeatable) and report how scales and output error move, instead of writing one cache' })
    .option('eval', { type: 'string', array: true, describe: '--sweep: inputs to evaluate each combination on (default: the first calibration image)' })
    .option('keep', { type: 'string', describe: '--sweep: keep every combination\'s cache and Q/DQ model in this folder (default: a temporary folder, removed)' })
    .option('json', { type: 'string', requiresArg: true, describe: '--sweep: write the table as JSON to this file (- for stdout)' });
}

export async function runSweepCommand(argv: SweepArgs): Promise<void> {
  if (argv.cache || argv.qdq) throw new UserError('--sweep writes no --cache/--qdq; pass --keep DIR to keep every combination\'s cache and Q/DQ model');
  const c0 = toCalibrationArgs(argv);
  const json = toJsonTarget(argv);
  const plan = parseSweep(argv.sweep ?? [], { batch: c0.batch, images: c0.maxImages, calibrator: parseCalibrator(argv.calibrator) });
  const scoreChannels = toScoreChannelPair(argv);
  const trtVersion = trtVersionNumber(argv['trt-version']);
  for (const e of argv.eval ?? []) if (!fs.existsSync(e)) throw new UserError('eval input not found', e);
  const model = loadModel(argv.model);

  let line: Progress | undefined;
  let current = '';
  const onProgress = (p: SweepProgress) => {
    const title = `[${p.pass}/${p.passes}] ${p.label}: ${p.phase === 'calibrate' ? 'calibrating' : `evaluating ${p.calibrator}`}`;
    if (title !== current) { line?.finish(); line = progressBar(title, p.total); current = title; }
    line!.update(p.done, path.basename(p.item));
  };
  let result;
  try {
    result = await runCalibrationSweep(model, c0.specs, {
      plan, placement: argv.placement as PlacementPolicy, evalInputs: argv.eval, scoreChannels, keepDir: argv.keep,
      trtVersion, percentile: c0.percentile, threads: c0.threads, inputOptions: c0.inputOptions, onProgress,
    });
  } finally {
    line?.finish();
  }
  if (json === '-') { process.stdout.write(`${sweepJson(result)}\n`); return; }
  process.stdout.write(`${formatSweepTable(result)}\n`);
  if (json) {
    writeFileAtomic(json, `${sweepJson(result)}\n`);
    log.info(`wrote ${json}`);
  }
}
