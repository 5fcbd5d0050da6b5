
import type { OnnxModel } from '../graph/onnx-model.js';
import { saveModel, graphOf } from '../graph/onnx-model.js';
import type { InputOptions } from '../inputs/input-source.js';
import { countSamples } from '../inputs/input-spec.js';
import { collectActivations, type CollectedActivations } from './activation-collector.js';
import { CALIBRATOR_INFO, computeAmaxes, histogramsFor, scaleOfAmax, type CalibratorName, type CalibratorOptions } from './calibrators.js';
import { writeCalibrationCache, type CalibrationCache } from './calibration-cache.js';
import { buildQdqModel, type QdqResult } from './qdq-emulation.js';
import type { PlacementPolicy } from './placement.js';

/**
 * calibrate / calibrators / simulate share these steps: collect once, derive each calibrator's
 * amaxes, write its cache and its Q/DQ model.
 */
export interface CalibrationOptions extends CalibratorOptions {
  batch: number;
  maxImages?: number;
  inputOptions?: InputOptions;
  threads?: number;
  onProgress?: (done: number, sampleId: string) => void;
}

export interface Calibration {
  collected: CollectedActivations;
  /** Per calibrator: tensor → amax (scale rules applied where the calibrator uses them). */
  amax: Map<CalibratorName, Map<string, number>>;
  /** ms spent deriving amaxes per calibrator (after collection). */
  deriveMs: Map<CalibratorName, number>;
}

export async function calibrateModel(model: OnnxModel, images: readonly string[], calibrators: readonly CalibratorName[], opt: CalibrationOptions): Promise<Calibration> {
  const collected = await collectActivations(model, images, {
    batch: opt.batch, maxImages: opt.maxImages, histograms: histogramsFor(calibrators),
    inputOptions: opt.inputOptions, threads: opt.threads, onProgress: opt.onProgress,
  });
  const amax = new Map<CalibratorName, Map<string, number>>();
  const deriveMs = new Map<CalibratorName, number>();
  for (const c of calibrators) {
    const t = performance.now();
    amax.set(c, computeAmaxes(c, collected.stats, graphOf(model.proto), opt));
    deriveMs.set(c, performance.now() - t);
  }
  return { collected, amax, deriveMs };
}

/** Scales as TensorRT stores them (amax / 127 rounded to float32), in tensor order. */
export function cacheOf(calibrator: CalibratorName, amax: ReadonlyMap<string, number>, version: string): CalibrationCache {
  const scales = new Map<string, number>();
  for (const [name, a] of amax) scales.set(name, Math.fround(scaleOfAmax(a)));
  return { version, algorithm: CALIBRATOR_INFO[calibrator].cacheAlgorithm, scales };
}

/** Tensor ranks seen during calibration (for the opset conversion of Softmax-like nodes). */
export function rankLookup(collected: CollectedActivations | undefined): (tensor: string) => number | undefined {
  return (t) => collected?.stats.get(t)?.shape.length;
}

export function writeCache(file: string, cache: CalibrationCache): void {
  writeCalibrationCache(file, cache);
}

export function writeQdqModel(model: OnnxModel, scales: ReadonlyMap<string, number>, out: string, placement: PlacementPolicy, rank?: (t: string) => number | undefined): QdqResult {
  const result = buildQdqModel(model.proto, scales, { placement, file: model.path, rank });
  saveModel(result.proto, out);
  return result;
}

/** One-line warnings for activations that stay float, at most `limit` names. */
export function missingWarning(result: QdqResult, cacheLabel: string, limit = 8): string | undefined {
  if (result.missing.length === 0) return undefined;
  const names = result.missing.slice(0, limit).map((m) => `${m.tensor} (${m.reason})`).join(', ');
  const more = result.missing.length > limit ? `, and ${result.missing.length - limit} more` : '';
  return `warning: ${cacheLabel}: ${result.missing.length} activation(s) TensorRT would read as int8 have no usable scale and stay float: ${names}${more}`;
}

/** Number of images a calibration spec will yield, when it can be known without decoding (progress bars). */
export function countImages(specs: readonly string[]): number | undefined {
  return countSamples(specs);
}
