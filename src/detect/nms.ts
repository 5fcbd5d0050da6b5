import { iou, type Detection } from './boxes.js';

export interface NmsOptions {
  /** Suppress a box whose IoU with a kept box of the same class exceeds this. */
  iou: number;
  /** Keep at most this many detections (highest scores first). */
  maxDet: number;
}

/**
 * Greedy class-wise NMS, the result of torchvision's batched_nms followed by `[:max_det]` as in
 * Ultralytics: candidates are visited in descending score order and kept unless they overlap a
 * kept box of their class by more than `iou`. Stopping at maxDet kept boxes gives the same set
 * (batched NMS returns its survivors in score order), and bounds the work by n·maxDet.
 * Ties in score keep the input order (stable sort).
 */
export function nms(cands: readonly Detection[], opt: NmsOptions): Detection[] {
  const order = cands.map((_, i) => i).sort((a, b) => cands[b]!.score - cands[a]!.score || a - b);
  const keptByClass = new Map<number, Detection[]>();
  const out: Detection[] = [];
  for (const i of order) {
    if (out.length >= opt.maxDet) break;
    const d = cands[i]!;
    const kept = keptByClass.get(d.cls);
    if (kept?.some((k) => iou(k.box, d.box) > opt.iou)) continue;
    if (kept) kept.push(d); else keptByClass.set(d.cls, [d]);
    out.push(d);
  }
  return out;
}
