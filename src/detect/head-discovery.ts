import type { NodeProto } from 'onnx-buf';
import { UserError } from '../errors.js';
import { ancestors, commonDominators, descendants, type LogicalGraph } from './logical-graph.js';
import type { ChannelRange, DetectorLayout, HeadSpec } from './head-spec.js';

/**
 * Where a tensor sits in a detector (docs/detection.md, "Head discovery"):
 *   backbone – upstream of both branches, up to the trunk end (the last tensor every path to the
 *              head passes through: the first multi-scale split);
 *   neck     – upstream of both branches, after the trunk end (feature pyramid);
 *   box      – upstream of the box input of the merge only;
 *   class    – upstream of the class-score input of the merge only;
 *   shared   – downstream of the branches, where they meet (the output Concat and after).
 */
export type HeadLabel = 'backbone' | 'neck' | 'box' | 'class' | 'shared';
export const HEAD_LABELS: readonly HeadLabel[] = ['backbone', 'neck', 'box', 'class', 'shared'];

export interface DetectorHead {
  source: 'auto' | 'manual';
  /** The tensors the merge reads: last tensor of the box branch and of the class branch. */
  boxRoot: string | null;
  classRoot: string | null;
  /** Output of the node that joins boxes and scores (YOLOv8: the final Concat, output0). */
  merge: string | null;
  /** Last tensor shared by every path to the head (end of the backbone). */
  trunkEnd: string | null;
  /** How to decode detections from the outputs; null when the head cannot be decoded. */
  layout: DetectorLayout | null;
  labels: Map<string, HeadLabel>;
}

/** Ops that move data without changing values: walked through when tracing back from an output. */
const LAYOUT_OPS = new Set(['Reshape', 'Transpose', 'Identity', 'Flatten', 'Squeeze', 'Unsqueeze', 'Cast']);
/** Score activations: how a class input is told from a box input when shapes are not declared. */
const SCORE_ACTIVATIONS = new Set(['Sigmoid', 'Softmax']);

function intAttr(node: NodeProto, name: string, dflt: number): number {
  const a = node.attribute.find((x) => x.name === name);
  return a ? Number(a.i) : dflt;
}

/** Walk back from `t` through value-preserving layout ops; returns the tensor and whether any op was passed. */
function throughLayout(lg: LogicalGraph, t: string): { tensor: string; moved: boolean } {
  let cur = t, moved = false;
  for (;;) {
    const p = lg.producer.get(cur);
    if (!p || !LAYOUT_OPS.has(p.opType) || p.inputs.length !== 1) return { tensor: cur, moved };
    cur = p.inputs[0]!; moved = true;
  }
}

interface MergeCandidate { output: string; concat: NodeProto; inputs: string[]; axis: number; rank: number; moved: boolean }

function mergeOf(lg: LogicalGraph, output: string): MergeCandidate | null {
  const { tensor, moved } = throughLayout(lg, output);
  const p = lg.producer.get(tensor);
  if (!p || p.opType !== 'Concat' || p.inputs.length < 2) return null;
  const rank = lg.shapes.get(tensor)?.length ?? lg.shapes.get(output)?.length ?? 3;
  let axis = intAttr(p.node, 'axis', 1);
  if (axis < 0) axis += rank;
  return { output, concat: p.node, inputs: p.inputs, axis, rank, moved };
}

/** Channels of `t` along `axis`, if declared. */
function channels(lg: LogicalGraph, t: string, axis: number): number | undefined {
  const d = lg.shapes.get(t)?.[axis];
  return d !== undefined && d > 0 ? d : undefined;
}

/**
 * Which merge inputs are boxes and scores. With declared shapes: the 4-channel input is the box,
 * the widest other input the scores. Without: of two inputs, the one produced by a score
 * activation (Sigmoid/Softmax, through layout ops) is the scores.
 */
function pickRoots(lg: LogicalGraph, m: MergeCandidate): { box: string; cls: string } | null {
  const ch = m.inputs.map((i) => channels(lg, i, m.axis));
  if (ch.every((c) => c !== undefined)) {
    const boxes = m.inputs.filter((_, k) => ch[k] === 4);
    if (boxes.length !== 1) return null;
    const others = m.inputs.map((t, k) => ({ t, c: ch[k]! })).filter((x) => x.t !== boxes[0]);
    const cls = others.sort((a, b) => b.c - a.c)[0];
    return cls && cls.c > 0 ? { box: boxes[0]!, cls: cls.t } : null;
  }
  if (m.inputs.length !== 2) return null;
  const isScore = m.inputs.map((i) => SCORE_ACTIVATIONS.has(lg.producer.get(throughLayout(lg, i).tensor)?.opType ?? ''));
  if (isScore[0] === isScore[1]) return null;
  return isScore[0] ? { box: m.inputs[1]!, cls: m.inputs[0]! } : { box: m.inputs[0]!, cls: m.inputs[1]! };
}

/** Channel ranges of box and score inputs within the merge output, from declared shapes or their order. */
function layoutOf(lg: LogicalGraph, m: MergeCandidate, box: string, cls: string): DetectorLayout | null {
  if (m.moved || m.rank !== 3 || (m.axis !== 1 && m.axis !== 2)) return null; // transposed after the merge: ask for --head
  const ch = m.inputs.map((i) => channels(lg, i, m.axis));
  let boxes: ChannelRange, scores: ChannelRange;
  if (ch.every((c) => c !== undefined)) {
    const offset = (t: string) => m.inputs.slice(0, m.inputs.indexOf(t)).reduce((s, i, k) => s + ch[k]!, 0);
    boxes = { start: offset(box), end: offset(box) + 4 };
    scores = { start: offset(cls), end: offset(cls) + ch[m.inputs.indexOf(cls)]! };
  } else {
    // Two inputs, shapes unknown: boxes are 4 channels at one end, scores the rest.
    const boxFirst = m.inputs.indexOf(box) === 0;
    boxes = boxFirst ? { start: 0, end: 4 } : { start: -4 };
    scores = boxFirst ? { start: 4 } : { start: 0, end: -4 };
  }
  return { boxOutput: m.output, scoreOutput: m.output, layout: m.axis === 1 ? 'CxA' : 'AxC', boxes, scores, boxFormat: 'xywh' };
}

