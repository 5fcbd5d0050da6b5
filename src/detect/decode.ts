import type { Letterbox } from '../inputs/image-loader.js';
import type { Tensor } from '../tensor/tensor.js';
import { numel, toFloat32 } from '../tensor/tensor.js';
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

/** Network input size in pixels: what normalised and grid boxes are scaled to. */
export interface InputSize { width: number; height: number }

/**
 * One image's head, decoded once into plain arrays whatever the family: corner boxes in
 * network-input pixels, class probabilities without the background class, objectness, and the
 * detection score that combines them.
 */
export interface HeadView {
  anchors: number;
  classes: number;
  /** Corner box of anchor a, in network-input pixels. */
  box(a: number): Box;
  /** Raw box channels (anchor-major, 4 per anchor) as the model wrote them. */
  rawBoxes: Float32Array;
  /** Class probabilities (anchor-major), after the score activation, background left out, before objectness. */
  classProbs: Float32Array;
  /** Objectness per anchor; null when the family has none. */
  objectness: Float32Array | null;
  /** Detection score of (anchor, class): class probability combined with objectness. */
  score(a: number, c: number): number;
  /** The class id a detection of column c of anchor a carries (c itself, or the class-id channel). */
  label(a: number, c: number): number;
}

/** (channels, anchors) of a [1,C,A...] / [1,A...,C] / [C,A] tensor. */
function dims(t: Tensor, layout: DetectorLayout['layout']): { channels: number; anchors: number; spatial: number[] } {
  const s = t.shape;
  const body = s.length >= 3 ? s.slice(1) : s;
  if (s.length < 2 || (s.length >= 3 && s[0] !== 1)) throw new UserError(`detector output ${t.name} has shape [${s}]; expected [1,C,A], [1,C,H,W] or [1,A,C] with batch 1`);
  return layout === 'CxA'
    ? { channels: body[0]!, anchors: numel(body.slice(1)), spatial: body.slice(1) }
    : { channels: body[body.length - 1]!, anchors: numel(body.slice(0, -1)), spatial: body.slice(0, -1) };
}

