import type { OnnxModel } from '../graph/onnx-model.js';
import { UserError } from '../errors.js';
import type { InputOptions } from '../inputs/input-source.js';
import { keepOnlyPolicy, rewriteQdq } from './float-fallback.js';
import { rewritableQdqStructure, type QuantOp } from './qdq-ops.js';
import { ReferenceSet, evaluateVariant, type Evaluation } from './reference-set.js';
import { goodness, metricLabel, type MetricSpec } from './targets.js';
import { graphOf } from '../graph/onnx-model.js';

/**
 * Layerwise sensitivity (PPQ's "layerwise error analysis"): every op in float except one, which
 * keeps all its Q/DQ (input pairs, output pairs, weights); the output error that one op causes
 * alone ranks it. Each variant is built once and its ORT session serves every image; the FP32
 * outputs and decoded images come from a ReferenceSet computed once.
 */
export interface SensitivityOptions {
  fp32: OnnxModel;
  int8: OnnxModel;
  inputs: readonly string[];
  inputOptions?: InputOptions;
  metric: MetricSpec;
  channels?: [number, number | undefined];
  /** 'weighted': ops with quantized weights (Conv, Gemm, MatMul...); 'all': every op touched by Q/DQ. */
  scope?: 'weighted' | 'all';
  /** Only ops whose name or op type matches. */
  filter?: RegExp;
  weights?: 'fp32' | 'dequantized';
  perImage?: boolean;
  /** YOLO label folder for map50_drop. */
  labels?: string;
  threads?: number;
  cacheBytes?: number;
  onProgress?: (done: number, total: number, op: string) => void;
}

export interface OpSensitivity {
  name: string;
  opType: string;
  /** The metric with only this op quantized. */
  value: number;
  /** Image on which this op alone hurts most (with --per-image). */
  worstImage?: { sample: string; value: number };
}

export interface ImageSensitivity {
  sample: string;
  /** The metric of the INT8 model as given on this image. */
  int8: number;
  /** The op whose quantization alone hurts this image most. */
  worstOp: string;
  worstOpValue: number;
}

export interface SensitivityResult {
  metric: string;
  images: number;
  weights: 'fp32' | 'dequantized';
  /** The INT8 model as given, and with no op quantized (the floor every op is measured on). */
  int8: number;
  float: number;
  /** Worst first. */
  ops: OpSensitivity[];
  perImage?: ImageSensitivity[];
  evaluations: number;
  ms: number;
}

function sensitivityOps(ops: readonly QuantOp[], scope: 'weighted' | 'all', filter?: RegExp): QuantOp[] {
  return ops.filter((op) => (scope === 'all' || op.weightInputs.length > 0) && (!filter || filter.test(op.name) || filter.test(op.opType)));
}

export async function layerwiseSensitivity(opt: SensitivityOptions): Promise<SensitivityResult> {
  const t0 = performance.now();
  const weights = opt.weights ?? 'fp32';
  const s = rewritableQdqStructure(graphOf(opt.int8.proto), opt.int8.path, 'sensitivity');
  const ops = sensitivityOps(s.ops, opt.scope ?? 'weighted', opt.filter);
  if (ops.length === 0) throw new UserError(`no quantized op to analyse${opt.filter ? ` matches ${opt.filter}` : opt.scope === 'all' ? '' : ' has quantized weights (try --all-ops)'}`, opt.int8.path);
  const refs = await ReferenceSet.open(opt.fp32, opt.inputs, { output: opt.metric.output, inputOptions: opt.inputOptions, cacheBytes: opt.cacheBytes, threads: opt.threads });
  const spec = { ...opt.metric, output: refs.output };
  const evalOpt = { channels: opt.channels, threads: opt.threads, perSample: !!opt.perImage, labels: opt.labels };
  const variant = (keep: readonly QuantOp[]) => rewriteQdq(opt.int8.proto, s, keepOnlyPolicy(new Set(keep.map((o) => o.index))), { weights, fp32: opt.fp32 });
  let evaluations = 0;
  const evaluate = async (proto = opt.int8.proto): Promise<Evaluation> => { evaluations++; return evaluateVariant(proto, opt.int8.path, refs, spec, evalOpt); };
  try {
    const int8 = await evaluate();
    const float = await evaluate(variant([]));
    const results: OpSensitivity[] = [];
    const perImageWorst = new Map<string, { op: string; value: number }>();
    for (const [i, op] of ops.entries()) {
      opt.onProgress?.(i, ops.length, op.name);
      const e = await evaluate(variant([op]));
      const r: OpSensitivity = { name: op.name, opType: op.opType, value: e.value };
      for (const p of e.perSample) {
        if (!r.worstImage || goodness(spec, p.value) < goodness(spec, r.worstImage.value)) r.worstImage = { sample: p.sample, value: p.value };
        const w = perImageWorst.get(p.sample);
        if (!w || goodness(spec, p.value) < goodness(spec, w.value)) perImageWorst.set(p.sample, { op: op.name, value: p.value });
      }
      results.push(r);
    }
    opt.onProgress?.(ops.length, ops.length, '');
    results.sort((a, b) => goodness(spec, a.value) - goodness(spec, b.value));
    const perImage = opt.perImage
      ? int8.perSample.map((p) => ({ sample: p.sample, int8: p.value, worstOp: perImageWorst.get(p.sample)?.op ?? '', worstOpValue: perImageWorst.get(p.sample)?.value ?? NaN }))
        .sort((a, b) => goodness(spec, a.int8) - goodness(spec, b.int8))
      : undefined;
    return {
      metric: metricLabel(spec, refs.output), images: refs.count, weights, int8: int8.value, float: float.value,
      ops: results, ...(perImage ? { perImage } : {}), evaluations, ms: performance.now() - t0,
    };
  } finally {
    await refs.close();
  }
}
