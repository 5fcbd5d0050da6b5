import * as path from 'node:path';
import type { SampleObserver } from '../compare/compare-models.js';
import { accumulateArrays, finalize, mergeAccumulators, newAccumulator, type MetricAccumulator } from '../compare/metrics.js';
import type { Sample } from '../inputs/input-source.js';
import type { Tensor } from '../tensor/tensor.js';
import { UserError } from '../errors.js';
import { iou, type Box, type Detection } from './boxes.js';
import { toPredicted, type PredictedBox } from './coco-map.js';
import { anchorBestClass, anchorMaxScores, type DecodeOptions, type HeadView } from './decode.js';
import { HeadDecoder } from './head-decoder.js';
import { addCounts, matchDetections, prf, type MatchCounts } from './detection-match.js';
import type { DetectorLayout } from './head-spec.js';

export interface HeadObserverOptions {
  /** Detections compared FP32 vs INT8 (conf 0.25, IoU 0.45 by default). */
  detect: DecodeOptions;
  /** Anchors ranked by max class score for the top-k overlap and the box IoU. */
  topK: number;
  /** IoU at which an INT8 detection matches an FP32 one. */
  matchIou: number;
  /** YOLO label folder: enables mAP with `map` decoding. */
  labelsDir?: string;
  map: DecodeOptions;
  /** Keep detections for --save-detections (the mAP ones with labels, else the compared ones). */
  keepDetections: boolean;
}

/** IoU thresholds .50:.05:.95 of COCO's mAP50-95, for box agreement and detection F1. */
const IOU_THRESHOLDS = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);

/** Per-candidate accumulation over samples: only sums, counts and small per-sample lists. */
interface CandidateStats {
  score: MetricAccumulator;
  box: MetricAccumulator;
  obj: MetricAccumulator;
  maxScore: { fp32: number; int8: number };
  maxScoreRatios: number[];
  maxObj: { fp32: number; int8: number };
  maxObjRatios: number[];
  above: { fp32: number; int8: number };
  objAbove: { fp32: number; int8: number };
  topkOverlap: number[];
  boxIous: number[];
  sameClass: number[];
  match: MatchCounts;
  matchAt: MatchCounts[];
  detections: PredictedBox[];
}

export interface ImageRecord { id: number; file: string; width: number; height: number }

/** What a partial run keeps of the observer (plain data). */
export interface HeadObserverState {
  images: ImageRecord[];
  fp32Detections: PredictedBox[];
  firstImage?: { file: string; fp32: Detection[]; int8: Detection[][] };
  stats: CandidateStats[];
}

/** What the observer hands to the report for candidate k. */
export interface HeadOutputSummary {
  samples: number;
  /** Over the class probabilities (activation applied, background left out, objectness not multiplied in). */
  scoreSqnrDb: number;
  scoreCosine: number;
  /** Over the 4 raw box channels. */
  boxSqnrDb: number;
  boxCosine: number;
  /** Objectness channel of YOLOv5/X-style heads; null for families without one. */
  objectness: { sqnrDb: number; cosine: number; max: { fp32: number; int8: number; ratio: number }; above: { fp32: number; int8: number } } | null;
  /** Highest detection score over all samples, and INT8/FP32 per sample (median). */
  maxScore: { fp32: number; int8: number; ratio: number };
  /** Anchors whose best detection score exceeds the confidence threshold, summed over samples. */
  anchorsAboveConf: { conf: number; fp32: number; int8: number };
  /** Share of the FP32 top-k anchors (by detection score) that are also INT8's top k; mean over samples. */
  topK: { k: number; overlap: number };
  /** Median IoU between the FP32 and INT8 box of the same anchor, over FP32's top-k anchors scoring above conf (NaN: none). */
  boxIouMedian: number;
  /**
   * The same IoUs as a distribution: how many, 10th percentile, and the mAP50-95-style share: the
   * mean over IoU thresholds .50:.05:.95 of the share of those boxes whose INT8 box reaches it.
   */
  boxIou: { n: number; p10: number; share50_95: number };
  /** Share of those anchors whose INT8 best class is FP32's best class (NaN: none). */
  classAgreement: number;
  /** INT8 detections against FP32 detections as pseudo ground truth; f1_50_95: mean F1 over IoU .50:.05:.95. */
  detections: { conf: number; nmsIou: number; matchIou: number; fp32: number; int8: number; tp: number; precision: number; recall: number; f1: number; f1_50_95: number };
}

