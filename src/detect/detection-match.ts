import { iou, type Detection } from './boxes.js';

export interface MatchCounts {
  /** Test detections that found a reference detection of the same class (IoU ≥ threshold). */
  tp: number;
  /** Detections of the reference (FP32, the pseudo ground truth) and of the test model. */
  ref: number;
  test: number;
}

/**
 * Match test (INT8) detections to reference (FP32) detections: in descending test score, each
 * takes the unmatched reference detection of its class with the highest IoU ≥ `iouThreshold`.
 */
export function matchDetections(ref: readonly Detection[], test: readonly Detection[], iouThreshold = 0.5): MatchCounts {
  const taken = new Array<boolean>(ref.length).fill(false);
  let tp = 0;
  for (const d of [...test].sort((a, b) => b.score - a.score)) {
    let best = iouThreshold, m = -1;
    ref.forEach((r, k) => {
      if (taken[k] || r.cls !== d.cls) return;
      const v = iou(r.box, d.box);
      if (v >= best) { best = v; m = k; }
    });
    if (m >= 0) { taken[m] = true; tp++; }
  }
  return { tp, ref: ref.length, test: test.length };
}

export function addCounts(a: MatchCounts, b: MatchCounts): MatchCounts {
  return { tp: a.tp + b.tp, ref: a.ref + b.ref, test: a.test + b.test };
}

/** Precision, recall and F1 of the test model against the reference; 1 when both found nothing. */
export function prf(c: MatchCounts): { precision: number; recall: number; f1: number } {
  const precision = c.test === 0 ? (c.ref === 0 ? 1 : 0) : c.tp / c.test;
  const recall = c.ref === 0 ? (c.test === 0 ? 1 : 0) : c.tp / c.ref;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
