/**
 * COCO-style mean average precision, following pycocotools' COCOeval (bbox, area "all", no crowd
 * boxes) step by step so that both give the same numbers on the same detections:
 *   - per image and class, detections sorted by score (stable) and cut to `maxDets`;
 *   - at each IoU threshold, each detection in turn takes the unmatched ground-truth box of its
 *     class with the highest IoU ≥ threshold (a later box wins a tie, as in COCOeval);
 *   - per class, all images' detections sorted by score (stable, image order), cumulative TP/FP,
 *     precision made monotone from the right, sampled at 101 recall points (searchsorted 'left');
 *     AP = mean of the samples; classes without ground truth are left out;
 *   - mAP = mean over classes (and over IoU thresholds .50:.05:.95 for mAP50-95).
 * Boxes are [x, y, w, h] in pixels, IoU computed as pycocotools' bbIou does.
 */
import type { Detection } from './boxes.js';

export type XYWH = [number, number, number, number];

export interface GroundTruthBox { image: number; cls: number; bbox: XYWH }
export interface PredictedBox extends GroundTruthBox { score: number }

export interface MapOptions {
  iouThresholds: readonly number[];
  recallPoints: readonly number[];
  maxDets: number;
}

/** numpy.linspace(start, stop, num): i·step + start, the last point exactly `stop`. @internal */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

/** @internal */
export const COCO_IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
const COCO_RECALL_POINTS = linspace(0, 1, 101);
/** Ultralytics val keeps 300 detections per image; COCOeval's maxDets is set to the same. */
const MAP_OPTIONS: MapOptions = { iouThresholds: COCO_IOU_THRESHOLDS, recallPoints: COCO_RECALL_POINTS, maxDets: 300 };

export interface ClassAp { cls: number; gt: number; ap: number[] }
export interface MapResult {
  /** AP at IoU 0.50, averaged over classes with ground truth. */
  map50: number;
  /** AP averaged over IoU .50:.05:.95 and classes. */
  map50_95: number;
  /** Per IoU threshold, mean over classes. */
  perThreshold: number[];
  perClass: ClassAp[];
}

export function cocoIou(d: XYWH, g: XYWH): number {
  const w = Math.min(d[2] + d[0], g[2] + g[0]) - Math.max(d[0], g[0]);
  if (w <= 0) return 0;
  const h = Math.min(d[3] + d[1], g[3] + g[1]) - Math.max(d[1], g[1]);
  if (h <= 0) return 0;
  const i = w * h;
  return i / (d[2] * d[3] + g[2] * g[3] - i);
}

const EPS = 2.220446049250313e-16; // np.spacing(1), added to TP+FP as COCOeval does

function groupBy<T extends GroundTruthBox>(xs: readonly T[]): Map<number, Map<number, T[]>> {
  const out = new Map<number, Map<number, T[]>>();
  for (const x of xs) {
    let byImg = out.get(x.cls);
    if (!byImg) out.set(x.cls, (byImg = new Map()));
    const l = byImg.get(x.image);
    if (l) l.push(x); else byImg.set(x.image, [x]);
  }
  return out;
}

/**
 * `images`: every evaluated image id, in the order COCOeval would use (sorted ids); images
 * without ground truth still count (their detections are false positives).
 */
export function cocoMap(gts: readonly GroundTruthBox[], dets: readonly PredictedBox[], images: readonly number[], opt: MapOptions = MAP_OPTIONS): MapResult {
  const T = opt.iouThresholds.length, R = opt.recallPoints.length;
  const gtBy = groupBy(gts), dtBy = groupBy(dets);
  const classes = [...new Set([...gtBy.keys(), ...dtBy.keys()])].sort((a, b) => a - b);
  const perClass: ClassAp[] = [];
  for (const cls of classes) {
    const scores: number[] = [];
    const matched: boolean[][] = Array.from({ length: T }, () => []);
    let npig = 0;
    for (const img of images) {
      const g = gtBy.get(cls)?.get(img) ?? [];
      const d = [...(dtBy.get(cls)?.get(img) ?? [])].map((x, i) => ({ x, i })).sort((a, b) => b.x.score - a.x.score || a.i - b.i).slice(0, opt.maxDets).map((e) => e.x);
      if (g.length === 0 && d.length === 0) continue;
      npig += g.length;
      const ious = d.map((dd) => g.map((gg) => cocoIou(dd.bbox, gg.bbox)));
      for (let t = 0; t < T; t++) {
        const gtTaken = new Array<boolean>(g.length).fill(false);
        for (let di = 0; di < d.length; di++) {
          let best = Math.min(opt.iouThresholds[t]!, 1 - 1e-10), m = -1;
          for (let gi = 0; gi < g.length; gi++) {
            if (gtTaken[gi]) continue;
            if (ious[di]![gi]! < best) continue;
            best = ious[di]![gi]!; m = gi;
          }
          if (m >= 0) gtTaken[m] = true;
          matched[t]!.push(m >= 0);
        }
      }
      for (const dd of d) scores.push(dd.score);
    }
    if (npig === 0) continue;
    // Stable descending sort of the concatenated scores (np.argsort(-s, kind='mergesort')).
    const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
    const ap: number[] = [];
    for (let t = 0; t < T; t++) {
      const nd = order.length;
      const rc = new Float64Array(nd), pr = new Float64Array(nd);
      let tp = 0, fp = 0;
      order.forEach((j, k) => {
        if (matched[t]![j]) tp++; else fp++;
        rc[k] = tp / npig;
        pr[k] = tp / (tp + fp + EPS);
      });
      for (let i = nd - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
      let sum = 0;
      for (let r = 0; r < R; r++) {
        const pi = searchsortedLeft(rc, opt.recallPoints[r]!);
        if (pi >= nd) break; // COCOeval stops filling at the first recall level it cannot reach
        sum += pr[pi]!;
      }
      ap.push(sum / R);
    }
    perClass.push({ cls, gt: npig, ap });
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const perThreshold = Array.from({ length: T }, (_, t) => mean(perClass.map((c) => c.ap[t]!)));
  return { map50: perThreshold[0] ?? NaN, map50_95: mean(perThreshold), perThreshold, perClass };
}

function searchsortedLeft(a: Float64Array, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** A decoded detection (corner box) as an evaluator box of image `image`. */
export function toPredicted(d: Detection, image: number): PredictedBox {
  return { image, cls: d.cls, score: d.score, bbox: [d.box[0], d.box[1], d.box[2] - d.box[0], d.box[3] - d.box[1]] };
}