/** The q-quantile (linear between order statistics) of the finite values; NaN when none. */
function quantile(xs: readonly number[], q: number): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (v.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

const median = (xs: readonly number[]) => quantile(xs, 0.5);

function topK(scores: Float32Array, k: number): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, Math.min(k, scores.length));
}

function maxOf(a: Float32Array): number {
  let m = -Infinity;
  for (const v of a) if (v > m) m = v;
  return m;
}

/** The anchor of `v` whose box overlaps `box` most (first on ties). */
function bestOverlap(box: Box, v: HeadView): number {
  let best = 0, m = -1;
  for (let a = 0; a < v.anchors; a++) { const x = iou(box, v.box(a)); if (x > m) { m = x; best = a; } }
  return best;
}

function countAbove(a: Float32Array, t: number): number {
  let n = 0;
  for (const v of a) if (v > t) n++;
  return n;
}

/**
 * Watches each sample's final outputs: decodes the head of every model (src/detect/head-decoder.ts),
 * measures class probabilities, objectness and box channels separately (an output SQNR is
 * dominated by box pixels in the hundreds and hides dead [0,1] scores), compares boxes anchor by
 * anchor and detections of every model, and keeps only those.
 */
export class HeadObserver implements SampleObserver {
  readonly images: ImageRecord[] = [];
  readonly fp32Detections: PredictedBox[] = [];
  /** Detections of the first image input, in its own pixels: what the HTML report draws. */
  firstImage?: { file: string; fp32: Detection[]; int8: Detection[][] };
  private readonly stats: CandidateStats[];
  readonly decoder: HeadDecoder;

  /**
   * End-to-end outputs sorted by score (a class-id channel, YOLOv10): slot k of FP32 and INT8 need
   * not be the same object, so each FP32 slot is paired with the INT8 slot overlapping it most (IoU
   * at least matchIou), and the slot-wise box SQNR is not judged.
   */
  readonly sortedSlots: boolean;

  constructor(readonly layout: DetectorLayout, readonly opt: HeadObserverOptions, candidates: number) {
    this.decoder = new HeadDecoder(layout);
    this.sortedSlots = layout.classChannel !== undefined;
    this.stats = Array.from({ length: candidates }, () => ({
      score: newAccumulator(), box: newAccumulator(), obj: newAccumulator(),
      maxScore: { fp32: -Infinity, int8: -Infinity }, maxScoreRatios: [], maxObj: { fp32: -Infinity, int8: -Infinity }, maxObjRatios: [],
      above: { fp32: 0, int8: 0 }, objAbove: { fp32: 0, int8: 0 }, topkOverlap: [], boxIous: [], sameClass: [],
      match: { tp: 0, ref: 0, test: 0 }, matchAt: IOU_THRESHOLDS.map(() => ({ tp: 0, ref: 0, test: 0 })), detections: [],
    }));
  }

