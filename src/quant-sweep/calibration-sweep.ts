import * as fs from 'node:fs';
import { removeScratch, scratchDir } from '../output/output-session.js';
import * as path from 'node:path';
import type { OnnxModel } from '../graph/onnx-model.js';
import { UserError, at, mustGet } from '../errors.js';
import type { InputOptions } from '../inputs/input-source.js';
import { ReferenceSet } from '../localize/reference-set.js';
import { OutputMeter } from '../localize/targets.js';
import { calibrateModel, cacheOf, countImages, rankLookup, writeCache, writeQdqModel } from '../quant/calibration-pipeline.js';
import type { CalibratorName } from '../quant/calibrators.js';
import { forEachInChannels, type ChannelRange } from '../quant/output-channels.js';
import type { PlacementPolicy } from '../quant/placement.js';
import { OrtRunner } from '../runners/ort-runner.js';
import { toFloat32, type Tensor } from '../tensor/tensor.js';
import { listSamples, shuffledFirst } from './sample-order.js';
import { scaleMovement, type ScaleMovement } from './scale-movement.js';
import { combinationLabel, type Combination, type SweepPlan } from './sweep-spec.js';


/**
 * `trt-diff calibrate --sweep`: how scales and output error move with calibration batch size, set
 * size, sample order and calibrator. Each combination is calibrated with calibrateModel, turned
 * into a Q/DQ model in a scratch folder and evaluated against FP32 on the eval inputs (the final
 * output only: whole-output SQNR, SQNR of a channel slice such as YOLO's class scores, and the
 * largest value of that slice).
 *
 * Batch size cannot be derived from one shared activation pass: the collector fixes each
 * histogram's range at the first batch's max|x| before it folds any value in (and re-runs that
 * batch), so every (batch, images, seed) is its own calibrateModel call. Calibrators, which only
 * read the collected statistics, share it: all calibrators of one (batch, images, seed) come from
 * one pass. Memory is one pass's statistics plus one image's activations at a time; the eval
 * inputs' FP32 outputs are computed once (ReferenceSet).
 */
export interface SweepOptions {
  plan: SweepPlan;
  placement: PlacementPolicy;
  /** Eval inputs; default the first calibration sample (in input order). */
  evalInputs?: readonly string[];
  /** Slice of axis 1 of the evaluated output scored separately (YOLO class scores: 4..84). */
  scoreChannels: [number, number | undefined];
  /** Output to evaluate; default the model's first. */
  output?: string;
  /** Keep caches and Q/DQ models in this folder; default a temporary folder removed at the end. */
  keepDir?: string;
  /** Where the temporary folder is made (default the OS temp folder). */
  scratchRoot?: string;
  /** TensorRT version number for the kept caches' header. */
  trtVersion: string;
  percentile?: number;
  threads?: number;
  inputOptions?: InputOptions;
  onProgress?: (e: SweepProgress) => void;
}

export interface SweepProgress {
  phase: 'calibrate' | 'evaluate';
  /** 1-based number of the calibration pass and how many there are. */
  pass: number;
  passes: number;
  label: string;
  /** The calibrator being evaluated (evaluate phase). */
  calibrator?: CalibratorName;
  done: number;
  total?: number;
  item: string;
}

export interface SweepRow {
  combination: Combination;
  /** Samples actually used (fewer than requested when the inputs run out). */
  images: number;
  batches: number;
  outputSqnrDb: number;
  scoreSqnrDb: number;
  /** Largest value of the score slice in the INT8 output over the eval inputs. */
  maxScore: number;
  /** Against the first combination, over the activations that got a Q/DQ pair in both models. */
  movement: ScaleMovement;
  /** Activations that got a Q/DQ pair. */
  quantized: string[];
  /** Activations left float for lack of a usable scale. */
  missing: number;
  /** Cache scale (amax / 127) of every calibrated tensor. */
  scales: Record<string, number>;
  files?: { cache: string; qdq: string };
  timing: { collectMs: number; evalMs: number };
}

export interface SweepResult {
  model: string;
  inputs: string[];
  evalInputs: string[];
  output: string;
  scoreChannels: [number, number | null];
  axes: SweepPlan['axes'];
  fp32: { maxScore: number };
  rows: SweepRow[];
  keptIn: string | null;
}

