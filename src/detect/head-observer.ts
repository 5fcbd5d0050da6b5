import * as path from 'node:path';
import type { SampleObserver } from '../compare/compare-models.js';
import { accumulateArrays, finalize, mergeAccumulators, newAccumulator, type MetricAccumulator } from '../compare/metrics.js';
import type { Sample } from '../inputs/input-source.js';
import type { Tensor } from '../tensor/tensor.js';
import { UserError } from '../errors.js';
import { iou, type Detection } from './boxes.js';
import { toPredicted, type PredictedBox } from './coco-map.js';
import { anchorMaxScores, decodeDetections, gatherBoxes, gatherScores, headView, type DecodeOptions, type HeadView } from './decode.js';
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

/** Per-candidate accumulation over samples: only sums, counts and small per-sample lists. */
interface CandidateStats {
  score: MetricAccumulator;
  box: MetricAccumulator;
  maxScore: { fp32: number; int8: number };
  maxScoreRatios: number[];
  above: { fp32: number; int8: number };
  topkOverlap: number[];
  boxIous: number[];
  match: MatchCounts;
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
  scoreSqnrDb: number;
  scoreCosine: number;
  boxSqnrDb: number;
  boxCosine: number;
  /** Highest class score over all samples, and INT8/FP32 per sample (median). */
  maxScore: { fp32: number; int8: number; ratio: number };
  /** Anchors whose best class score exceeds the confidence threshold, summed over samples. */
  anchorsAboveConf: { conf: number; fp32: number; int8: number };
  /** Share of the FP32 top-k anchors (by max class score) that are also INT8's top k; mean over samples. */
  topK: { k: number; overlap: number };
  /** Median IoU between the FP32 and INT8 box of the same anchor, over FP32's top-k anchors scoring above conf (NaN: none). */
  boxIouMedian: number;
  /** INT8 detections against FP32 detections as pseudo ground truth. */
  detections: { conf: number; nmsIou: number; matchIou: number; fp32: number; int8: number; tp: number; precision: number; recall: number; f1: number };
}

function median(xs: number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

function topK(scores: Float32Array, k: number): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, Math.min(k, scores.length));
}

function maxOf(a: Float32Array): number {
  let m = -Infinity;
  for (const v of a) if (v > m) m = v;
  return m;
}

/**
 * Watches each sample's final outputs: splits the detector output into its score and box
 * channels, measures them separately (an output SQNR is dominated by box pixels in the hundreds
 * and hides dead [0,1] scores), decodes detections of every model and keeps only those.
 */
export class HeadObserver implements SampleObserver {
  readonly images: ImageRecord[] = [];
  readonly fp32Detections: PredictedBox[] = [];
  /** Detections of the first image input, in its own pixels: what the HTML report draws. */
  firstImage?: { file: string; fp32: Detection[]; int8: Detection[][] };
  private readonly stats: CandidateStats[];

  constructor(readonly layout: DetectorLayout, readonly opt: HeadObserverOptions, candidates: number) {
    this.stats = Array.from({ length: candidates }, () => ({
      score: newAccumulator(), box: newAccumulator(), maxScore: { fp32: -Infinity, int8: -Infinity }, maxScoreRatios: [],
      above: { fp32: 0, int8: 0 }, topkOverlap: [], boxIous: [], match: { tp: 0, ref: 0, test: 0 }, detections: [],
    }));
  }

  private view(outputs: Map<string, Tensor>, who: string): HeadView {
    const b = outputs.get(this.layout.boxOutput), s = outputs.get(this.layout.scoreOutput);
    if (!b || !s) throw new UserError(`${who}: detector output ${!b ? this.layout.boxOutput : this.layout.scoreOutput} was not produced (it must be a compared float output)`);
    return headView(b, s, this.layout);
  }

