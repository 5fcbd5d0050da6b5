import { UserError, at } from '../errors.js';
import { accumulateArrays, accumulateTensors, finalize, newAccumulator, type MetricAccumulator } from '../compare/metrics.js';
import type { Tensor } from '../tensor/tensor.js';
import { numel, toFloat32 } from '../tensor/tensor.js';

/**
 * What "accurate enough" means for bisect and what sensitivity ranks by: a metric of one final
 * output against the FP32 model, pooled over every image (sums of squares, so the pooled SQNR is
 * Σref² / Σerr² over all images, not a mean of per-image dB).
 *
 *   sqnr      SQNR (dB) of the whole output
 *   cosine    cosine similarity of the whole output
 *   class_sqnr  SQNR over a channel slice of axis 1 (YOLO class scores: rows 4..end of [1,84,8400]),
 *             which the box rows (0-640 px) would otherwise drown
 *   map50_drop  mAP50(FP32) − mAP50(INT8) on labelled images (needs src/detect)
 */
export type MetricName = 'sqnr' | 'cosine' | 'class_sqnr' | 'map50_drop';

export interface MetricSpec {
  metric: MetricName;
  /** Output name; default the model's first output. */
  output?: string;
}

export interface Target extends MetricSpec {
  op: '>=' | '>' | '<=' | '<';
  value: number;
  text: string;
}

const HIGHER_IS_BETTER: Record<MetricName, boolean> = { sqnr: true, cosine: true, class_sqnr: true, map50_drop: false };

export function parseMetric(text: string): MetricSpec {
  const m = /^\s*(sqnr|cosine|class_sqnr|map50_drop)\s*(?:@\s*(\S+))?\s*$/.exec(text);
  if (!m) throw new UserError(`--metric "${text}": expected sqnr, cosine, class_sqnr or map50_drop, optionally @output`);
  return { metric: m[1] as MetricName, ...(m[2] ? { output: m[2] } : {}) };
}

/** "class_sqnr>=25", "sqnr>=30@output0", "cosine>=0.999@output0", "map50_drop<=0.01". */
export function parseTarget(text: string): Target {
  const m = /^\s*(\w+)\s*(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(?:@\s*(\S+))?\s*$/i.exec(text);
  if (!m) throw new UserError(`--target "${text}": expected METRIC>=VALUE[@output], e.g. "class_sqnr>=25", "sqnr>=30@output0", "cosine>=0.999@output0", "map50_drop<=0.01"`);
  if (!(at(m, 1) in HIGHER_IS_BETTER)) throw new UserError(`--target "${text}": unknown metric ${m[1]}; use sqnr, cosine, class_sqnr or map50_drop`);
  const spec = parseMetric(at(m, 1) + (m[4] ? `@${m[4]}` : ''));
  const op = m[2] as Target['op'];
  const better = HIGHER_IS_BETTER[spec.metric];
  if (better !== op.startsWith('>')) {
    throw new UserError(`--target "${text}": ${spec.metric} is ${better ? 'higher' : 'lower'}-is-better, so the target must use ${better ? '>= or >' : '<= or <'}`);
  }
  return { ...spec, op, value: Number(m[3]), text: text.trim() };
}

export function meets(t: Target, v: number): boolean {
  if (Number.isNaN(v)) return false;
  switch (t.op) {
    case '>=': return v >= t.value;
    case '>': return v > t.value;
    case '<=': return v <= t.value;
    case '<': return v < t.value;
  }
}

/** Larger is better for every metric after this: used to rank. */
export function goodness(spec: MetricSpec, v: number): number {
  return HIGHER_IS_BETTER[spec.metric] ? v : -v;
}

/** Streaming meter for one output metric over many images. */
export class OutputMeter {
  private readonly acc: MetricAccumulator = newAccumulator();
  constructor(readonly spec: MetricSpec, private readonly channels: [number, number | undefined] = [4, undefined]) {
    // mAP is not a sum over elements: reference-set.ts measures it with Map50Meter (src/detect).
    if (spec.metric === 'map50_drop') throw new UserError('map50_drop is measured on decoded detections, not element by element');
  }

  add(ref: Tensor, test: Tensor): void {
    if (ref.data.length !== test.data.length) throw new UserError(`output ${ref.name}: ${ref.data.length} elements in FP32 but ${test.data.length} in the variant`);
    if (this.spec.metric !== 'class_sqnr') { accumulateTensors(this.acc, ref, test); return; }
    const [a, bOpt] = this.channels;
    const c = ref.shape[1] ?? 0;
    const b = bOpt ?? c;
    if (ref.shape.length < 2 || b > c || a >= c) {
      throw new UserError(`class_sqnr: output ${ref.name} has shape [${ref.shape.join(',')}]; channel slice ${a}:${b} of axis 1 does not fit (see --score-channels)`);
    }
    const inner = numel(ref.shape.slice(2));
    const r = toFloat32(ref), t = toFloat32(test);
    for (let n = 0; n < at(ref.shape, 0); n++) {
      const s = (n * c + a) * inner, e = (n * c + b) * inner;
      accumulateArrays(this.acc, r.subarray(s, e), t.subarray(s, e));
    }
  }

  value(): number {
    const m = finalize(this.acc);
    return this.spec.metric === 'cosine' ? m.cosine : m.sqnrDb;
  }
}

export function metricLabel(spec: MetricSpec, output: string): string {
  return `${spec.metric}@${output}`;
}