  observeSample(sample: Sample, fp32: Map<string, Tensor>, int8: Map<string, Tensor>[]): void {
    const image = this.images.length;
    const lb = sample.image?.letterbox;
    this.images.push({ id: image, file: sample.id, width: lb?.srcWidth ?? NaN, height: lb?.srcHeight ?? NaN });
    const dec = this.decoder, conf = this.opt.detect.conf;
    const fv = dec.view(fp32, sample, 'FP32 model');
    const fMax = anchorMaxScores(fv), fCls = anchorBestClass(fv);
    const fTop = topK(fMax, this.opt.topK);
    const fConfident = fTop.filter((a) => fMax[a]! > conf);
    const fDets = dec.detections(fv, this.opt.detect, sample);
    const mapMode = this.opt.labelsDir !== undefined;
    if (mapMode && !sample.image) throw new UserError('--labels needs image inputs (files or folders of pictures)', sample.id);
    const kept = (v: HeadView, dets: Detection[]) =>
      (mapMode ? dec.detections(v, this.opt.map, sample) : dets).map((d) => toPredicted(d, image));
    if (mapMode || this.opt.keepDetections) this.fp32Detections.push(...kept(fv, fDets));
    if (!this.firstImage && sample.image) this.firstImage = { file: sample.image.file, fp32: fDets, int8: [] };

    int8.forEach((outputs, k) => {
      const st = this.stats[k]!;
      const iv = dec.view(outputs, sample, `INT8 model ${k + 1}`);
      accumulateArrays(st.score, fv.classProbs, iv.classProbs);
      accumulateArrays(st.box, fv.rawBoxes, iv.rawBoxes);
      if (fv.objectness && iv.objectness) {
        accumulateArrays(st.obj, fv.objectness, iv.objectness);
        const of = maxOf(fv.objectness), oi = maxOf(iv.objectness);
        st.maxObj.fp32 = Math.max(st.maxObj.fp32, of);
        st.maxObj.int8 = Math.max(st.maxObj.int8, oi);
        st.maxObjRatios.push(of > 0 ? oi / of : NaN);
        st.objAbove.fp32 += countAbove(fv.objectness, conf);
        st.objAbove.int8 += countAbove(iv.objectness, conf);
      }
      const iMax = anchorMaxScores(iv), iCls = anchorBestClass(iv);
      const mf = maxOf(fMax), mi = maxOf(iMax);
      st.maxScore.fp32 = Math.max(st.maxScore.fp32, mf);
      st.maxScore.int8 = Math.max(st.maxScore.int8, mi);
      st.maxScoreRatios.push(mf > 0 ? mi / mf : NaN);
      st.above.fp32 += countAbove(fMax, conf);
      st.above.int8 += countAbove(iMax, conf);
      const iTop = new Set(topK(iMax, this.opt.topK));
      st.topkOverlap.push(fTop.filter((a) => iTop.has(a)).length / Math.max(1, fTop.length));
      // Box and class agreement on the anchors that matter: FP32's top k that FP32 is confident about,
      // against the same INT8 anchor (or, for score-sorted end-to-end slots, the INT8 slot that overlaps it most).
      for (const a of fConfident) {
        const b = this.sortedSlots ? bestOverlap(fv.box(a), iv) : a;
        const v = iou(fv.box(a), iv.box(b));
        if (this.sortedSlots && v < this.opt.matchIou) continue; // the object is not among INT8's slots: detection-level loss
        st.boxIous.push(v);
        st.sameClass.push(fCls[a] === iCls[b] ? 1 : 0);
      }
      const iDets = dec.detections(iv, this.opt.detect, sample);
      if (this.firstImage?.file === sample.id) this.firstImage.int8[k] = iDets;
      st.match = addCounts(st.match, matchDetections(fDets, iDets, this.opt.matchIou));
      st.matchAt = st.matchAt.map((m, t) => addCounts(m, matchDetections(fDets, iDets, IOU_THRESHOLDS[t]!)));
      if (mapMode || this.opt.keepDetections) st.detections.push(...kept(iv, iDets));
    });
  }