/** Label every activation given the two branch roots (see HeadLabel). */
export function labelTensors(lg: LogicalGraph, boxRoot: string, classRoot: string): { labels: Map<string, HeadLabel>; trunkEnd: string | null } {
  const inBox = ancestors(lg, boxRoot), inCls = ancestors(lg, classRoot);
  const trunkEnd = commonDominators(lg, [boxRoot, classRoot]).find((t) => inBox.has(t) && inCls.has(t)) ?? null;
  const trunk = trunkEnd ? ancestors(lg, trunkEnd) : new Set<string>();
  const below = new Set([...descendants(lg, boxRoot), ...descendants(lg, classRoot)]);
  const labels = new Map<string, HeadLabel>();
  for (const t of lg.order.keys()) {
    const b = inBox.has(t), c = inCls.has(t);
    if (b && c) labels.set(t, trunk.has(t) ? 'backbone' : 'neck');
    else if (b) labels.set(t, 'box');
    else if (c) labels.set(t, 'class');
    else if (below.has(t)) labels.set(t, 'shared');
  }
  return { labels, trunkEnd };
}

/**
 * Find a detector head structurally: a graph output produced (through layout ops) by a Concat
 * whose inputs are a 4-channel box tensor and a class-score tensor, each with a branch of its own
 * (tensors upstream of one input only). No tensor names are used. Null when no output fits.
 */
export function discoverHead(lg: LogicalGraph): DetectorHead | null {
  for (const out of lg.outputs) {
    const m = mergeOf(lg, out);
    if (!m) continue;
    const roots = pickRoots(lg, m);
    if (!roots) continue;
    const { labels, trunkEnd } = labelTensors(lg, roots.box, roots.cls);
    const count = (l: HeadLabel) => [...labels.values()].filter((x) => x === l).length;
    if (count('box') === 0 || count('class') === 0) continue; // not two branches: one input derives from the other
    return { source: 'auto', boxRoot: roots.box, classRoot: roots.cls, merge: throughLayout(lg, m.output).tensor, trunkEnd, layout: layoutOf(lg, m, roots.box, roots.cls), labels };
  }
  return null;
}

/** Head from a manual `--head` spec; the model path names the model in errors. */
export function headFromSpec(lg: LogicalGraph, spec: HeadSpec, modelPath: string): DetectorHead | null {
  if (spec.kind === 'auto') return discoverHead(lg);
  if (spec.kind === 'slices') {
    const output = spec.output ?? lg.outputs[0]!;
    if (!lg.outputs.includes(output)) throw new UserError(`--head output=${output}: not a graph output (outputs: ${lg.outputs.join(', ')})`, modelPath);
    const layout: DetectorLayout = { boxOutput: output, scoreOutput: output, layout: spec.layout, boxes: spec.boxes, scores: spec.scores, boxFormat: spec.boxFormat };
    // Branch labels still come from the graph when its structure allows; decoding follows the spec.
    const auto = discoverHead(lg);
    return auto && auto.layout?.boxOutput === output
      ? { ...auto, source: 'manual', layout }
      : { source: 'manual', boxRoot: null, classRoot: null, merge: null, trunkEnd: null, layout, labels: new Map() };
  }
  for (const t of [spec.boxes, spec.scores]) {
    if (!lg.order.has(t)) throw new UserError(`--head: no tensor named "${t}" in the model`, modelPath);
  }
  const { labels, trunkEnd } = labelTensors(lg, spec.boxes, spec.scores);
  let layout: DetectorLayout | null = null;
  let merge: string | null = null;
  const join = lg.consumers.get(spec.boxes)?.find((n) => n.opType === 'Concat' && n.inputs.includes(spec.scores));
  const out = join ? lg.outputs.find((o) => throughLayout(lg, o).tensor === join.outputs[0]) : undefined;
  if (out) {
    const m = mergeOf(lg, out)!;
    merge = out;
    layout = layoutOf(lg, m, spec.boxes, spec.scores);
    if (layout && spec.layout) layout.layout = spec.layout;
    if (layout) layout.boxFormat = spec.boxFormat;
  } else if (lg.outputs.includes(spec.boxes) && lg.outputs.includes(spec.scores)) {
    // Separate outputs, e.g. boxes [1,A,4] and scores [1,A,C]: the 4-wide axis tells the layout.
    const bs = lg.shapes.get(spec.boxes);
    const layoutKind = spec.layout ?? (bs && bs[1] === 4 ? 'CxA' : 'AxC');
    layout = { boxOutput: spec.boxes, scoreOutput: spec.scores, layout: layoutKind, boxes: { start: 0, end: 4 }, scores: { start: 0 }, boxFormat: spec.boxFormat };
  }
  return { source: 'manual', boxRoot: spec.boxes, classRoot: spec.scores, merge, trunkEnd, layout, labels };
}

export function labelCounts(labels: ReadonlyMap<string, HeadLabel>): Record<HeadLabel, number> {
  const out = Object.fromEntries(HEAD_LABELS.map((l) => [l, 0])) as Record<HeadLabel, number>;
  for (const l of labels.values()) out[l]++;
  return out;
}
