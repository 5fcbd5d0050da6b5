import type { OnnxModel } from '../graph/onnx-model.js';
import { indexGraph } from '../graph/graph-index.js';
import { markAllOutputs } from '../graph/mark-outputs.js';
import { OrtRunner } from '../runners/ort-runner.js';
import { samplesFrom, type InputOptions, type Sample } from '../inputs/input-source.js';
import { isFloatDType } from '../tensor/dtype.js';
import { numel, toFloat32, type Tensor } from '../tensor/tensor.js';
import { UserError, at } from '../errors.js';
import { AbsHistogram, DEFAULT_BINS, type HistogramMode } from './histogram.js';
import { absMaxOf, finiteAbsMax, finiteRange, type FiniteRange } from './finite-range.js';
import { MinMaxReducer, type ReducedMinMax } from './minmax-reduction.js';
import { graphOf } from '../graph/onnx-model.js';

/**
 * One pass of activation statistics over a calibration set: per tensor the running min/max and,
 * on request, |x| histograms. Every tensor is folded into its statistics as it streams out of the
 * runner and then dropped, so memory is the statistics (2048 bins per histogram) plus one image's
 * activations, whatever the number of images.
 */
export interface TensorStats {
  name: string;
  shape: number[];
  min: number;
  max: number;
  /** max|x| over everything seen. */
  absMax: number;
  /** max|x| over the first batch: the histograms' first range. */
  firstBatchAbsMax: number;
  /** Elements seen (all samples). */
  count: number;
  /** Non-finite elements seen (not in min/max nor in the histograms). */
  nonFinite: number;
  histograms: Partial<Record<HistogramMode, AbsHistogram>>;
  /** Zeros met before any non-zero value fixed a histogram range (added to bin 0 at creation). */
  pendingZeros: number;
}

export interface CollectOptions {
  /** Images per calibration batch; the first batch's max|x| is every histogram's first range. */
  batch: number;
  maxImages?: number;
  /** Which histograms to build ('grow': Entropy2/percentile; 'saturate': legacy Entropy). */
  histograms: readonly HistogramMode[];
  bins?: number;
  inputOptions?: InputOptions;
  threads?: number;
  onProgress?: (done: number, sampleId: string) => void;
}

export interface CollectedActivations {
  /** In topological order: graph inputs first, then node outputs. */
  stats: Map<string, TensorStats>;
  images: number;
  /** The first sample's id (an image path for image inputs). */
  firstSample: string;
  batches: number;
  /** Model inputs that were fed (their statistics are in `stats` when float). */
  inputs: string[];
  /** Tensors not collected, with why (integer tensors, constants). */
  skipped: { name: string; reason: string }[];
  /** Wall time of model runs vs statistics, ms. */
  timing: { runMs: number; statsMs: number; totalMs: number };
  /** Images whose min/max came from reductions inside the runtime (minmax-reduction.ts) rather than full tensors. */
  reducedImages: number;
}

/**
 * Run `model` over the samples of `specs` with every activation exposed, and collect statistics.
 *
 * TensorRT's calibrator sees batches, and the first batch's max|x| sets the histogram range, which
 * then doubles whenever a later batch exceeds it. The model runs one image at a time, so the first
 * `batch` images run twice: once to learn the first batch's max, once to fill the histograms at
 * that range. After that, growth is applied per image: with right-closed bins doubling is exact
 * (histogram.ts), so per-image growth yields the same histogram as per-batch growth would.
 */
