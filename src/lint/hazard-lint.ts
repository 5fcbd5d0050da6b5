import type { NodeProto } from 'onnx-buf';
import type { OnnxModel } from '../graph/onnx-model.js';
import { producerOf } from '../graph/graph-index.js';
import { OrtRunner } from '../runners/ort-runner.js';
import { samplesFrom, type ImageSize, type InputOptions } from '../inputs/input-source.js';
import { isFloatDType } from '../tensor/dtype.js';
import { numel, toFloat32 } from '../tensor/tensor.js';
import type { CalibrationCache } from '../quant/calibration-cache.js';
import { buildLogicalGraph, type LogicalGraph } from '../detect/logical-graph.js';
import { at, mustGet } from '../errors.js';
import { graphOf } from '../graph/onnx-model.js';

export type Severity = 'error' | 'warning' | 'info';
const SEVERITY_RANK: Record<Severity, number> = { error: 2, warning: 1, info: 0 };

export interface Finding {
  severity: Severity;
  rule: 'concat-range' | 'int8-output' | 'int8-input' | 'depthwise' | 'input-size' | 'no-ranges';
  /** Node or tensor the finding is about. */
  where: string;
  message: string;
}

export interface LintOptions {
  /** TensorRT calibration cache: tensor → scale (amax / 127). */
  cache?: CalibrationCache;
  /** max |x| per tensor observed by running the FP32 model (when neither Q/DQ nor a cache gives ranges). */
  observed?: Map<string, number>;
  /** Size the calibration/inference images are resized to. */
  imgsz?: ImageSize;
  /** Ranges of Concat inputs differing by more than this factor are a hazard (default 10). */
  rangeRatio?: number;
}

const fmt = (v: number) => (v >= 100 || v < 0.01 ? v.toExponential(2) : v.toFixed(3));

function intAttr(n: NodeProto, name: string, dflt: number): number {
  const a = n.attribute.find((x) => x.name === name);
  return a ? Number(a.i) : dflt;
}

/** Range (max |x|) a tensor is given: by its Q/DQ (scale × 127, the int8 half range), the cache, or observation. */
function rangeSource(lg: LogicalGraph, opt: LintOptions): { kind: 'qdq' | 'cache' | 'observed'; range: (t: string) => number | undefined } | null {
  const qdq = [...lg.tensors.values()].some((t) => t.kind === 'dequantized');
  if (qdq) {
    return {
      kind: 'qdq',
      range: (t) => {
        const lt = lg.tensors.get(t);
        return lt?.kind === 'dequantized' && lt.scale?.length === 1 ? at(lt.scale, 0) * 127 : undefined;
      },
    };
  }
  if (opt.cache) return { kind: 'cache', range: (t) => { const s = opt.cache!.scales.get(t); return s !== undefined && Number.isFinite(s) && s > 0 ? s * 127 : undefined; } };
  if (opt.observed) return { kind: 'observed', range: (t) => opt.observed!.get(t) };
  return null;
}

/**
 * Concat inputs whose ranges differ by more than `ratio` and that share one INT8 scale: in a Q/DQ
 * model when the Concat output itself is quantized (its scale is what every input is rounded to);
 * with a TensorRT cache or observed ranges always (TensorRT gives a Concat's inputs and output one
 * scale). The small-range input loses log2(ratio) bits; when its whole range is under one step of
 * the shared scale it is rounded to zero (YOLO: box pixels 0-640 and [0,1] scores in output0).
 */
function concatRanges(lg: LogicalGraph, opt: LintOptions, out: Finding[]): void {
  const ratio = opt.rangeRatio ?? 10;
  const src = rangeSource(lg, opt);
  if (!src) {
    out.push({ severity: 'info', rule: 'no-ranges', where: 'Concat', message: 'activation ranges unknown (no Q/DQ, no --cache, no --input): Concat range checks skipped' });
    return;
  }
  for (const n of lg.nodes) {
    if (n.opType !== 'Concat' || n.inputs.length < 2) continue;
    const output = at(n.outputs, 0);
    const ins = n.inputs.map((t) => ({ t, r: src.range(t) })).filter((x): x is { t: string; r: number } => x.r !== undefined && x.r > 0);
    if (ins.length < 2) continue;
    const outRange = src.range(output);
    // In a Q/DQ graph the inputs share a scale only if the Concat output is quantized.
    if (src.kind === 'qdq' && outRange === undefined) continue;
    const shared = outRange ?? Math.max(...ins.map((x) => x.r));
    const small = ins.reduce((a, b) => (b.r < a.r ? b : a));
    const big = ins.reduce((a, b) => (b.r > a.r ? b : a));
    if (shared / small.r <= ratio) continue;
    const step = shared / 127;
    const zeroed = small.r < step / 2;
    out.push({
      severity: zeroed || shared / small.r > 100 ? 'error' : 'warning',
      rule: 'concat-range',
      where: `${n.node.name || 'Concat'} → ${output}`,
      message: `inputs span ${fmt(small.r)} (${small.t}) to ${fmt(big.r)} (${big.t}), ${(shared / small.r).toFixed(0)}x apart, under one INT8 scale (step ${fmt(step)}, ${src.kind})` +
        (zeroed ? `: every value of ${small.t} rounds to 0` : `: ${small.t} keeps ~${Math.max(0, Math.floor(Math.log2((2 * small.r) / step)))} bits`),
    });
  }
}