/** Values of channel range [c0, c1) for every anchor, anchor-major. */
function channels(data: Float32Array, layout: DetectorLayout['layout'], C: number, A: number, c0: number, c1: number): Float32Array {
  const w = c1 - c0, out = new Float32Array(A * w);
  for (let a = 0; a < A; a++) {
    for (let k = 0; k < w; k++) out[a * w + k] = layout === 'CxA' ? data[(c0 + k) * A + a]! : data[a * C + c0 + k]!;
  }
  return out;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function activate(raw: Float32Array, A: number, w: number, act: DetectorLayout['activation']): Float32Array {
  if (act === 'none') return raw;
  const out = new Float32Array(raw.length);
  if (act === 'sigmoid') { for (let i = 0; i < raw.length; i++) out[i] = sigmoid(raw[i]!); return out; }
  for (let a = 0; a < A; a++) {
    let m = -Infinity;
    for (let k = 0; k < w; k++) m = Math.max(m, raw[a * w + k]!);
    let sum = 0;
    for (let k = 0; k < w; k++) sum += (out[a * w + k] = Math.exp(raw[a * w + k]! - m));
    for (let k = 0; k < w; k++) out[a * w + k]! /= sum;
  }
  return out;
}

function dropColumn(p: Float32Array, A: number, w: number, col: number): Float32Array {
  const out = new Float32Array(A * (w - 1));
  for (let a = 0, k = 0; a < A; a++) for (let c = 0; c < w; c++) if (c !== col) out[k++] = p[a * w + c]!;
  return out;
}

/** Corner boxes (anchor-major) from the raw channels, in input pixels. */
function decodeBoxes(raw: Float32Array, A: number, l: DetectorLayout, input: InputSize, spatial: number[], priors: Float32Array | null, who: string): Float32Array {
  const out = new Float32Array(A * 4);
  const put = (a: number, b: Box) => out.set(b, a * 4);
  const W = input.width, H = input.height;
  const r = (a: number, k: number) => raw[a * 4 + k]!;
  switch (l.boxFormat) {
    case 'xywh': for (let a = 0; a < A; a++) put(a, xywhToXyxy(r(a, 0), r(a, 1), r(a, 2), r(a, 3))); break;
    case 'xyxy': out.set(raw); break;
    case 'cxcywh-norm': for (let a = 0; a < A; a++) put(a, xywhToXyxy(r(a, 0) * W, r(a, 1) * H, r(a, 2) * W, r(a, 3) * H)); break;
    case 'xyxy-norm': for (let a = 0; a < A; a++) put(a, [r(a, 0) * W, r(a, 1) * H, r(a, 2) * W, r(a, 3) * H]); break;
    case 'grid': {
      const levels = (l.strides ?? []).map((s) => ({ s, gw: Math.ceil(W / s), gh: Math.ceil(H / s) }));
      const total = levels.reduce((n, v) => n + v.gw * v.gh, 0);
      if (total !== A) throw new UserError(`${who}: strides ${l.strides?.join('/')} on a ${W}x${H} input give ${total} grid cells, but the head has ${A} anchors (set strides= or check the input size)`);
      let a = 0;
      for (const { s, gw, gh } of levels) {
        for (let gy = 0; gy < gh; gy++) for (let gx = 0; gx < gw; gx++, a++) {
          put(a, xywhToXyxy((r(a, 0) + gx) * s, (r(a, 1) + gy) * s, Math.exp(r(a, 2)) * s, Math.exp(r(a, 3)) * s));
        }
      }
      break;
    }
    case 'priors': {
      if (!priors || priors.length !== A * 4) throw new UserError(`${who}: priors hold ${(priors?.length ?? 0) / 4} boxes, the head has ${A} anchors`);
      const [v0, v1] = l.variances ?? [0.1, 0.2];
      for (let a = 0; a < A; a++) {
        const [pcx, pcy, pw, ph] = [priors[a * 4]!, priors[a * 4 + 1]!, priors[a * 4 + 2]!, priors[a * 4 + 3]!];
        put(a, xywhToXyxy((pcx + r(a, 0) * v0 * pw) * W, (pcy + r(a, 1) * v0 * ph) * H, pw * Math.exp(r(a, 2) * v1) * W, ph * Math.exp(r(a, 3) * v1) * H));
      }
      break;
    }
    case 'fastestdet': {
      if (spatial.length !== 2) throw new UserError(`${who}: format=fastestdet needs a [1, C, H, W] map, got anchors of shape [${spatial}]`);
      const [gh, gw] = spatial as [number, number];
      for (let a = 0; a < A; a++) {
        const gx = a % gw, gy = Math.floor(a / gw);
        put(a, xywhToXyxy(((gx + Math.tanh(r(a, 0))) / gw) * W, ((gy + Math.tanh(r(a, 1))) / gh) * H, sigmoid(r(a, 2)) * W, sigmoid(r(a, 3)) * H));
      }
      break;
    }
  }
  return out;
}

/**
 * Decode one image's head from its output tensors (the same tensor twice for single-output heads).
 * `priors` is the [A,4] prior array of format=priors (loaded once by the caller).
 */
export function headView(boxT: Tensor, scoreT: Tensor, l: DetectorLayout, input: InputSize, priors: Float32Array | null = null): HeadView {
  const bd = dims(boxT, l.layout), sd = dims(scoreT, l.layout);
  if (bd.anchors !== sd.anchors) throw new UserError(`detector outputs ${boxT.name} and ${scoreT.name} disagree on the anchor count (${bd.anchors} vs ${sd.anchors})`);
  const [b0, b1] = resolveRange(l.boxes, bd.channels);
  if (b1 - b0 !== 4) throw new UserError(`detector head: box channels ${b0}:${b1} of ${boxT.name} are not 4 wide`);
  const [s0, s1] = resolveRange(l.scores, sd.channels);
  const A = bd.anchors;
  const bx = toFloat32(boxT), sc = boxT === scoreT ? bx : toFloat32(scoreT);
  const rawBoxes = channels(bx, l.layout, bd.channels, A, b0, b1);
  const boxes = decodeBoxes(rawBoxes, A, l, input, bd.spatial, priors, `detector output ${boxT.name}`);
  let w = s1 - s0;
  let classProbs = activate(channels(sc, l.layout, sd.channels, A, s0, s1), A, w, l.activation);
  if (l.background !== undefined) {
    const bg = l.background < 0 ? w + l.background : l.background;
    if (bg < 0 || bg >= w) throw new UserError(`detector head: background=${l.background} is outside the ${w} score channels of ${scoreT.name}`);
    if (w < 2) throw new UserError(`detector head: background=${l.background} would leave no class in ${scoreT.name}`);
    classProbs = dropColumn(classProbs, A, w, bg);
    w -= 1;
  }
  const single = (ch: number | undefined) => (ch === undefined ? null : channels(sc, l.layout, sd.channels, A, ...resolveRange({ start: ch, end: ch === -1 ? undefined : ch + 1 }, sd.channels)));
  const objectness = single(l.objectness);
  const classIds = single(l.classChannel);
  const C = w;
  const score = !objectness
    ? (a: number, c: number) => classProbs[a * C + c]!
    : l.combine === 'fastestdet'
      ? (a: number, c: number) => Math.max(objectness[a]!, 0) ** 0.6 * Math.max(classProbs[a * C + c]!, 0) ** 0.4
      : (a: number, c: number) => objectness[a]! * classProbs[a * C + c]!;
  return {
    anchors: A,
    classes: C,
    rawBoxes,
    classProbs,
    objectness,
    box: (a) => [boxes[a * 4]!, boxes[a * 4 + 1]!, boxes[a * 4 + 2]!, boxes[a * 4 + 3]!],
    score,
    label: classIds ? (a) => Math.round(classIds[a]!) : (_a, c) => c,
  };
}

/** Highest detection score of every anchor. */
export function anchorMaxScores(v: HeadView): Float32Array {
  const out = new Float32Array(v.anchors);
  for (let a = 0; a < v.anchors; a++) {
    let m = -Infinity;
    for (let c = 0; c < v.classes; c++) { const s = v.score(a, c); if (s > m) m = s; }
    out[a] = m;
  }
  return out;
}

/** Class (column) with the highest probability of every anchor. */
export function anchorBestClass(v: HeadView): Int32Array {
  const out = new Int32Array(v.anchors);
  for (let a = 0; a < v.anchors; a++) {
    let m = -Infinity, best = 0;
    for (let c = 0; c < v.classes; c++) { const p = v.classProbs[a * v.classes + c]!; if (p > m) { m = p; best = c; } }
    out[a] = v.label(a, best);
  }
  return out;
}

/**
 * Candidates above `conf`, class-wise NMS (unless the layout is end-to-end), then (with a
 * letterbox) boxes mapped back to the original picture. Detections come out in descending score order.
 */
export function decodeDetections(v: HeadView, opt: DecodeOptions, letterbox?: Letterbox, withNms = true): Detection[] {
  const cands: Detection[] = [];
  for (let a = 0; a < v.anchors; a++) {
    if (opt.multiLabel) {
      let box: Box | undefined;
      for (let c = 0; c < v.classes; c++) {
        const s = v.score(a, c);
        if (s <= opt.conf) continue;
        box ??= v.box(a);
        cands.push({ box, score: s, cls: v.label(a, c), anchor: a });
      }
    } else {
      let best = -Infinity, cls = -1;
      for (let c = 0; c < v.classes; c++) { const s = v.score(a, c); if (s > best) { best = s; cls = c; } }
      if (best > opt.conf) cands.push({ box: v.box(a), score: best, cls: v.label(a, cls), anchor: a });
    }
  }
  const top = cands.length > opt.maxNms ? [...cands].sort((x, y) => y.score - x.score).slice(0, opt.maxNms) : cands;
  const kept = withNms ? nms(top, { iou: opt.iou, maxDet: opt.maxDet }) : [...top].sort((x, y) => y.score - x.score).slice(0, opt.maxDet);
  return letterbox ? kept.map((d) => ({ ...d, box: unletterbox(d.box, letterbox) })) : kept;
}
