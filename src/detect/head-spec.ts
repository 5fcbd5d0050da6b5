import { UserError, at } from '../errors.js';

/**
 * Channel range [start, end) along the channel axis of a detector output. Negative values count
 * from the end (Python style); `end` undefined means "to the last channel".
 */
export interface ChannelRange {
  start: number;
  end?: number;
}

/**
 * How the 4 box channels are written:
 *   xywh / xyxy           – decoded, in network-input pixels (YOLOv5/v7/v8, YOLOv10);
 *   cxcywh-norm / xyxy-norm – decoded, normalised to [0, 1] by the input size (DETR, many SSD exports);
 *   grid                  – YOLOX raw offsets: cx = (tx + gx)·s, w = exp(tw)·s per stride level;
 *   priors                – SSD/RetinaNet deltas (dx, dy, dw, dh) against priors (cx, cy, w, h normalised) and variances;
 *   fastestdet            – one cell per anchor of an [1, C, H, W] map: cx = (gx + tanh(tx)) / W, w = sigmoid(tw), normalised.
 */
const BOX_FORMATS = ['xywh', 'xyxy', 'cxcywh-norm', 'xyxy-norm', 'grid', 'priors', 'fastestdet'] as const;
export type BoxFormat = (typeof BOX_FORMATS)[number];
/** What turns the score channels into probabilities: nothing (already probabilities), sigmoid, or softmax over the score channels. */
const ACTIVATIONS = ['none', 'sigmoid', 'softmax'] as const;
export type ScoreActivation = (typeof ACTIVATIONS)[number];
/** How objectness and class probability make the detection score: obj·cls (YOLOv5/X) or obj^0.6·cls^0.4 (FastestDet). */
const COMBINES = ['mul', 'fastestdet'] as const;
export type ScoreCombine = (typeof COMBINES)[number];

/**
 * Where boxes and class scores live in the model outputs, enough to decode detections.
 * `CxA`: [1, channels, anchors...] (YOLOv8 output0 [1,84,8400]; [1,C,H,W] maps); `AxC`: [1, anchors, channels].
 */
export interface DetectorLayout {
  family: string;
  boxOutput: string;
  scoreOutput: string;
  layout: 'CxA' | 'AxC';
  boxes: ChannelRange;
  scores: ChannelRange;
  boxFormat: BoxFormat;
  /** Channel of the score output holding objectness (YOLOv5/X, FastestDet). */
  objectness?: number;
  /** Index within the score channels that is "background" / "no object" (SSD 0, DETR -1): left out of the classes. */
  background?: number;
  /** Channel holding a class id, the score channels then being one score per anchor (YOLOv10 [1,300,6]). */
  classChannel?: number;
  activation: ScoreActivation;
  combine: ScoreCombine;
  /** NMS on decoded detections; off for end-to-end heads (YOLOv10, DETR). */
  nms: boolean;
  /** grid: stride of each level, anchors ordered level by level, row-major. */
  strides?: number[];
  /** priors: .npy file of [A, 4] priors (cx, cy, w, h), normalised. */
  priors?: string;
  variances?: [number, number];
}

/** What `--head` may set; a preset fills what the user leaves out. */
export interface HeadFields {
  output?: string;
  boxes?: ChannelRange | string;
  scores?: ChannelRange | string;
  layout?: 'CxA' | 'AxC';
  boxFormat?: BoxFormat;
  objectness?: number;
  background?: number;
  classChannel?: number;
  activation?: ScoreActivation;
  combine?: ScoreCombine;
  nms?: boolean;
  strides?: number[];
  priors?: string;
  variances?: [number, number];
}

/**
 * Named conventions of detector families (docs/detection.md, "Families"). Two-output families
 * (ssd, retinanet, detr, rtdetr) find their box and score outputs by shape unless named; their
 * `activation` is the family's score function, applied only where the graph has not applied it
 * already (a score output made by Sigmoid/Softmax reads as probabilities unless activation= is
 * given), and `variances` are the family's box-coder scales for format=priors (SSD 0.1/0.2,
 * RetinaNet 1/1: torchvision/detectron2/mmdetection weights 1,1,1,1).
 */
