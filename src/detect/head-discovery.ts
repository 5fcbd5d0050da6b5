import { UserError, at, mustGet } from '../errors.js';
import { numel } from '../tensor/tensor.js';
import { initializerValues } from '../graph/initializers.js';
import { ancestors, commonDominators, descendants, type LogicalGraph } from './logical-graph.js';
import { PRESETS, layoutFrom, resolveRange, type ChannelRange, type DetectorLayout, type HeadFields, type HeadSpec } from './head-spec.js';

/**
 * Where a tensor sits in a detector (docs/detection.md, "Regions"):
 *   backbone   – upstream of every branch, up to the trunk end (the last tensor every path to the
 *                head passes through: the first multi-scale split);
 *   neck       – upstream of every branch, after the trunk end (feature pyramid);
 *   box / class / objectness – upstream of that branch's roots only (a tensor feeding two of the
 *                three branches takes the first of box, class, objectness: YOLOX's regression stem is "box");
 *   shared     – downstream of the branch roots (the output Concat and after).
 */
export type HeadLabel = 'backbone' | 'neck' | 'box' | 'class' | 'objectness' | 'shared';
export const HEAD_LABELS: readonly HeadLabel[] = ['backbone', 'neck', 'box', 'class', 'objectness', 'shared'];
export type BranchKind = 'box' | 'class' | 'objectness';
const BRANCHES: readonly BranchKind[] = ['box', 'class', 'objectness'];

export interface DetectorHead {
  source: 'auto' | 'manual';
  family: string;
  /** The tensors each branch ends in (per scale level), as the outputs read them. */
  roots: Record<BranchKind, string[]>;
  /** First box and class root (what the report names). */
  boxRoot: string | null;
  classRoot: string | null;
  /** Output of the node that joins the branches (YOLOv8: the final Concat, output0); null for separate outputs. */
  merge: string | null;
  /** Last tensor shared by every path to the head (end of the backbone). */
  trunkEnd: string | null;
  /** How to decode detections from the outputs; null when the head cannot be decoded (see `why`). */
  layout: DetectorLayout | null;
  /** Why the head cannot be decoded (branch analysis still runs). */
  why?: string;
  labels: Map<string, HeadLabel>;
}

/** Ops that move data without changing values: walked through when tracing back from an output. */
const LAYOUT_OPS = new Set(['Reshape', 'Transpose', 'Identity', 'Flatten', 'Squeeze', 'Unsqueeze', 'Cast']);
const SCORE_ACTIVATIONS = new Set(['Sigmoid', 'Softmax']);

/** Walk back from `t` through value-preserving single-input layout ops. */
function throughLayout(lg: LogicalGraph, t: string): string {
  let cur = t;
  for (;;) {
    const p = lg.producer.get(cur);
    if (!p || !LAYOUT_OPS.has(p.opType) || p.inputs.length !== 1) return cur;
    cur = at(p.inputs, 0);
  }
}

const producerOp = (lg: LogicalGraph, t: string) => lg.producer.get(throughLayout(lg, t))?.opType ?? '';

function intAttr(lg: LogicalGraph, t: string, name: string, dflt: number): number {
  const a = lg.producer.get(t)?.node.attribute.find((x) => x.name === name);
  return a ? Number(a.i) : dflt;
}

/**
 * Axis of `from` that carries axis `axis` of `to` (`width` channels wide) through a layout op, or
 * null when the shapes do not tell. An undeclared output shape (Reshape with a computed shape)
 * keeps a last axis last, else the same axis when its width matches (flatten(2)-style merges).
 */
function mapAxis(lg: LogicalGraph, to: string, axis: number, from: string, width: number, last: boolean): number | null {
  const p = mustGet(lg.producer, to);
  const so = lg.shapes.get(to), si = lg.shapes.get(from);
  if (p.opType === 'Identity' || p.opType === 'Cast') return axis;
  if (p.opType === 'Transpose') {
    const perm = p.node.attribute.find((a) => a.name === 'perm')?.ints.map(Number);
    if (perm) return perm[axis] ?? null;
    return so ? so.length - 1 - axis : null;
  }
  if (!si || si.some((d) => d < 0)) return null;
  if (!so || so.some((d) => d < 0)) {
    if (last && si[si.length - 1] === width) return si.length - 1;
    return si[axis] === width ? axis : null;
  }
  const before = numel(so.slice(0, axis));
  for (let j = 0; j < si.length; j++) if (numel(si.slice(0, j)) === before && si[j] === so[axis]) return j;
  return null;
}