  summary(k: number): HeadOutputSummary {
    const st = this.stats[k]!;
    const s = finalize(st.score), b = finalize(st.box);
    const o = this.layout.objectness !== undefined ? finalize(st.obj) : null;
    const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((x, y) => x + y, 0) / xs.length);
    const ious = st.boxIous;
    return {
      samples: this.images.length,
      scoreSqnrDb: s.sqnrDb, scoreCosine: s.cosine, boxSqnrDb: b.sqnrDb, boxCosine: b.cosine,
      objectness: o && { sqnrDb: o.sqnrDb, cosine: o.cosine, max: { ...st.maxObj, ratio: median(st.maxObjRatios) }, above: { ...st.objAbove } },
      maxScore: { fp32: st.maxScore.fp32, int8: st.maxScore.int8, ratio: median(st.maxScoreRatios) },
      anchorsAboveConf: { conf: this.opt.detect.conf, ...st.above },
      topK: { k: this.opt.topK, overlap: mean(st.topkOverlap) || 0 },
      boxIouMedian: median(ious),
      boxIou: { n: ious.length, p10: quantile(ious, 0.1), share50_95: mean(IOU_THRESHOLDS.map((t) => ious.filter((v) => v >= t).length / ious.length)) },
      classAgreement: mean(st.sameClass),
      detections: {
        conf: this.opt.detect.conf, nmsIou: this.opt.detect.iou, matchIou: this.opt.matchIou, fp32: st.match.ref, int8: st.match.test, tp: st.match.tp, ...prf(st.match),
        f1_50_95: mean(st.matchAt.map((m) => prf(m).f1)),
      },
    };
  }

  /** Everything accumulated so far, as plain data (a partial run keeps it; see absorb). */
  state(): HeadObserverState {
    return { images: this.images, fp32Detections: this.fp32Detections, firstImage: this.firstImage, stats: this.stats };
  }

  /**
   * Takes in the states of several partial runs (each with the input-stream position of its
   * samples, in its own order) as if their samples had been observed here in stream order: images
   * renumbered, detections moved to the new image ids, per-sample lists ordered by sample, sums
   * merged. Then summary(), mAP and the saved detections are those of one run over all samples.
   */
  absorb(parts: readonly { state: HeadObserverState; sampleIndex: readonly number[] }[]): void {
    const order = parts.flatMap((p, part) => p.state.images.map((img, i) => ({ part, img, at: p.sampleIndex[i]! }))).sort((a, b) => a.at - b.at);
    const newId = parts.map(() => new Map<number, number>());
    for (const o of order) {
      newId[o.part]!.set(o.img.id, this.images.length);
      this.images.push({ ...o.img, id: this.images.length });
    }
    const moved = (part: number, ds: PredictedBox[]) => ds.map((d) => ({ ...d, image: newId[part]!.get(d.image)! }));
    const byImage = (a: PredictedBox, b: PredictedBox) => a.image - b.image;
    this.fp32Detections.push(...parts.flatMap((p, i) => moved(i, p.state.fp32Detections)).sort(byImage));
    const firsts = parts.map((p, i) => ({ f: p.state.firstImage, at: p.sampleIndex[p.state.images.findIndex((im) => im.file === p.state.firstImage?.file)] ?? Infinity, i }))
      .filter((x) => x.f).sort((a, b) => a.at - b.at);
    if (firsts[0]) this.firstImage = firsts[0].f;
    this.stats.forEach((st, k) => {
      // Per-sample lists in stream order: entry i of a part belongs to that part's i-th sample.
      const perSample = (pick: (s: CandidateStats) => number[]) =>
        parts.flatMap((p) => pick(p.state.stats[k]!).map((v, i) => ({ v, at: p.sampleIndex[i]! }))).sort((a, b) => a.at - b.at).map((x) => x.v);
      st.maxScoreRatios.push(...perSample((s) => s.maxScoreRatios));
      st.maxObjRatios.push(...perSample((s) => s.maxObjRatios));
      st.topkOverlap.push(...perSample((s) => s.topkOverlap));
      for (const [i, p] of parts.entries()) {
        const o = p.state.stats[k]!;
        mergeAccumulators(st.score, o.score);
        mergeAccumulators(st.box, o.box);
        mergeAccumulators(st.obj, o.obj);
        st.maxObj.fp32 = Math.max(st.maxObj.fp32, o.maxObj.fp32);
        st.maxObj.int8 = Math.max(st.maxObj.int8, o.maxObj.int8);
        st.objAbove.fp32 += o.objAbove.fp32; st.objAbove.int8 += o.objAbove.int8;
        st.sameClass.push(...o.sameClass); // only its mean is used
        st.maxScore.fp32 = Math.max(st.maxScore.fp32, o.maxScore.fp32);
        st.maxScore.int8 = Math.max(st.maxScore.int8, o.maxScore.int8);
        st.above.fp32 += o.above.fp32; st.above.int8 += o.above.int8;
        st.boxIous.push(...o.boxIous); // only quantiles and shares are used: order does not matter
        st.match = addCounts(st.match, o.match);
        st.matchAt = st.matchAt.map((m, t) => addCounts(m, o.matchAt[t]!));
        st.detections.push(...moved(i, o.detections));
      }
      st.detections.sort(byImage);
    });
  }

  detectionsOf(k: number): PredictedBox[] {
    return this.stats[k]!.detections;
  }

  imageName(id: number): string {
    return path.basename(this.images[id]!.file);
  }
}