export async function collectActivations(model: OnnxModel, specs: readonly string[], opt: CollectOptions): Promise<CollectedActivations> {
  const t0 = performance.now();
  if (!(opt.batch >= 1)) throw new UserError(`--batch must be ≥ 1, got ${opt.batch}`);
  const g = indexGraph(graphOf(model.proto));
  const mark = markAllOutputs(model.proto, g);
  const runner = await OrtRunner.open(model, { mark: mark.marked, threads: opt.threads });
  const inputs = runner.describe().inputs;
  const floatInputs = inputs.filter((i) => isFloatDType(i.dtype));
  if (floatInputs.length === 0) {
    throw new UserError(`model has no float input to calibrate from (inputs: ${inputs.map((i) => `${i.name} ${i.dtype}`).join(', ')})`, model.path);
  }
  const bins = opt.bins ?? DEFAULT_BINS;
  const stats = new Map<string, TensorStats>();
  const skipped = new Map<string, string>(mark.skipped.map((s) => [s.name, s.reason]));
  const timing = { runMs: 0, statsMs: 0, totalMs: 0 };
  const maxImages = opt.maxImages ?? Infinity;
  const inputOptions: InputOptions = { ...opt.inputOptions, maxSamples: maxImages };

  // Passes that need only min/max get them from reductions inside the runtime (minmax-reduction.ts).
  const floatTensors = runner.describe().tensors.filter((t) => isFloatDType(t.dtype));
  for (const t of runner.describe().tensors) if (t.dtype !== 'unknown' && !isFloatDType(t.dtype)) skipped.set(t.name, `${t.dtype} tensor`);
  const reducer = await MinMaxReducer.open(model, floatTensors, opt.threads);

  const forEachTensor = async (sample: Sample, fold: (t: Tensor) => void, feeds = true): Promise<void> => {
    if (feeds) for (const t of Object.values(sample.feeds)) fold(t);
    let t = performance.now();
    for await (const tensor of runner.run(sample.feeds)) {
      timing.runMs += performance.now() - t;
      t = performance.now();
      fold(tensor);
      timing.statsMs += performance.now() - t;
      t = performance.now();
    }
  };
  const foldMinMaxOnly = async (sample: Sample): Promise<void> => {
    const fold = (t: Tensor): void => {
      const data = floatData(t);
      if (data) foldMinMax(statsOf(stats, t), data);
    };
    if (!reducer) return forEachTensor(sample, fold);
    for (const t of Object.values(sample.feeds)) fold(t);
    const t = performance.now();
    const reduced = await reducer.reduce(sample.feeds);
    timing.runMs += performance.now() - t;
    // A NaN or Inf somewhere: this sample's tensors are folded in full, skipping and counting them.
    if (!reduced.every((r) => r.finite)) return forEachTensor(sample, fold, false);
    for (const r of reduced) foldReducedMinMax(statsOf(stats, r), r);
    reducedImages++;
  };
  const floatData = (t: Tensor): Float32Array | Float64Array | undefined => {
    if (!isFloatDType(t.dtype)) {
      if (!stats.has(t.name)) skipped.set(t.name, `${t.dtype} tensor`);
      return undefined;
    }
    return t.dtype === 'float64' ? (t.data as Float64Array) : toFloat32(t);
  };

  let images = 0;
  let reducedImages = 0;
  let firstSample = '';
  try {
    const stream = samplesFrom(specs, inputs, inputOptions)[Symbol.asyncIterator]();
    // 1. First batch, statistics only: min/max and the first range.
    const firstBatch: string[] = [];
    while (firstBatch.length < opt.batch) {
      const next = await stream.next();
      if (next.done) break;
      await foldMinMaxOnly(next.value);
      firstBatch.push(next.value.id);
      images++;
      opt.onProgress?.(images, next.value.id);
    }
    if (images === 0) throw new UserError('no calibration images', specs.join(', '));
    firstSample = at(firstBatch, 0);
    for (const s of stats.values()) s.firstBatchAbsMax = s.absMax;

    // 2. The first batch again, into the histograms at the first range.
    if (opt.histograms.length > 0) {
      let k = 0;
      for await (const sample of samplesFrom(specs, inputs, { ...inputOptions, maxSamples: firstBatch.length })) {
        if (sample.id !== firstBatch[k++]) throw new Error(`calibration inputs changed between passes (${sample.id})`);
        await forEachTensor(sample, (t) => {
          const s = stats.get(t.name);
          const data = s ? floatData(t) : undefined;
          if (s && data) foldHistograms(s, data, undefined, opt.histograms, bins);
        });
      }
    }

    // 3. The remaining images: min/max and histograms in one go.
    for (;;) {
      const next = await stream.next();
      if (next.done) break;
      if (opt.histograms.length === 0) await foldMinMaxOnly(next.value);
      else {
        await forEachTensor(next.value, (t) => {
          const data = floatData(t);
          if (!data) return;
          const s = statsOf(stats, t);
          foldHistograms(s, data, foldMinMax(s, data), opt.histograms, bins);
        });
      }
      images++;
      opt.onProgress?.(images, next.value.id);
    }
  } finally {
    await runner.close();
    await reducer?.close();
  }
  timing.totalMs = performance.now() - t0;
  for (const name of stats.keys()) skipped.delete(name);
  return {
    stats,
    images,
    firstSample,
    batches: Math.ceil(images / opt.batch),
    inputs: inputs.map((i) => i.name),
    skipped: [...skipped].map(([name, reason]) => ({ name, reason })),
    timing,
    reducedImages,
  };
}

function statsOf(all: Map<string, TensorStats>, t: { name: string; shape: readonly number[] }): TensorStats {
  let s = all.get(t.name);
  if (!s) {
    s = {
      name: t.name, shape: [...t.shape], min: Infinity, max: -Infinity, absMax: 0, firstBatchAbsMax: 0,
      count: 0, nonFinite: 0, histograms: {}, pendingZeros: 0,
    };
    all.set(t.name, s);
  }
  return s;
}

/** Fold min, max and max|x| of the finite elements; returns this tensor's own max|x|. @internal */
export function foldMinMax(s: TensorStats, data: ArrayLike<number>): number {
  return foldRange(s, finiteRange(data), data.length);
}

/** Fold a tensor's in-runtime min/max (all of its elements finite); same result as foldMinMax on its data. */
function foldReducedMinMax(s: TensorStats, r: ReducedMinMax): void {
  const count = numel(r.shape);
  if (count > 0) foldRange(s, { min: r.min, max: r.max, nonFinite: 0 }, count); // an empty reduction's values mean nothing
}

function foldRange(s: TensorStats, r: FiniteRange, count: number): number {
  if (r.min < s.min) s.min = r.min;
  if (r.max > s.max) s.max = r.max;
  s.count += count;
  s.nonFinite += r.nonFinite;
  const absMax = absMaxOf(r);
  if (absMax > s.absMax) s.absMax = absMax;
  return absMax;
}

/**
 * Fold one tensor into the requested histograms. The histograms are created at the first batch's
 * max|x|; a tensor that was all zeros so far gets them at its first non-zero max instead, and the
 * zeros seen before go to bin 0.
 */
function foldHistograms(s: TensorStats, data: ArrayLike<number>, absMax: number | undefined, modes: readonly HistogramMode[], bins: number): void {
  for (const mode of modes) {
    let h = s.histograms[mode];
    if (!h) {
      const own = absMax ?? finiteAbsMax(data);
      const range = s.firstBatchAbsMax > 0 ? s.firstBatchAbsMax : own;
      if (!(range > 0)) {
        if (mode === modes[0]) s.pendingZeros += countFinite(data);
        continue;
      }
      h = new AbsHistogram(range, mode, bins);
      h.counts[0] = s.pendingZeros;
      s.histograms[mode] = h;
    }
    h.add(data, absMax);
  }
}

function countFinite(data: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(at(data, i))) n++;
  return n;
}