interface Leaf { tensor: string; lo: number; hi: number }

/** Integer values of a Constant node's output (torch exports pass Unsqueeze axes that way). */
function constInts(lg: LogicalGraph, name: string): number[] | undefined {
  const k = lg.index.producer.get(name);
  const n = k === undefined ? undefined : lg.index.nodes[k];
  const t = n?.opType === 'Constant' ? n.attribute.find((a) => a.name === 'value')?.t : undefined;
  return t ? Array.from(initializerValues(t), Number) : undefined;
}

/**
 * Width of `t` on channel axis `ax`: declared, or 1 when `t` is an Unsqueeze that inserts that axis
 * (a per-anchor scalar such as YOLOv10's score and class id).
 */
function widthOf(lg: LogicalGraph, t: string, ax: number, last: boolean): number | undefined {
  const d = lg.shapes.get(t)?.[ax];
  if (d !== undefined && d > 0) return d;
  const p = lg.producer.get(t);
  if (p?.opType !== 'Unsqueeze') return undefined;
  const attr = p.node.attribute.find((a) => a.name === 'axes')?.ints.map(Number);
  const axes = attr && attr.length > 0 ? attr : constInts(lg, p.node.input[1] ?? '');
  return axes?.some((a) => a === ax || (a === -1 && last)) ? 1 : undefined;
}

/**
 * Which tensors wrote which output channels: walk back from `output` along its channel axis
 * through layout ops and Concats (split by the inputs' channel counts on the channel axis, the same
 * window for every input on another axis) until a computing op. `box` helps where a channel Concat
 * has undeclared widths: of two inputs, the one made by a score activation is not the box.
 */
function traceChannels(lg: LogicalGraph, output: string, axis: number, width: number, box: [number, number]): Leaf[] {
  const leaves: Leaf[] = [];
  const visit = (t: string, ax: number, lo: number, hi: number, depth: number, last: boolean): void => {
    const p = lg.producer.get(t);
    if (!p || depth > 64) { leaves.push({ tensor: t, lo, hi }); return; }
    if (LAYOUT_OPS.has(p.opType) && p.inputs.length === 1) {
      const j = mapAxis(lg, t, ax, at(p.inputs, 0), hi - lo, last);
      if (j === null) { leaves.push({ tensor: t, lo, hi }); return; }
      const si = lg.shapes.get(at(p.inputs, 0));
      visit(at(p.inputs, 0), j, lo, hi, depth + 1, si ? j === si.length - 1 : last && p.opType !== 'Transpose');
      return;
    }
    if (p.opType === 'Concat' && p.inputs.length >= 2) {
      const rank = lg.shapes.get(t)?.length ?? lg.shapes.get(at(p.inputs, 0))?.length;
      let cAxis = intAttr(lg, t, 'axis', 1);
      if (cAxis < 0 && rank !== undefined) cAxis += rank;
      if (cAxis !== ax) { for (const i of p.inputs) visit(i, ax, lo, hi, depth + 1, last); return; }
      const w = p.inputs.map((i) => widthOf(lg, i, ax, last));
      const unknown = w.filter((x) => x === undefined).length;
      if (unknown === 1 && hi - lo < Number.MAX_SAFE_INTEGER / 2) w[w.indexOf(undefined)] = hi - lo - w.reduce<number>((n, x) => n + (x ?? 0), 0);
      const widths = w.flatMap((x) => (x !== undefined && x > 0 ? [x] : []));
      if (widths.length === w.length) {
        let off = lo;
        p.inputs.forEach((i, k) => { const width = at(widths, k); visit(i, ax, off, off + width, depth + 1, last); off += width; });
        return;
      }
      // Undeclared widths: inputs made by a score activation are the scores, the others (at the box end) the box.
      const score = p.inputs.map((i) => SCORE_ACTIVATIONS.has(producerOp(lg, i)));
      const nBox = score.filter((x) => !x).length;
      const boxFirst = box[0] === lo, boxLast = box[1] === hi;
      const contiguous = boxFirst ? score.slice(0, nBox).every((x) => !x) : score.slice(score.length - nBox).every((x) => !x);
      if (nBox > 0 && nBox < score.length && contiguous && (boxFirst || boxLast)) {
        const [b0, b1] = boxFirst ? [box[0], box[0] + 4] : [box[1] - 4, box[1]];
        p.inputs.forEach((i, k) => {
          if (score[k]) visit(i, ax, boxFirst ? b1 : lo, boxFirst ? hi : b0, depth + 1, last);
          else visit(i, ax, b0, b1, depth + 1, last);
        });
        return;
      }
    }
    leaves.push({ tensor: t, lo, hi });
  };
  const rank = lg.shapes.get(output)?.length;
  visit(output, axis, 0, width, 0, rank !== undefined && axis === rank - 1);
  return leaves;
}