const FAMILIES = {
  yolov8: { layout: 'CxA', boxes: { start: 0, end: 4 }, scores: { start: 4 }, boxFormat: 'xywh' },
  yolov5: { layout: 'AxC', boxes: { start: 0, end: 4 }, objectness: 4, scores: { start: 5 }, boxFormat: 'xywh' },
  yolox: { layout: 'AxC', boxes: { start: 0, end: 4 }, objectness: 4, scores: { start: 5 }, boxFormat: 'grid', strides: [8, 16, 32] },
  yolov10: { layout: 'AxC', boxes: { start: 0, end: 4 }, scores: { start: 4, end: 5 }, classChannel: 5, boxFormat: 'xyxy', nms: false },
  ssd: { layout: 'AxC', boxFormat: 'xyxy-norm', background: 0, activation: 'softmax', variances: [0.1, 0.2] },
  retinanet: { layout: 'AxC', boxFormat: 'xyxy', activation: 'sigmoid', variances: [1, 1] },
  detr: { layout: 'AxC', boxFormat: 'cxcywh-norm', activation: 'softmax', background: -1, nms: false },
  rtdetr: { layout: 'AxC', boxFormat: 'cxcywh-norm', activation: 'sigmoid', nms: false },
  fastestdet: { layout: 'CxA', objectness: 0, boxes: { start: 1, end: 5 }, scores: { start: 5 }, boxFormat: 'fastestdet', combine: 'fastestdet' },
} satisfies Record<string, HeadFields>;
/** The families by name (YOLOv7 shares YOLOv5's head, YOLO11 YOLOv8's); known names typed as present. */
export const PRESETS: Record<string, HeadFields> & Record<keyof typeof FAMILIES | 'yolov7' | 'yolo11', HeadFields> = {
  ...FAMILIES, yolov7: FAMILIES.yolov5, yolo11: FAMILIES.yolov8,
};

/** A parsed `--head` value. */
export type HeadSpec =
  | { kind: 'auto' }
  | { kind: 'off' }
  | { kind: 'spec'; preset?: string; fields: HeadFields; /** Keys the user wrote (the rest come from the preset). */ given: string[] };

const RANGE = /^(-?\d*):(-?\d*)$/;

function parseRange(v: string): ChannelRange | null {
  const m = RANGE.exec(v.trim());
  if (!m) return null;
  const start = m[1] === '' ? 0 : Number(m[1]);
  return m[2] === '' ? { start } : { start, end: Number(m[2]) };
}

const KEYS = ['output', 'boxes', 'scores', 'layout', 'format', 'objectness', 'background', 'class', 'activation', 'combine', 'nms', 'strides', 'priors', 'variances'] as const;

function oneOf<T extends string>(key: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new UserError(`--head: ${key} must be ${allowed.join(' | ')}, got "${v}"`);
  return v as T;
}

function int(key: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw new UserError(`--head: ${key} must be an integer channel index, got "${v}"`);
  return Number(v);
}

function numbers(key: string, v: string, count?: number): number[] {
  const xs = v.split('/').map(Number);
  if (xs.some((x) => !(x > 0)) || (count !== undefined && xs.length !== count)) {
    throw new UserError(`--head: ${key} must be ${count ?? 'one or more'} positive number${count === 1 ? '' : 's'} separated by "/", got "${v}"`);
  }
  return xs;
}

function setField(f: HeadFields, key: (typeof KEYS)[number], v: string): void {
  switch (key) {
    case 'output': f.output = v; break;
    case 'boxes': case 'scores': f[key] = parseRange(v) ?? v; break;
    case 'layout': f.layout = oneOf(key, v, ['CxA', 'AxC'] as const); break;
    case 'format': f.boxFormat = oneOf(key, v, BOX_FORMATS); break;
    case 'objectness': f.objectness = int(key, v); break;
    case 'background': f.background = int(key, v); break;
    case 'class': f.classChannel = int(key, v); break;
    case 'activation': f.activation = oneOf(key, v, ACTIVATIONS); break;
    case 'combine': f.combine = oneOf(key, v, COMBINES); break;
    case 'nms': f.nms = oneOf(key, v, ['on', 'off'] as const) === 'on'; break;
    case 'strides': f.strides = numbers(key, v); break;
    case 'priors': f.priors = v; break;
    case 'variances': f.variances = numbers(key, v, 2) as [number, number]; break;
  }
}

/**
 * `auto` | `off` | `[PRESET][,key=value...]` (grammar in docs/detection.md). A preset's fields are
 * the defaults; keys given after it override them.
 */
