import type { TensorRecord } from '../compare/compare-models.js';
import { mustGet } from '../errors.js';

export interface DivergenceOptions {
  /** A tensor can only be the divergence if its SQNR is below this (dB). */
  sqnrThresholdDb: number;
  /** ...and at least this many dB below the worst of its inputs (error made here, not inherited). */
  dropDb: number;
  /** Alternatively: cosine below this, with the same "worse than its inputs" rule. */
  cosineThreshold: number;
  /** Which error to judge by: accumulated (default) or local (when `--local` measured it). */
  use: 'accumulated' | 'local';
}

export const DEFAULT_DIVERGENCE: DivergenceOptions = { sqnrThresholdDb: 20, dropDb: 3, cosineThreshold: 0.99, use: 'accumulated' };

export interface Divergence {
  tensor: string;
  opType: string;
  node: string;
  sqnrDb: number;
  cosine: number;
  /** SQNR of its worst input, and how far this tensor falls below it. */
  inputSqnrDb: number | null;
  dropDb: number | null;
  reason: string;
}

/** SQNR of the worst input of each record, and the drop (input − own) in dB: > 0 means error made here. */
export function inputDrops(records: readonly TensorRecord[]): Map<string, { inputSqnrDb: number | null; dropDb: number | null }> {
  const sqnr = new Map(records.map((r) => [r.name, r.metrics.sqnrDb]));
  const out = new Map<string, { inputSqnrDb: number | null; dropDb: number | null }>();
  for (const r of records) {
    const ins = r.inputs.map((i) => sqnr.get(i)).filter((v): v is number => v !== undefined && !Number.isNaN(v));
    if (ins.length === 0) { out.set(r.name, { inputSqnrDb: null, dropDb: null }); continue; }
    const worst = Math.min(...ins);
    out.set(r.name, { inputSqnrDb: worst, dropDb: Number.isFinite(worst) ? worst - r.metrics.sqnrDb : worst === Infinity ? Infinity : null });
  }
  return out;
}

/**
 * The first tensor in topological order where INT8 departs from FP32 by its own doing: its SQNR
 * (or cosine) is below the threshold AND clearly below that of its inputs. A tensor with no compared
 * inputs (a graph input, or the first layer) only needs to be below the threshold.
 */
export function firstDivergence(records: readonly TensorRecord[], opt: DivergenceOptions = DEFAULT_DIVERGENCE): Divergence | null {
  const drops = inputDrops(records);
  const localOf = (r: TensorRecord) => (opt.use === 'local' && r.local ? r.local : undefined);
  for (const r of [...records].sort((a, b) => a.order - b.order)) {
    const local = localOf(r);
    const s = local ? local.sqnrDb : r.metrics.sqnrDb;
    const c = local ? local.cosine : r.metrics.cosine;
    const d = mustGet(drops, r.name);
    const low = s < opt.sqnrThresholdDb || c < opt.cosineThreshold;
    if (!low) continue;
    // With local error the drop rule is implicit: local error is by definition made here.
    const madeHere = local ? true : d.dropDb === null || d.dropDb >= opt.dropDb;
    if (!madeHere) continue;
    const why = s < opt.sqnrThresholdDb ? `SQNR ${s.toFixed(1)} dB < ${opt.sqnrThresholdDb} dB` : `cosine ${c.toFixed(4)} < ${opt.cosineThreshold}`;
    return {
      tensor: r.name, opType: r.opType, node: r.node, sqnrDb: s, cosine: c,
      inputSqnrDb: d.inputSqnrDb, dropDb: d.dropDb,
      reason: local ? `local ${why}` : d.dropDb === null ? why : `${why}, ${dropText(d.dropDb, d.inputSqnrDb)}`,
    };
  }
  return null;
}

/** "4.2 dB below its inputs", or, when the inputs carry no error at all, that they are exact. */
function dropText(dropDb: number, inputSqnrDb: number | null): string {
  if (Number.isFinite(dropDb)) return `${dropDb.toFixed(1)} dB below its inputs`;
  return inputSqnrDb === Infinity ? 'its inputs are exact (the error starts here)' : 'below its inputs';
}

/** Error that is below the threshold somewhere but made by no single op: where it starts and where it is worst. */
export interface Accumulation {
  from: { tensor: string; opType: string; sqnrDb: number };
  to: { tensor: string; opType: string; sqnrDb: number };
  /** Tensors below the threshold. */
  below: number;
  /** Worst local SQNR when local error was measured: how much the worst single op makes. */
  worstLocal?: { tensor: string; sqnrDb: number };
}

/**
 * When firstDivergence finds nothing, whether that is because nothing is wrong (null) or because
 * error accumulates over many ops, each adding a little, until tensors fall below the threshold:
 * then the first tensor below it (topological order) and the worst one.
 */
export function accumulation(records: readonly TensorRecord[], opt: DivergenceOptions = DEFAULT_DIVERGENCE): Accumulation | null {
  const low = [...records].sort((a, b) => a.order - b.order)
    .filter((r) => r.metrics.sqnrDb < opt.sqnrThresholdDb || r.metrics.cosine < opt.cosineThreshold);
  const [first] = low;
  if (!first) return null;
  const worst = low.reduce((w, r) => (r.metrics.sqnrDb <= w.metrics.sqnrDb ? r : w));
  const locals = records.flatMap((r) => (r.local ? [{ tensor: r.name, sqnrDb: r.local.sqnrDb }] : []));
  const wl = locals.length > 0 ? locals.reduce((w, r) => (r.sqnrDb < w.sqnrDb ? r : w)) : undefined;
  const point = (r: TensorRecord) => ({ tensor: r.name, opType: r.opType, sqnrDb: r.metrics.sqnrDb });
  return { from: point(first), to: point(worst), below: low.length, ...(wl ? { worstLocal: wl } : {}) };
}