/** Output channel ranges of each branch in a layout, as [start, end) (open ends reach `channels`). */
function branchRanges(l: DetectorLayout, channels: number): Partial<Record<BranchKind, [number, number]>> {
  const r = (x: ChannelRange) => resolveRange(x, channels);
  const out: Partial<Record<BranchKind, [number, number]>> = {};
  if (l.boxOutput === l.scoreOutput) out.box = r(l.boxes);
  out.class = r(l.scores);
  if (l.classChannel !== undefined) { const [c] = r({ start: l.classChannel, end: l.classChannel === -1 ? undefined : l.classChannel + 1 }); out.class = [Math.min(out.class[0], c), Math.max(out.class[1], c + 1)]; }
  if (l.objectness !== undefined) { const [o] = r({ start: l.objectness, end: l.objectness === -1 ? undefined : l.objectness + 1 }); out.objectness = [o, o + 1]; }
  return out;
}

function channelAxis(lg: LogicalGraph, out: string, l: DetectorLayout): { axis: number; width: number } {
  const s = lg.shapes.get(out);
  const rank = s?.length ?? 3;
  const axis = l.layout === 'CxA' ? (rank >= 3 ? 1 : 0) : rank - 1;
  const w = s?.[axis];
  return { axis, width: w !== undefined && w > 0 ? w : Number.MAX_SAFE_INTEGER };
}

/** The roots of each branch: the tensors that wrote its channels of the output(s). */
function branchRoots(lg: LogicalGraph, l: DetectorLayout): Record<BranchKind, string[]> {
  const roots: Record<BranchKind, string[]> = { box: [], class: [], objectness: [] };
  const add = (k: BranchKind, t: string) => { if (!roots[k].includes(t)) roots[k].push(t); };
  const outputs = l.boxOutput === l.scoreOutput ? [l.scoreOutput] : [l.boxOutput, l.scoreOutput];
  for (const out of outputs) {
    const { axis, width } = channelAxis(lg, out, l);
    const ranges = branchRanges(l, width);
    if (out === l.boxOutput && l.boxOutput !== l.scoreOutput) {
      for (const leaf of traceChannels(lg, out, axis, width, [0, 4])) add('box', leaf.tensor);
      continue;
    }
    for (const leaf of traceChannels(lg, out, axis, width, ranges.box ?? [0, 4])) {
      for (const k of BRANCHES) {
        const r = ranges[k];
        if (r && leaf.lo < r[1] && r[0] < leaf.hi) add(k, leaf.tensor);
      }
    }
  }
  return roots;
}

/** Label every activation given the roots of each branch (see HeadLabel). */
function labelTensors(lg: LogicalGraph, roots: Record<BranchKind, readonly string[]>): { labels: Map<string, HeadLabel>; trunkEnd: string | null } {
  const present = BRANCHES.filter((k) => roots[k].length > 0);
  const up = new Map(present.map((k) => {
    const s = new Set<string>();
    for (const r of roots[k]) for (const t of ancestors(lg, r)) s.add(t);
    return [k, s] as const;
  }));
  const all = present.flatMap((k) => roots[k]);
  const inAll = (t: string) => present.every((k) => mustGet(up, k).has(t));
  const trunkEnd = all.length ? commonDominators(lg, all).find(inAll) ?? null : null;
  const trunk = trunkEnd ? ancestors(lg, trunkEnd) : new Set<string>();
  const below = new Set(all.flatMap((r) => [...descendants(lg, r)]));
  const labels = new Map<string, HeadLabel>();
  for (const t of lg.order.keys()) {
    const member = present.filter((k) => mustGet(up, k).has(t));
    if (member.length > 0 && member.length === present.length && present.length > 1) labels.set(t, trunk.has(t) ? 'backbone' : 'neck');
    else if (member.length > 0) labels.set(t, at(member, 0));
    else if (below.has(t)) labels.set(t, 'shared');
  }
  // A root that is also downstream of another root (one branch derived from another) stays in its branch.
  return { labels, trunkEnd };
}