function ioQuantization(lg: LogicalGraph, model: OnnxModel, opt: LintOptions, out: Finding[]): void {
  const g = lg.index;
  for (const name of g.outputs) {
    const p = producerOf(g, name);
    if (p?.opType === 'DequantizeLinear' || p?.opType === 'QuantizeLinear') {
      out.push({ severity: 'warning', rule: 'int8-output', where: name, message: 'network output passes through Q/DQ: the result is rounded to an INT8 grid (keep the last layer in float)' });
    } else if (opt.cache?.scales.has(name)) {
      out.push({ severity: 'warning', rule: 'int8-output', where: name, message: `calibration cache has a scale for the network output (${fmt(mustGet(opt.cache.scales, name))}): TensorRT may emit it in INT8; keep the output layer in float` });
    }
  }
  for (const name of g.inputs) {
    if ((g.consumers.get(name) ?? []).some((i) => at(g.nodes, i).opType === 'QuantizeLinear')) {
      out.push({ severity: 'info', rule: 'int8-input', where: name, message: 'network input is quantized directly: the first layer sees an INT8 image' });
    }
  }
  void model;
}

/**
 * Depthwise convolutions: one weight channel per group; per-tensor weight scales hurt them most.
 * Q/DQ (Conv reading a dequantized weight) and QOperator (QLinearConv) models say which scales they
 * have; a model with per-channel scales already gets no advice, an FP32 model gets it as info.
 */
function depthwise(lg: LogicalGraph, model: OnnxModel, out: Finding[]): void {
  const g = lg.index;
  const dims = new Map(graphOf(model.proto).initializer.map((t) => [t.name, t.dims.map(Number)]));
  const count = (name: string | undefined) => { const d = name ? dims.get(name) : undefined; return d ? numel(d) : undefined; };
  for (const n of g.nodes) {
    if (n.opType !== 'Conv' && n.opType !== 'QLinearConv') continue;
    const group = intAttr(n, 'group', 1);
    if (group <= 1) continue;
    let w = (n.opType === 'QLinearConv' ? n.input[3] : n.input[1]) ?? '';
    let wScale = n.opType === 'QLinearConv' ? count(n.input[4]) : undefined;
    const dq = producerOf(g, w);
    if (dq?.opType === 'DequantizeLinear') {
      w = dq.input[0] ?? w;
      wScale = count(dq.input[1]);
      const q = producerOf(g, w);
      if (q?.opType === 'QuantizeLinear') w = q.input[0] ?? w;
    }
    const shape = dims.get(w);
    if (!shape || shape[1] !== 1) continue;
    if (wScale !== undefined && wScale > 1) continue; // per-channel already: nothing to advise
    const where = n.name || at(n.output, 0);
    out.push(wScale === 1
      ? { severity: 'warning', rule: 'depthwise', where, message: `depthwise convolution (group ${group}, weight [${shape}]) with one per-tensor weight scale: use per-channel weight quantization` }
      : { severity: 'info', rule: 'depthwise', where, message: `depthwise convolution (group ${group}, weight [${shape}]): sensitive to INT8, quantize its weights per channel` });
  }
}

function inputSize(lg: LogicalGraph, opt: LintOptions, out: Finding[]): void {
  if (opt.imgsz === undefined) return;
  for (const name of lg.index.inputs) {
    const s = lg.shapes.get(name);
    if (!s || s.length !== 4) continue;
    const [h, w] = s[1] === 3 ? [at(s, 2), at(s, 3)] : [at(s, 1), at(s, 2)];
    if (h > 0 && w > 0 && (h !== opt.imgsz.height || w !== opt.imgsz.width)) {
      out.push({ severity: 'warning', rule: 'input-size', where: name, message: `model input is ${h}x${w} but images are resized to ${opt.imgsz.height}x${opt.imgsz.width}: calibration statistics and inference see different scales` });
    }
  }
}

export function lintModel(model: OnnxModel, opt: LintOptions = {}): Finding[] {
  const lg = buildLogicalGraph(graphOf(model.proto));
  const out: Finding[] = [];
  concatRanges(lg, opt, out);
  ioQuantization(lg, model, opt, out);
  depthwise(lg, model, out);
  inputSize(lg, opt, out);
  return out.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
}

/** max |x| of every Concat input and output, from one FP32 run on the given input. */
export async function observeConcatRanges(model: OnnxModel, inputs: readonly string[], inputOptions: InputOptions = {}): Promise<Map<string, number>> {
  const lg = buildLogicalGraph(graphOf(model.proto));
  const names = [...new Set(lg.nodes.filter((n) => n.opType === 'Concat').flatMap((n) => [...n.inputs, ...n.outputs]))];
  const runner = await OrtRunner.open(model, { mark: names });
  const ranges = new Map<string, number>();
  try {
    for await (const sample of samplesFrom(inputs, runner.describe().inputs, { ...inputOptions, maxSamples: 1 })) {
      for await (const t of runner.run(sample.feeds, { fetch: names })) {
        if (!isFloatDType(t.dtype)) continue;
        let m = 0;
        for (const v of toFloat32(t)) { const a = Math.abs(v); if (a > m) m = a; }
        ranges.set(t.name, m);
      }
    }
  } finally {
    await runner.close();
  }
  return ranges;
}
