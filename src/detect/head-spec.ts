import { UserError } from '../errors.js';

/**
 * Channel range [start, end) along the channel axis of a detector output. Negative values count
 * from the end (Python style); `end` undefined means "to the last channel".
 */
export interface ChannelRange {
  start: number;
  end?: number;
}

/**
 * Where boxes and class scores live in the model outputs, enough to decode detections.
 * `CxA`: [1, channels, anchors] (YOLOv8 output0 [1,84,8400]); `AxC`: [1, anchors, channels].
 */
export interface DetectorLayout {
  boxOutput: string;
  scoreOutput: string;
  layout: 'CxA' | 'AxC';
  boxes: ChannelRange;
  scores: ChannelRange;
  /** xywh: centre x, centre y, width, height (YOLO); xyxy: corners. In network input pixels. */
  boxFormat: 'xywh' | 'xyxy';
}

/** A parsed `--head` value. */
export type HeadSpec =
  | { kind: 'auto' }
  | { kind: 'slices'; output?: string; boxes: ChannelRange; scores: ChannelRange; layout: 'CxA' | 'AxC'; boxFormat: 'xywh' | 'xyxy' }
  | { kind: 'tensors'; boxes: string; scores: string; layout?: 'CxA' | 'AxC'; boxFormat: 'xywh' | 'xyxy' };

const RANGE = /^(-?\d*):(-?\d*)$/;

function parseRange(v: string): ChannelRange | null {
  const m = RANGE.exec(v.trim());
  if (!m) return null;
  const start = m[1] === '' ? 0 : Number(m[1]);
  return m[2] === '' ? { start } : { start, end: Number(m[2]) };
}

/**
 * `auto` | `boxes=0:4,scores=4:84[,layout=CxA|AxC][,output=name][,format=xywh|xyxy]`
 *        | `boxes=<tensor>,scores=<tensor>[,layout=..][,format=..]`
 */
export function parseHeadSpec(text: string): HeadSpec {
  const s = text.trim();
  if (s === '' || s === 'auto') return { kind: 'auto' };
  const kv = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UserError(`--head: expected key=value pairs (boxes=, scores=, layout=, output=, format=), got "${part}"`);
    const key = part.slice(0, eq).trim();
    if (!['boxes', 'scores', 'layout', 'output', 'format'].includes(key)) throw new UserError(`--head: unknown key "${key}" (boxes, scores, layout, output, format)`);
    kv.set(key, part.slice(eq + 1).trim());
  }
  const boxes = kv.get('boxes'), scores = kv.get('scores');
  if (!boxes || !scores) throw new UserError('--head needs both boxes= and scores= (channel ranges like 0:4 or tensor names), or "auto"');
  const layoutText = kv.get('layout');
  if (layoutText !== undefined && layoutText !== 'CxA' && layoutText !== 'AxC') throw new UserError(`--head: layout must be CxA (channels × anchors) or AxC, got "${layoutText}"`);
  const format = kv.get('format') ?? 'xywh';
  if (format !== 'xywh' && format !== 'xyxy') throw new UserError(`--head: format must be xywh or xyxy, got "${format}"`);
  const rb = parseRange(boxes), rs = parseRange(scores);
  if (rb && rs) {
    if (rb.end !== undefined && rb.end >= 0 && rb.start >= 0 && rb.end - rb.start !== 4) throw new UserError(`--head: boxes=${boxes} must span 4 channels`);
    return { kind: 'slices', boxes: rb, scores: rs, layout: (layoutText ?? 'CxA') as 'CxA' | 'AxC', boxFormat: format, ...(kv.has('output') ? { output: kv.get('output') } : {}) };
  }
  if (rb || rs) throw new UserError('--head: give boxes and scores both as channel ranges or both as tensor names');
  return { kind: 'tensors', boxes, scores, boxFormat: format, ...(layoutText ? { layout: layoutText as 'CxA' | 'AxC' } : {}) };
}

/** Resolve a range against the channel count: concrete [start, end). */
export function resolveRange(r: ChannelRange, channels: number): [number, number] {
  const abs = (v: number) => (v < 0 ? channels + v : v);
  const start = abs(r.start), end = r.end === undefined ? channels : abs(r.end);
  if (start < 0 || end > channels || end <= start) throw new UserError(`detector head: channel range ${r.start}:${r.end ?? ''} does not fit ${channels} channels`);
  return [start, end];
}

export function formatLayout(l: DetectorLayout): string {
  const r = (x: ChannelRange) => `${x.start}:${x.end ?? ''}`;
  return l.boxOutput === l.scoreOutput
    ? `${l.boxOutput} ${l.layout} boxes=${r(l.boxes)} scores=${r(l.scores)} (${l.boxFormat})`
    : `boxes=${l.boxOutput} scores=${l.scoreOutput} ${l.layout} (${l.boxFormat})`;
}