/** The full head for a layout: roots traced from the outputs, regions labelled. */
function headFor(lg: LogicalGraph, layout: DetectorLayout, source: DetectorHead['source'], decodable: boolean, why?: string): DetectorHead {
  const roots = branchRoots(lg, layout);
  const { labels, trunkEnd } = labelTensors(lg, roots);
  const merge = layout.boxOutput === layout.scoreOutput ? throughLayout(lg, layout.scoreOutput) : null;
  return {
    source, family: layout.family, roots, boxRoot: roots.box[0] ?? null, classRoot: roots.class[0] ?? null,
    merge: merge && lg.producer.get(merge)?.opType === 'Concat' ? merge : null,
    trunkEnd, layout: decodable ? layout : null, ...(why ? { why } : {}), labels,
  };
}

const count = (labels: ReadonlyMap<string, HeadLabel>, l: HeadLabel) => [...labels.values()].filter((x) => x === l).length;

/** Does the box slice come straight from a convolution (raw grid offsets) rather than decode arithmetic? */
function rawBoxes(lg: LogicalGraph, l: DetectorLayout): boolean {
  const roots = branchRoots(lg, l).box;
  return roots.length > 0 && roots.every((r) => ['Conv', 'ConvTranspose'].includes(producerOp(lg, r)));
}

/** Score channels already made probabilities in the graph (every class root from Sigmoid/Softmax)? */
function scoresActivated(lg: LogicalGraph, l: DetectorLayout): boolean {
  const roots = branchRoots(lg, l).class;
  return roots.length > 0 && roots.every((r) => SCORE_ACTIVATIONS.has(producerOp(lg, r)));
}

/** `l` (an RT-DETR-style single-output layout) when its box channels come straight from a Sigmoid of their own, else null. */
function queryLayout(lg: LogicalGraph, l: DetectorLayout): DetectorLayout | null {
  const roots = branchRoots(lg, l);
  const sigmoidBoxes = roots.box.length > 0 && roots.box.every((r) => producerOp(lg, r) === 'Sigmoid' && !roots.class.includes(r));
  return sigmoidBoxes ? { ...l, activation: scoresActivated(lg, l) ? 'none' : 'sigmoid' } : null;
}

/** Candidate layouts for one output, from its declared shape (docs/detection.md, "Families"). */
function singleOutputCandidates(lg: LogicalGraph, out: string): { layout: DetectorLayout; why?: string }[] {
  const s = lg.shapes.get(out);
  if (!s || s[0] !== 1 && s[0] !== -1) return [];
  const [, x, y] = s;
  if (x === undefined) return [];
  if (s.length === 4 && x > 5) return [{ layout: layoutFrom(PRESETS.fastestdet, 'fastestdet', out, out) }];
  if (s.length !== 3 || y === undefined) return [];
  if ((y === 6 || y === 7) && x > 6) return [{ layout: layoutFrom(PRESETS.yolov10, 'yolov10', out, out) }];
  if (x > 0 && y > 0 && x < y) {
    const l = layoutFrom({ ...PRESETS.yolov8, scores: { start: 4, end: x } }, 'yolov8', out, out);
    return [{ layout: l }];
  }
  if (y! > 5 && x! > y!) {
    // Query heads in one output (RT-DETR as Ultralytics exports it, [1, 300, 4+C]): box channels
    // straight from a Sigmoid (normalised cx,cy,w,h), written by other tensors than the scores.
    const query = queryLayout(lg, layoutFrom({ ...PRESETS.rtdetr, boxes: { start: 0, end: 4 }, scores: { start: 4, end: y } }, 'rtdetr', out, out));
    if (query) return [{ layout: query }];
    const v5 = layoutFrom({ ...PRESETS.yolov5, scores: { start: 5, end: y } }, 'yolov5', out, out);
    return [rawBoxes(lg, v5) ? { layout: layoutFrom({ ...PRESETS.yolox, scores: { start: 5, end: y } }, 'yolox', out, out) } : { layout: v5 }];
  }
  return [];
}

