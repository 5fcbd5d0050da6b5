import type { Letterbox } from '../inputs/image-loader.js';
import type { Tensor } from '../tensor/tensor.js';
import { toFloat32 } from '../tensor/tensor.js';
import { UserError } from '../errors.js';
import { unletterbox, xywhToXyxy, type Box, type Detection } from './boxes.js';
import { resolveRange, type DetectorLayout } from './head-spec.js';
import { nms } from './nms.js';

export interface DecodeOptions {
  /** Keep (anchor, class) pairs whose score is strictly above this. */
  conf: number;
  /** NMS IoU threshold. */
  iou: number;
  maxDet: number;
  /** Every class above `conf` becomes a candidate (Ultralytics val); else only each anchor's best class (predict). */
  multiLabel: boolean;
  /** At most this many candidates enter NMS, highest scores first (Ultralytics max_nms). */
  maxNms: number;
}

/** `trt-diff run` detections: Ultralytics predict defaults except IoU 0.45 (docs/detection.md). */
export const DETECT_DEFAULTS: DecodeOptions = { conf: 0.25, iou: 0.45, maxDet: 300, multiLabel: false, maxNms: 30000 };
/** mAP detections: Ultralytics val (conf 0.001, NMS IoU 0.7, 300 per image, multi-label). */
export const MAP_DEFAULTS: DecodeOptions = { conf: 0.001, iou: 0.7, maxDet: 300, multiLabel: true, maxNms: 30000 };

/** Read access to one image's boxes and class scores, whatever the layout. */
export interface HeadView {
  anchors: number;
  classes: number;
  /** Corner box of anchor a, in network-input pixels. */
  box(a: number): Box;
  /** Raw box channel k (0-3) of anchor a, as the model wrote it. */
  boxChannel(a: number, k: number): number;
  score(a: number, c: number): number;
}

/** Last two dims of a [1,C,A] / [1,A,C] / [C,A] tensor as (channels, anchors). */
function dims(t: Tensor, layout: DetectorLayout['layout']): { channels: number; anchors: number } {
  const s = t.shape;
  if (s.length < 2 || s.slice(0, -2).some((d) => d !== 1)) throw new UserError(`detector output ${t.name} has shape [${s}]; expected [1,C,A] or [1,A,C] with batch 1`);
  const [x, y] = [s[s.length - 2]!, s[s.length - 1]!];
  return layout === 'CxA' ? { channels: x, anchors: y } : { channels: y, anchors: x };
}

export function headView(boxT: Tensor, scoreT: Tensor, l: DetectorLayout): HeadView {
  const bd = dims(boxT, l.layout), sd = dims(scoreT, l.layout);
  if (bd.anchors !== sd.anchors) throw new UserError(`detector outputs ${boxT.name} and ${scoreT.name} disagree on the anchor count (${bd.anchors} vs ${sd.anchors})`);
  const [b0, b1] = resolveRange(l.boxes, bd.channels);
  if (b1 - b0 !== 4) throw new UserError(`detector head: box channels ${b0}:${b1} of ${boxT.name} are not 4 wide`);
  const [s0, s1] = resolveRange(l.scores, sd.channels);
  const A = bd.anchors;
  const bx = toFloat32(boxT), sc = toFloat32(scoreT);
  const at = l.layout === 'CxA'
    ? (data: Float32Array, C: number, ch: number, a: number) => { void C; return data[ch * A + a]!; }
    : (data: Float32Array, C: number, ch: number, a: number) => data[a * C + ch]!;
  const bC = bd.channels, sC = sd.channels;
  return {
    anchors: A,
    classes: s1 - s0,
    boxChannel: (a, k) => at(bx, bC, b0 + k, a),
    box(a) {
      const v = [0, 1, 2, 3].map((k) => at(bx, bC, b0 + k, a)) as Box;
      return l.boxFormat === 'xywh' ? xywhToXyxy(v[0], v[1], v[2], v[3]) : v;
    },
    score: (a, c) => at(sc, sC, s0 + c, a),
  };
}

/** The score (or box) channels of every anchor as one array, anchor-major: what output SQNR is computed over. */
export function gatherScores(v: HeadView): Float32Array {
  const out = new Float32Array(v.anchors * v.classes);
  for (let a = 0, k = 0; a < v.anchors; a++) for (let c = 0; c < v.classes; c++) out[k++] = v.score(a, c);
  return out;
}

export function gatherBoxes(v: HeadView): Float32Array {
  const out = new Float32Array(v.anchors * 4);
  for (let a = 0, k = 0; a < v.anchors; a++) for (let c = 0; c < 4; c++) out[k++] = v.boxChannel(a, c);
  return out;
}

/** Highest class score of every anchor. */
export function anchorMaxScores(v: HeadView): Float32Array {
  const out = new Float32Array(v.anchors);
  for (let a = 0; a < v.anchors; a++) {
    let m = -Infinity;
    for (let c = 0; c < v.classes; c++) { const s = v.score(a, c); if (s > m) m = s; }
    out[a] = m;
  }
  return out;
}

/**
 * Candidates above `conf`, class-wise NMS, then (with a letterbox) boxes mapped back to the
 * original picture. Detections come out in descending score order.
 */
export function decodeDetections(v: HeadView, opt: DecodeOptions, letterbox?: Letterbox): Detection[] {
  const cands: Detection[] = [];
  for (let a = 0; a < v.anchors; a++) {
    if (opt.multiLabel) {
      let box: Box | undefined;
      for (let c = 0; c < v.classes; c++) {
        const s = v.score(a, c);
        if (s > opt.conf) cands.push({ box: (box ??= v.box(a)), score: s, cls: c, anchor: a });
      }
    } else {
      let best = -Infinity, cls = -1;
      for (let c = 0; c < v.classes; c++) { const s = v.score(a, c); if (s > best) { best = s; cls = c; } }
      if (best > opt.conf) cands.push({ box: v.box(a), score: best, cls, anchor: a });
    }
  }
  const top = cands.length > opt.maxNms ? [...cands].sort((x, y) => y.score - x.score).slice(0, opt.maxNms) : cands;
  const kept = nms(top, { iou: opt.iou, maxDet: opt.maxDet });
  return letterbox ? kept.map((d) => ({ ...d, box: unletterbox(d.box, letterbox) })) : kept;
}