export function parseHeadSpec(text: string): HeadSpec {
  const s = text.trim();
  if (s === '' || s === 'auto') return { kind: 'auto' };
  if (s === 'off') return { kind: 'off' };
  const parts = s.split(',').map((p) => p.trim());
  let preset: string | undefined;
  if (!at(parts, 0).includes('=')) {
    preset = parts.shift()!;
    if (!PRESETS[preset]) throw new UserError(`--head: unknown preset "${preset}" (auto, off, ${Object.keys(PRESETS).join(', ')})`);
  }
  const fields: HeadFields = { ...PRESETS[preset ?? ''] };
  const given = new Set<string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UserError(`--head: expected key=value pairs after the preset (${KEYS.join(', ')}), got "${part}"`);
    const key = part.slice(0, eq).trim();
    if (!(KEYS as readonly string[]).includes(key)) throw new UserError(`--head: unknown key "${key}" (${KEYS.join(', ')})`);
    setField(fields, key as (typeof KEYS)[number], part.slice(eq + 1).trim());
    given.add(key);
  }
  if (!preset && (!given.has('boxes') || !given.has('scores'))) {
    throw new UserError('--head needs both boxes= and scores= (channel ranges like 0:4 or tensor names), a preset (yolov8, yolov5, yolox, yolov10, ssd, retinanet, detr, rtdetr, fastestdet), or "auto"');
  }
  const isName = (x: HeadFields['boxes']) => typeof x === 'string';
  if (fields.boxes !== undefined && fields.scores !== undefined && isName(fields.boxes) !== isName(fields.scores)) {
    throw new UserError('--head: give boxes and scores both as channel ranges or both as tensor names');
  }
  const b = fields.boxes;
  if (b && typeof b !== 'string' && b.end !== undefined && b.end >= 0 && b.start >= 0 && b.end - b.start !== 4) {
    throw new UserError(`--head: boxes=${b.start}:${b.end} must span 4 channels`);
  }
  if (fields.boxFormat === 'grid' && !fields.strides) fields.strides = [8, 16, 32];
  return preset ? { kind: 'spec', preset, fields, given: [...given] } : { kind: 'spec', fields, given: [...given] };
}

/** Resolve a range against the channel count: concrete [start, end). */
export function resolveRange(r: ChannelRange, channels: number): [number, number] {
  const abs = (v: number) => (v < 0 ? channels + v : v);
  const start = abs(r.start), end = r.end === undefined ? channels : abs(r.end);
  if (start < 0 || end > channels || end <= start) throw new UserError(`detector head: channel range ${r.start}:${r.end ?? ''} does not fit ${channels} channels`);
  return [start, end];
}

/** A complete layout from fields (preset and user's), given the outputs they resolved to. */
export function layoutFrom(f: HeadFields, family: string, boxOutput: string, scoreOutput: string): DetectorLayout {
  const l: DetectorLayout = {
    family, boxOutput, scoreOutput,
    layout: f.layout ?? 'CxA',
    boxes: typeof f.boxes === 'object' ? f.boxes : { start: 0, end: 4 },
    scores: typeof f.scores === 'object' ? f.scores : { start: 0 },
    boxFormat: f.boxFormat ?? 'xywh',
    activation: f.activation ?? 'none',
    combine: f.combine ?? 'mul',
    nms: f.nms ?? true,
  };
  for (const k of ['objectness', 'background', 'classChannel', 'strides', 'priors', 'variances'] as const) {
    if (f[k] !== undefined) (l as unknown as Record<string, unknown>)[k] = f[k];
  }
  if (l.boxFormat === 'priors' && !l.priors) throw new UserError('--head: format=priors needs priors=<file.npy> ([A,4] cx,cy,w,h normalised)');
  return l;
}

export function formatLayout(l: DetectorLayout): string {
  const r = (x: ChannelRange) => `${x.start}:${x.end ?? ''}`;
  const extra = [
    l.objectness !== undefined ? `objectness=${l.objectness}` : '',
    l.background !== undefined ? `background=${l.background}` : '',
    l.classChannel !== undefined ? `class=${l.classChannel}` : '',
    l.activation !== 'none' ? l.activation : '',
    l.strides && l.boxFormat === 'grid' ? `strides=${l.strides.join('/')}` : '',
    l.nms ? '' : 'no NMS',
  ].filter(Boolean).join(', ');
  const where = l.boxOutput === l.scoreOutput
    ? `${l.boxOutput} ${l.layout} boxes=${r(l.boxes)} scores=${r(l.scores)}`
    : `boxes=${l.boxOutput} scores=${l.scoreOutput} ${l.layout}`;
  return `${l.family}: ${where} (${l.boxFormat}${extra ? `; ${extra}` : ''})`;
}
