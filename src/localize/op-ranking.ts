import type { TensorPair } from '../compare/pairing.js';
import type { TensorMetrics } from '../compare/metrics.js';
import type { QdqStructure, QuantOp } from './qdq-ops.js';
import { mustGet } from '../errors.js';

export interface RankedOp {
  op: QuantOp;
  /** Worst local SQNR (dB) among the tensors this op makes; +Infinity when none was measured. */
  localSqnrDb: number;
  /** The tensor that gave it. */
  tensor?: string;
}

/**
 * Ops of a Q/DQ model ordered by the local error they make (worst first). A tensor's local error
 * belongs to the op that produces it in the INT8 graph (its weights and its output pair); the pair
 * of a graph input, which no op produces, belongs to the ops that read it. Ops with no measured
 * tensor keep their topological order at the end.
 */
export function rankOpsByLocalError(s: QdqStructure, pairs: readonly TensorPair[], local: ReadonlyMap<string, TensorMetrics>): RankedOp[] {
  const ranked = new Map<number, RankedOp>(s.ops.map((op) => [op.index, { op, localSqnrDb: Infinity }]));
  const pairOfSource = new Map(s.pairs.map((p) => [p.source, p]));
  const credit = (index: number | undefined, m: TensorMetrics, tensor: string) => {
    const r = index === undefined ? undefined : ranked.get(index);
    if (r && m.sqnrDb < r.localSqnrDb) { r.localSqnrDb = m.sqnrDb; r.tensor = tensor; }
  };
  for (const p of pairs) {
    const m = local.get(p.name);
    if (!m) continue;
    const t = p.test;
    const src = t.kind === 'dequantized' ? t.preQuant : t.actual;
    if (!src) continue;
    const producer = s.producerIndex.get(src);
    if (producer !== undefined) { credit(producer, m, p.name); continue; }
    // A graph input quantized directly: the ops reading its pair own that error.
    for (const e of pairOfSource.get(src)?.edges ?? []) credit(e.consumer, m, p.name);
  }
  const order = new Map(s.ops.map((op, i) => [op.index, i]));
  return [...ranked.values()].sort((a, b) => (a.localSqnrDb - b.localSqnrDb) || (mustGet(order, a.op.index) - mustGet(order, b.op.index)));
}
