import * as path from 'node:path';
import { compareModels } from '../compare/compare-models.js';
import { indexGraph } from '../graph/graph-index.js';
import { loadModel, type OnnxModel, graphOf } from '../graph/onnx-model.js';
import { calibrateModel, cacheOf, rankLookup, writeCache, writeQdqModel, type CalibrationOptions } from './calibration-pipeline.js';
import type { CalibratorName } from './calibrators.js';
import { amaxRows, summarizeCandidate, type CalibratorsReport } from './calibrators-report.js';
import { ChannelRangeObserver, type ChannelRange } from './output-channels.js';
import type { PlacementPolicy } from './placement.js';
import type { QdqResult } from './qdq-emulation.js';
import { mustGet, at } from '../errors.js';

/**
 * `trt-diff calibrators`: one activation collection, every calibrator derived from it, one cache
 * and one Q/DQ model each, all compared with the FP32 model on one eval image in a single
 * comparison run.
 */
export interface CalibratorsRunOptions extends CalibrationOptions {
  calibrators: readonly CalibratorName[];
  outDir: string;
  trtVersion: string;
  placement: PlacementPolicy;
  /** Image (or any input spec) to evaluate on; default the first calibration image. */
  evalInput?: string;
  /** Output whose channel range is reported separately; default the model's first output. */
  output?: string;
  channels: ChannelRange;
  breakDb: number;
  onCompareStart?: () => void;
}

export interface CalibratorsRun {
  report: CalibratorsReport;
  files: { calibrator: CalibratorName; cache: string; qdq: string }[];
}

export async function runCalibrators(model: OnnxModel, images: readonly string[], opt: CalibratorsRunOptions): Promise<CalibratorsRun> {
  const cal = await calibrateModel(model, images, opt.calibrators, opt);
  const base = path.basename(model.path).replace(/\.onnx$/i, '');
  const files: CalibratorsRun['files'] = [];
  const qdqs: QdqResult[] = [];
  for (const c of opt.calibrators) {
    const cache = cacheOf(c, mustGet(cal.amax, c), opt.trtVersion);
    const cacheFile = path.join(opt.outDir, `${base}.${c}.cache`);
    const qdqFile = path.join(opt.outDir, `${base}.${c}.qdq.onnx`);
    writeCache(cacheFile, cache);
    qdqs.push(writeQdqModel(model, cache.scales, qdqFile, opt.placement, rankLookup(cal.collected)));
    files.push({ calibrator: c, cache: cacheFile, qdq: qdqFile });
  }

  const output = opt.output ?? at(graphOf(model.proto).output, 0).name;
  const observer = new ChannelRangeObserver(output, opt.channels);
  const evalInput = opt.evalInput ?? cal.collected.firstSample;
  opt.onCompareStart?.();
  const t = performance.now();
  const comparison = await compareModels(model, files.map((f) => loadModel(f.qdq)), {
    inputs: [evalInput], inputOptions: opt.inputOptions, threads: opt.threads, observers: [observer],
  });
  const compareMs = performance.now() - t;

  const summaries = opt.calibrators.map((c, k) =>
    summarizeCandidate(c, at(files, k), at(qdqs, k), at(comparison.candidates, k), output, opt.channels, observer.candidates[k], opt.breakDb));
  const g = indexGraph(graphOf(model.proto));
  const opTypes = new Map<string, string>();
  for (const n of g.nodes) for (const o of n.output) opTypes.set(o, n.opType);
  const sqnr = new Map(opt.calibrators.map((c, k) => [c, new Map(at(comparison.candidates, k).records.map((r) => [r.name, r.metrics.sqnrDb]))]));
  const quantized = new Set(qdqs.flatMap((q) => q.quantized.map((x) => x.tensor)));
  const tensors = amaxRows([...cal.collected.stats.keys()], opTypes, cal.collected.stats, cal.amax, quantized, (c, name) => sqnr.get(c)?.get(name));

  return {
    files,
    report: {
      model: model.path,
      images: cal.collected.images,
      batch: opt.batch,
      evalImage: evalInput,
      breakDb: opt.breakDb,
      fp32: { output, channelsMax: observer.fp32.maxValue },
      calibrators: summaries,
      tensors,
      timing: { collectMs: cal.collected.timing.totalMs, deriveMs: Object.fromEntries(cal.deriveMs), compareMs },
    },
  };
}