export async function runCalibrationSweep(model: OnnxModel, inputs: readonly string[], opt: SweepOptions): Promise<SweepResult> {
  const combos = opt.plan.combinations;
  const range: ChannelRange = { start: opt.scoreChannels[0], end: opt.scoreChannels[1] ?? Infinity };
  const seeded = combos.some((c) => c.seed !== undefined);
  // Listed only when an order must be shuffled; otherwise calibrateModel reads the specs directly.
  const listed = seeded ? listSamples(inputs, opt.inputOptions?.warn) : undefined;
  if (listed && listed.length === 0) throw new UserError('no calibration samples', inputs.join(', '));

  const available = listed?.length ?? countImages(inputs);
  const evalSpecs = opt.evalInputs && opt.evalInputs.length > 0 ? opt.evalInputs : inputs;
  const dir = opt.keepDir ? makeDir(opt.keepDir) : scratchDir(opt.scratchRoot ? path.join(opt.scratchRoot, 'sweep') : undefined, 'sweep');
  const base = path.basename(model.path).replace(/\.onnx$/i, '');
  const rows: Omit<SweepRow, 'movement'>[] = [];
  const evalIds: string[] = [];
  let fp32Max = -Infinity;
  let refs: ReferenceSet | undefined;
  try {
    refs = await ReferenceSet.open(model, evalSpecs, {
      output: opt.output, threads: opt.threads,
      inputOptions: { ...opt.inputOptions, ...(opt.evalInputs?.length ? {} : { maxSamples: 1 }) },
    });
    // FP32 pass first: the eval inputs and the score slice are checked before any calibration.
    for await (const { sample, ref } of refs.samples()) {
      new OutputMeter({ metric: 'class_sqnr' }, opt.scoreChannels).add(ref, ref);
      fp32Max = Math.max(fp32Max, sliceMax(ref, range));
      evalIds.push(sample.id);
    }

    // One calibration pass per (batch, images, seed), in the order its first combination appears.
    const passes = new Map<string, Combination[]>();
    for (const c of combos) {
      const key = `${c.batch}/${c.images}/${c.seed ?? ''}`;
      passes.set(key, [...(passes.get(key) ?? []), c]);
    }
    let pass = 0;
    for (const group of passes.values()) {
      pass++;
      const first = at(group, 0);
      const calibrators = [...new Set(group.map((c) => c.calibrator))];
      const label = combinationLabel(first, opt.plan.axes.filter((a) => a.axis !== 'calibrator')) || 'calibrating';
      const specs = listed && first.seed !== undefined ? shuffledFirst(listed, first.images, first.seed) : inputs;
      const progress = (phase: SweepProgress['phase'], done: number, item: string, total?: number, calibrator?: CalibratorName) =>
        opt.onProgress?.({ phase, pass, passes: passes.size, label, done, total, item, ...(calibrator ? { calibrator } : {}) });
      const cal = await calibrateModel(model, specs, calibrators, {
        batch: first.batch, maxImages: first.images, percentile: opt.percentile, threads: opt.threads,
        inputOptions: opt.inputOptions, onProgress: (done, id) => progress('calibrate', done, id, Math.min(first.images, available ?? Infinity)),
      });
      const collectMs = cal.collected.timing.totalMs;
      for (const c of group) {
        const cache = cacheOf(c.calibrator, mustGet(cal.amax, c.calibrator), opt.trtVersion);
        const stem = `${base}.${fileTag(c)}`;
        const qdqFile = path.join(dir, `${stem}.qdq.onnx`);
        const q = writeQdqModel(model, cache.scales, qdqFile, opt.placement, rankLookup(cal.collected));
        let cacheFile: string | undefined;
        if (opt.keepDir) writeCache((cacheFile = path.join(dir, `${stem}.cache`)), cache);
        const t = performance.now();
        const m = await evaluate({ path: qdqFile, proto: q.proto }, refs, opt.scoreChannels, range, opt.threads,
          (done, id) => progress('evaluate', done, id, evalIds.length, c.calibrator));
        const evalMs = performance.now() - t;
        if (!opt.keepDir) fs.rmSync(qdqFile, { force: true });
        rows.push({
          combination: c, images: cal.collected.images, batches: cal.collected.batches, ...m,
          quantized: q.quantized.map((x) => x.tensor), missing: q.missing.length,
          scales: Object.fromEntries(cache.scales),
          ...(opt.keepDir ? { files: { cache: cacheFile!, qdq: qdqFile } } : {}),
          timing: { collectMs, evalMs },
        });
      }
    }
  } finally {
    await refs?.close();
    if (!opt.keepDir) removeScratch(dir);
  }

  // Rows in cartesian order; scale movement against the first combination.
  rows.sort((a, b) => combos.indexOf(a.combination) - combos.indexOf(b.combination));
  const ref = at(rows, 0);
  const refScales = new Map(Object.entries(ref.scales));
  const refQuantized = new Set(ref.quantized);
  return {
    model: model.path,
    inputs: [...inputs],
    evalInputs: evalIds,
    output: refs.output,
    scoreChannels: [opt.scoreChannels[0], opt.scoreChannels[1] ?? null],
    axes: opt.plan.axes,
    fp32: { maxScore: fp32Max },
    keptIn: opt.keepDir ? dir : null,
    rows: rows.map((r) => ({
      ...r,
      movement: scaleMovement(refScales, new Map(Object.entries(r.scales)), r.quantized.filter((t) => refQuantized.has(t))),
    })),
  };
}

/** Run one Q/DQ model on the eval inputs (final output only) against the held FP32 outputs. */
async function evaluate(
  qdq: OnnxModel, refs: ReferenceSet, channels: [number, number | undefined], range: ChannelRange, threads: number | undefined,
  onSample: (done: number, id: string) => void,
) {
  const runner = await OrtRunner.open(qdq, { threads });
  const whole = new OutputMeter({ metric: 'sqnr' });
  const scores = new OutputMeter({ metric: 'class_sqnr' }, channels);
  let maxScore = -Infinity;
  let done = 0;
  try {
    for await (const { sample, ref } of refs.samples()) {
      for await (const out of runner.run(sample.feeds, { fetch: [refs.output] })) {
        whole.add(ref, out);
        scores.add(ref, out);
        maxScore = Math.max(maxScore, sliceMax(out, range));
      }
      onSample(++done, sample.id);
    }
  } finally {
    await runner.close();
  }
  return { outputSqnrDb: whole.value(), scoreSqnrDb: scores.value(), maxScore };
}

function sliceMax(t: Tensor, range: ChannelRange): number {
  const d = toFloat32(t);
  let m = -Infinity;
  forEachInChannels(t, range, (i) => { if (at(d, i) > m) m = at(d, i); });
  return m;
}

/** File name part of one combination: calibrator, batch, images and seed (all axes, swept or not). */
function fileTag(c: Combination): string {
  return `${c.calibrator}.b${c.batch}.n${c.images}${c.seed === undefined ? '' : `.s${c.seed}`}`;
}

function makeDir(dir: string): string {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create the --keep folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`, dir);
  }
  return path.resolve(dir);
}
