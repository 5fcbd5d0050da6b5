import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { loadModel, writeFileAtomic } from '../graph/onnx-model.js';
import { UserError } from '../errors.js';
import { parseChannels } from '../localize/targets.js';
import { progressBar, type Progress } from '../report/progress.js';
import { trtVersionNumber } from '../quant/calibration-cache.js';
import { parseCalibrator } from '../quant/calibrators.js';
import type { PlacementPolicy } from '../quant/placement.js';
import { runCalibrationSweep, type SweepProgress } from './calibration-sweep.js';
import { parseSweep } from './sweep-spec.js';
import { formatSweepTable, sweepJson } from './sweep-report.js';

/** The flags `trt-diff calibrate` gains for --sweep, and the handler it branches to. */
export interface SweepArgs {
  model: string;
  images: string[];
  calibrator: string;
  batch: number;
  'max-images': number;
  cache?: string;
  qdq?: string;
  placement: string;
  percentile: number;
  'trt-version': string;
  threads?: number;
  sweep?: string[];
  eval?: string[];
  'score-channels': string;
  keep?: string;
  json?: string;
}

export function sweepFlags<T>(y: Argv<T>) {
  return y
    .option('sweep', { type: 'string', array: true, describe: 'calibrate every combination of AXIS=V1,V2 (axes: batch, images, calibrator, seed; repeatable) and report how scales and output error move, instead of writing one cache' })
    .option('eval', { type: 'string', array: true, describe: '--sweep: inputs to evaluate each combination on (default: the first calibration image)' })
    .option('score-channels', { type: 'string', default: '4:84', describe: '--sweep: rows START:END of axis 1 of the output scored separately (default YOLO class scores)' })
    .option('keep', { type: 'string', describe: '--sweep: keep every combination\'s cache and Q/DQ model in this folder (default: a temporary folder, removed)' })
    .option('json', { type: 'string', describe: '--sweep: write the table as JSON to this file (- for stdout)' });
}

export async function runSweepCommand(argv: SweepArgs): Promise<void> {
  if (argv.cache || argv.qdq) throw new UserError('--sweep writes no --cache/--qdq; pass --keep DIR to keep every combination\'s cache and Q/DQ model');
  if (!(argv['max-images'] >= 1)) throw new UserError(`--max-images must be ≥ 1, got ${argv['max-images']}`);
  if (!(Number.isInteger(argv.batch) && argv.batch >= 1)) throw new UserError(`--batch must be a positive integer, got ${argv.batch}`);
  const plan = parseSweep(argv.sweep ?? [], { batch: argv.batch, images: argv['max-images'], calibrator: parseCalibrator(argv.calibrator) });
  const scoreChannels = parseChannels(argv['score-channels']);
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
    result = await runCalibrationSweep(model, argv.images, {
      plan, placement: argv.placement as PlacementPolicy, evalInputs: argv.eval, scoreChannels, keepDir: argv.keep,
      trtVersion, percentile: argv.percentile, threads: argv.threads,
      inputOptions: { warn: (l) => process.stderr.write(`${l}\n`) }, onProgress,
    });
  } finally {
    line?.finish();
  }
  if (argv.json === '-') { process.stdout.write(`${sweepJson(result)}\n`); return; }
  process.stdout.write(`${formatSweepTable(result)}\n`);
  if (argv.json) {
    writeFileAtomic(argv.json, `${sweepJson(result)}\n`);
    process.stderr.write(`wrote ${argv.json}\n`);
  }
}