/**
 * Box and score outputs of a two-output head: [1, A, 4] and [1, A, K] with the same A, best pair
 * first. Where both could be boxes (K = 4), the pair whose box output comes from a Sigmoid or
 * decode arithmetic and whose scores come from a score activation wins.
 */
function outputPairs(lg: LogicalGraph): { b: string; sc: string }[] {
  const shape = (o: string) => lg.shapes.get(o);
  const pairs: { b: string; sc: string; rank: number }[] = [];
  for (const b of lg.outputs.filter((o) => shape(o)?.length === 3 && shape(o)![2] === 4)) {
    for (const sc of lg.outputs.filter((o) => o !== b && shape(o)?.length === 3 && shape(o)![1] === shape(b)![1] && at(shape(o)!, 2) >= 1)) {
      const bo = producerOp(lg, b), so = producerOp(lg, sc);
      pairs.push({ b, sc, rank: (bo === 'Sigmoid' ? 2 : 0) + (SCORE_ACTIVATIONS.has(so) ? 1 : 0) - (SCORE_ACTIVATIONS.has(bo) && bo !== 'Sigmoid' ? 4 : 0) });
    }
  }
  return pairs.sort((x, y) => y.rank - x.rank);
}

/** The family of a box/score output pair, from the ops that write them (null: not a head). */
function pairFamily(lg: LogicalGraph, b: string, sc: string): string | null {
  const boxOp = producerOp(lg, b), scoreOp = producerOp(lg, sc);
  // Normalised cx,cy,w,h from a sigmoid: DETR-style queries. Raw logits read as DETR (softmax, last
  // column "no object"): structurally the same as RT-DETR's sigmoid logits, which need --head rtdetr.
  if (boxOp === 'Sigmoid') return scoreOp === 'Sigmoid' ? 'rtdetr' : 'detr';
  if (scoreOp === 'Softmax') return (lg.shapes.get(sc)?.[2] ?? 0) >= 2 ? 'ssd' : null;
  return 'retinanet';
}

/**
 * The layout of a two-output head: the family's preset, then `fields` (a --head spec: the preset's
 * values and the user's keys; `given` names the user's), then what the graph says: a score output
 * made by Sigmoid/Softmax is already probabilities (activation none, unless activation= is given),
 * and a box output of raw convolution deltas is decoded against priors (format=priors, unless
 * format= is given) — without a priors file that head is not decodable, and `why` says so.
 */
function twoOutputLayout(lg: LogicalGraph, b: string, sc: string, family: string, fields: HeadFields, given: ReadonlySet<string>): { layout: DetectorLayout; why?: string } {
  const f: HeadFields = { ...PRESETS[family], ...fields };
  if (!given.has('activation') && SCORE_ACTIVATIONS.has(producerOp(lg, sc))) f.activation = 'none';
  const raw = f.boxFormat !== 'priors' && !given.has('format') && rawBoxes(lg, layoutFrom({ ...f, boxFormat: 'xyxy' }, family, b, sc));
  if (!raw) return { layout: layoutFrom(f, family, b, sc) };
  const layout: DetectorLayout = { ...layoutFrom({ ...f, boxFormat: 'xyxy' }, family, b, sc), boxFormat: 'priors' };
  if (f.priors) return { layout };
  const v = f.variances ?? [0.1, 0.2];
  return { layout, why: `the box output ${b} is raw deltas from convolutions (no decode in the graph): pass --head ${family},priors=<priors.npy> ([A,4] cx,cy,w,h normalised; variances=${v.join('/')} unless variances= says otherwise) to decode it` };
}

function twoOutputCandidate(lg: LogicalGraph): { layout: DetectorLayout; why?: string } | null {
  for (const { b, sc } of outputPairs(lg)) {
    const family = pairFamily(lg, b, sc);
    if (family) return twoOutputLayout(lg, b, sc, family, {}, new Set());
  }
  return null;
}

/**
 * Find a detector head structurally, from declared output shapes and the ops that write them;
 * no tensor names are used (docs/detection.md, "Head discovery"). Null when no output fits.
 */
