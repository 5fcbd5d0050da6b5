import type { OnnxModel } from '../graph/onnx-model.js';
import { pairModels } from '../compare/pairing.js';
import type { InputOptions } from '../inputs/input-source.js';
import { fmtDb } from '../report/format.js';
import { minimalPassingSet, type SearchStep } from './bisect.js';
import { exportFlags, type ExportFlags } from './export-flags.js';
import { fallbackPolicy, rewriteQdq } from './float-fallback.js';
import { LocalErrorEngine, floatPairs, fp32RunnerProvider } from './local-error.js';
import { rankOpsByLocalError, type RankedOp } from './op-ranking.js';
import { rewritableQdqStructure, type QdqStructure, type QuantOp } from './qdq-ops.js';
import { ReferenceSet, evaluateVariant } from './reference-set.js';
import { meets, type Target } from './targets.js';
import type { ModelProto } from 'onnx-buf';
import { graphOf } from '../graph/onnx-model.js';

export interface FallbackSearchOptions {
  fp32: OnnxModel;
  int8: OnnxModel;
  inputs: readonly string[];
  inputOptions?: InputOptions;
  target: Target;
  /** class_sqnr (and map50_drop score) channel slice of axis 1. */
  channels?: [number, number | undefined];
  /** YOLO label folder for map50_drop. */
  labels?: string;
  /** Float ops take the FP32 model's weights (default) or the Q/DQ model's dequantized ones. */
  weights?: 'fp32' | 'dequantized';
  /** Order of the search: local error (default) or graph order (to measure what the ranking buys). */
  rank?: 'local' | 'order';
  threads?: number;
  maxBytesPerRun?: number;
  cacheBytes?: number;
  log?: (line: string) => void;
}

export interface FallbackOp {
  name: string;
  opType: string;
  /** Worst local SQNR of what it makes (null when not measured). */
  localSqnrDb: number | null;
  tensor?: string;
}

export interface FallbackSearchResult {
  target: string;
  output: string;
  images: number;
  weights: 'fp32' | 'dequantized';
  rank: 'local' | 'order';
  quantizedOps: number;
  /** Metric of the INT8 model as given, with every listed op in float, and with the set found. */
  baseline: number;
  allFloat: number;
  final: number;
  met: boolean;
  /** Ops to keep in float; null when the target is out of reach even with every op in float. */
  set: FallbackOp[] | null;
  evaluations: number;
  steps: SearchStep[];
  flags: ExportFlags;
  ranking: FallbackOp[];
  timing: { rankMs: number; searchMs: number };
}

/** The Q/DQ model with the given ops in float (float-fallback.ts), ready to save or run. */
function fallbackModel(int8: OnnxModel, s: QdqStructure, ops: readonly QuantOp[], weights: 'fp32' | 'dequantized', fp32?: OnnxModel): ModelProto {
  return rewriteQdq(int8.proto, s, fallbackPolicy(new Set(ops.map((o) => o.index))), { weights, fp32 });
}

/**
 * Rank ops by local error, then search the smallest set to keep in float for the target (bisect.ts).
 * Every evaluation builds the variant once and runs it on every image; FP32 outputs are computed once.
 */
export async function searchFallbackSet(opt: FallbackSearchOptions): Promise<{ result: FallbackSearchResult; fixed?: ModelProto }> {
  const log = opt.log ?? (() => {});
  const weights = opt.weights ?? 'fp32';
  const rank = opt.rank ?? 'local';
  const s = rewritableQdqStructure(graphOf(opt.int8.proto), opt.int8.path, 'bisect');
  const refs = await ReferenceSet.open(opt.fp32, opt.inputs, { output: opt.target.output, inputOptions: opt.inputOptions, cacheBytes: opt.cacheBytes, threads: opt.threads });
  try {
    const t0 = performance.now();
    const ranked = rank === 'local' ? await localRanking(opt, s, refs, log) : s.ops.map((op): RankedOp => ({ op, localSqnrDb: NaN }));
    const rankMs = performance.now() - t0;
    const spec = { metric: opt.target.metric, output: refs.output };
    const t1 = performance.now();
    const search = await minimalPassingSet(ranked, (r) => r.op.index, async (set) => {
      const proto = fallbackModel(opt.int8, s, set.map((r) => r.op), weights, opt.fp32);
      const e = await evaluateVariant(proto, opt.int8.path, refs, spec, { channels: opt.channels, threads: opt.threads, labels: opt.labels });
      return { value: e.value, pass: meets(opt.target, e.value), ms: e.ms };
    }, (step, set) => log(`bisect: evaluation ${step.evaluation} (${step.phase}): ${step.size} op(s) in float → ${opt.target.metric} ${fmtValue(step.value)} ${step.pass ? 'meets' : 'misses'} ${opt.target.text}  [${(step.ms / 1000).toFixed(1)} s]${set.length > 0 && set.length <= 4 ? `  {${set.map((r) => r.op.name).join(', ')}}` : ''}`));
    const searchMs = performance.now() - t1;
    const asOp = (r: RankedOp): FallbackOp => ({ name: r.op.name, opType: r.op.opType, localSqnrDb: Number.isNaN(r.localSqnrDb) ? null : r.localSqnrDb, ...(r.tensor ? { tensor: r.tensor } : {}) });
    const set = search.set?.map(asOp) ?? null;
    const result: FallbackSearchResult = {
      target: opt.target.text, output: refs.output, images: refs.count, weights, rank, quantizedOps: s.ops.length,
      baseline: search.baseline, allFloat: search.all, final: search.final, met: meets(opt.target, search.final),
      set, evaluations: search.evaluations, steps: search.steps,
      flags: exportFlags(set?.map((o) => o.name) ?? []),
      ranking: ranked.slice(0, 20).map(asOp),
      timing: { rankMs, searchMs },
    };
    const fixed = search.set ? fallbackModel(opt.int8, s, search.set.map((r) => r.op), weights, opt.fp32) : undefined;
    return { result, fixed };
  } finally {
    await refs.close();
  }
}

async function localRanking(opt: FallbackSearchOptions, s: QdqStructure, refs: ReferenceSet, log: (l: string) => void): Promise<RankedOp[]> {
  const pairing = pairModels(opt.fp32, opt.int8);
  const pairs = floatPairs(pairing.pairs, pairing.refGraph.declaredType);
  const engine = await LocalErrorEngine.open(opt.int8, pairs, { maxBytesPerRun: opt.maxBytesPerRun, threads: opt.threads });
  const fp = await fp32RunnerProvider(opt.fp32, pairs, opt.threads);
  try {
    let n = 0;
    for await (const { sample } of refs.samples()) {
      await engine.accumulate(sample, fp.provider(sample));
      log(`bisect: local error ${++n}: ${sample.id}`);
    }
  } finally {
    await engine.close();
    await fp.close();
  }
  return rankOpsByLocalError(s, pairs, engine.results());
}

function fmtValue(v: number): string {
  return Math.abs(v) <= 1 && v !== 0 ? v.toFixed(5) : fmtDb(v);
}