  observeSample(sample: Sample, fp32: Map<string, Tensor>, int8: Map<string, Tensor>[]): void {
    const image = this.images.length;
    const lb = sample.image?.letterbox;
    this.images.push({ id: image, file: sample.id, width: lb?.srcWidth ?? NaN, height: lb?.srcHeight ?? NaN });
    const fv = this.view(fp32, 'FP32 model');
    const fScores = gatherScores(fv), fBoxes = gatherBoxes(fv), fMax = anchorMaxScores(fv);
    const fTop = topK(fMax, this.opt.topK);
    const fDets = decodeDetections(fv, this.opt.detect, lb);
    const mapMode = this.opt.labelsDir !== undefined;
    if (mapMode && !sample.image) throw new UserError('--labels needs image inputs (files or folders of pictures)', sample.id);
    const kept = (v: HeadView, dets: Detection[]) =>
      (mapMode ? decodeDetections(v, this.opt.map, lb) : dets).map((d) => toPredicted(d, image));
    if (mapMode || this.opt.keepDetections) this.fp32Detections.push(...kept(fv, fDets));
    if (!this.firstImage && sample.image) this.firstImage = { file: sample.image.file, fp32: fDets, int8: [] };

    int8.forEach((outputs, k) => {
      const st = this.stats[k]!;
      const iv = this.view(outputs, `INT8 model ${k + 1}`);
      accumulateArrays(st.score, fScores, gatherScores(iv));
      accumulateArrays(st.box, fBoxes, gatherBoxes(iv));
      const iMax = anchorMaxScores(iv);
      const mf = maxOf(fMax), mi = maxOf(iMax);
      st.maxScore.fp32 = Math.max(st.maxScore.fp32, mf);
      st.maxScore.int8 = Math.max(st.maxScore.int8, mi);
      st.maxScoreRatios.push(mf > 0 ? mi / mf : NaN);
      for (let a = 0; a < fMax.length; a++) {
        if (fMax[a]! > this.opt.detect.conf) st.above.fp32++;
        if (iMax[a]! > this.opt.detect.conf) st.above.int8++;
      }
      const iTop = new Set(topK(iMax, this.opt.topK));
      st.topkOverlap.push(fTop.filter((a) => iTop.has(a)).length / Math.max(1, fTop.length));
      // Box agreement on the anchors that matter: FP32's top k that FP32 is confident about.
      for (const a of fTop) if (fMax[a]! > this.opt.detect.conf) st.boxIous.push(iou(fv.box(a), iv.box(a)));
      const iDets = decodeDetections(iv, this.opt.detect, lb);
      if (this.firstImage?.file === sample.id) this.firstImage.int8[k] = iDets;
      st.match = addCounts(st.match, matchDetections(fDets, iDets, this.opt.matchIou));
      if (mapMode || this.opt.keepDetections) st.detections.push(...kept(iv, iDets));
    });
  }

  summary(k: number): HeadOutputSummary {
    const st = this.stats[k]!;
    const s = finalize(st.score), b = finalize(st.box);
    return {
      samples: this.images.length,
      scoreSqnrDb: s.sqnrDb, scoreCosine: s.cosine, boxSqnrDb: b.sqnrDb, boxCosine: b.cosine,
      maxScore: { fp32: st.maxScore.fp32, int8: st.maxScore.int8, ratio: median(st.maxScoreRatios) },
      anchorsAboveConf: { conf: this.opt.detect.conf, ...st.above },
      topK: { k: this.opt.topK, overlap: st.topkOverlap.reduce((x, y) => x + y, 0) / Math.max(1, st.topkOverlap.length) },
      boxIouMedian: median(st.boxIous),
      detections: { conf: this.opt.detect.conf, nmsIou: this.opt.detect.iou, matchIou: this.opt.matchIou, fp32: st.match.ref, int8: st.match.test, tp: st.match.tp, ...prf(st.match) },
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
      st.topkOverlap.push(...perSample((s) => s.topkOverlap));
      for (const [i, p] of parts.entries()) {
        const o = p.state.stats[k]!;
        mergeAccumulators(st.score, o.score);
        mergeAccumulators(st.box, o.box);
        st.maxScore.fp32 = Math.max(st.maxScore.fp32, o.maxScore.fp32);
        st.maxScore.int8 = Math.max(st.maxScore.int8, o.maxScore.int8);
        st.above.fp32 += o.above.fp32; st.above.int8 += o.above.int8;
        st.boxIous.push(...o.boxIous); // only its median is used: order does not matter
        st.match = addCounts(st.match, o.match);
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