export function discoverHead(lg: LogicalGraph): DetectorHead | null {
  for (const out of lg.outputs) {
    for (const c of singleOutputCandidates(lg, out)) {
      const h = headFor(lg, c.layout, 'auto', !c.why, c.why);
      // Two branches: box and class channels written by different tensors (not one conv's output sliced later).
      if (h.roots.box.length > 0 && h.roots.class.length > 0 && !h.roots.box.every((r) => h.roots.class.includes(r)) && count(h.labels, 'box') > 0) return h;
    }
  }
  const two = twoOutputCandidate(lg);
  if (two) {
    const h = headFor(lg, two.layout, 'auto', !two.why, two.why);
    if (h.roots.box.length > 0 && h.roots.class.length > 0) return h;
  }
  return null;
}

/** Head from a `--head` spec (preset and/or keys); the model path names the model in errors. */
export function headFromSpec(lg: LogicalGraph, spec: HeadSpec, modelPath: string): DetectorHead | null {
  if (spec.kind === 'off') return null;
  if (spec.kind === 'auto') return discoverHead(lg);
  const f = spec.fields, family = spec.preset ?? 'custom';
  if (typeof f.boxes === 'string' && typeof f.scores === 'string') {
    for (const t of [f.boxes, f.scores]) {
      if (!lg.order.has(t)) throw new UserError(`--head: no tensor named "${t}" in the model`, modelPath);
    }
    if (lg.outputs.includes(f.boxes) && lg.outputs.includes(f.scores)) {
      const two = twoOutputLayout(lg, f.boxes, f.scores, family, { layout: 'AxC', ...f, boxes: { start: 0, end: 4 }, scores: { start: 0 } }, new Set(spec.given));
      if (two.why) throw new UserError(`--head: ${two.why}`, modelPath);
      return headFor(lg, two.layout, 'manual', true);
    }
    // Branch roots inside the graph: regions from them; decoding from the output that joins them, if any.
    const roots = { box: [f.boxes], class: [f.scores], objectness: [] };
    const { labels, trunkEnd } = labelTensors(lg, roots);
    const auto = discoverHead(lg);
    const joins = auto?.layout && auto.roots.box.includes(f.boxes) && auto.roots.class.includes(f.scores);
    const layout = joins ? { ...auto.layout!, ...(f.layout ? { layout: f.layout } : {}), ...(f.boxFormat ? { boxFormat: f.boxFormat } : {}) } : null;
    return { source: 'manual', family, roots, boxRoot: f.boxes, classRoot: f.scores, merge: joins ? auto!.merge : null, trunkEnd, layout, ...(layout ? {} : { why: `${f.boxes} and ${f.scores} are not graph outputs and no output joins them` }), labels };
  }
  const given = new Set(spec.given);
  let fields = f;
  if (f.boxes === undefined && f.scores === undefined) {
    const pair = outputPairs(lg)[0];
    if (pair) {
      const two = twoOutputLayout(lg, pair.b, pair.sc, spec.preset ?? pairFamily(lg, pair.b, pair.sc) ?? 'custom', f, given);
      if (two.why) throw new UserError(`--head ${family}: ${two.why}`, modelPath);
      return headFor(lg, two.layout, 'manual', true);
    }
    // A two-output family written into one output [1, A, 4+K] (RT-DETR as Ultralytics exports it): boxes first.
    const one = lg.outputs.find((o) => (f.output === undefined || o === f.output) && lg.shapes.get(o)?.length === 3 && lg.shapes.get(o)![2]! > 4);
    if (!one) throw new UserError(`--head ${family}: no pair of outputs [1,A,4] boxes and [1,A,K] scores, nor one output [1,A,4+K] (outputs: ${lg.outputs.join(', ')}); name them with boxes=<output>,scores=<output>`, modelPath);
    fields = { ...f, output: one, boxes: { start: 0, end: 4 }, scores: { start: 4 } };
  }
  const output = fields.output ?? at(lg.outputs, 0);
  if (!lg.outputs.includes(output)) throw new UserError(`--head output=${output}: not a graph output (outputs: ${lg.outputs.join(', ')})`, modelPath);
  let layout = layoutFrom(fields, family, output, output);
  // The preset's score function is applied only where the graph has not applied it already.
  if (!given.has('activation') && layout.activation !== 'none' && scoresActivated(lg, layout)) layout = { ...layout, activation: 'none' };
  return headFor(lg, layout, 'manual', true);
}

export function labelCounts(labels: ReadonlyMap<string, HeadLabel>): Record<HeadLabel, number> {
  const out = Object.fromEntries(HEAD_LABELS.map((l) => [l, 0])) as Record<HeadLabel, number>;
  for (const l of labels.values()) out[l]++;
  return out;
}
