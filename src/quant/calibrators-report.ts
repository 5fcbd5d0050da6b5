import type { CandidateResult } from '../compare/compare-models.js';
import { sqnrDb } from '../compare/metrics.js';
import { fmtDb, fmtNum } from '../report/format.js';
import type { TensorStats } from './activation-collector.js';
import type { CalibratorName } from './calibrators.js';
import type { ChannelRange, ChannelStats } from './output-channels.js';
import type { QdqResult } from './qdq-emulation.js';
import { at } from '../errors.js';

/**
 * "Which calibrator breaks this model, and where": per calibrator the output error on an eval
 * image (whole output and a channel range such as YOLO's class scores), the first layer whose
 * SQNR falls below a threshold; per quantized tensor each calibrator's amax against MinMax's, the
 * fraction of values it clips and the layer's SQNR.
 */
export interface CalibratorSummary {
  calibrator: CalibratorName;
  cache: string;
  qdq: string;
  quantizedTensors: number;
  missing: { tensor: string; reason: string }[];
  output: string;
  outputSqnrDb: number;
  channels: { range: [number, number | null]; sqnrDb: number; maxValue: number };
  /** The earliest tensor (topological order) whose SQNR is below `breakDb`. */
  firstBreak: { tensor: string; opType: string; sqnrDb: number } | null;
  worst: { tensor: string; opType: string; sqnrDb: number } | null;
}

export interface AmaxRow {
  tensor: string;
  opType: string;
  absMax: number;
  /** Per calibrator: amax, amax / MinMax amax, fraction of |x| above amax (histogram resolution), layer SQNR. */
  by: Record<string, { amax: number; ratio: number; clipped: number | null; sqnrDb: number | null }>;
}

export interface CalibratorsReport {
  model: string;
  images: number;
  batch: number;
  evalImage: string;
  breakDb: number;
  fp32: { output: string; channelsMax: number };
  calibrators: CalibratorSummary[];
  tensors: AmaxRow[];
  timing: { collectMs: number; deriveMs: Record<string, number>; compareMs: number };
}

/**
 * Fraction of the values counted in `s` whose |x| exceeds `amax`, read off the 'grow' histogram
 * (values inside the bin holding amax are taken as evenly spread over it). null without histogram.
 */
function clippedFraction(s: TensorStats, amax: number): number | null {
  if (amax >= s.absMax) return 0;
  const h = s.histograms.grow;
  if (!h) return null;
  const total = h.total;
  if (total === 0) return 0;
  const w = h.binWidth;
  const k = Math.min(h.bins - 1, Math.max(0, Math.ceil(amax / w) - 1));
  let above = at(h.counts, k) * Math.min(1, Math.max(0, ((k + 1) * w - amax) / w));
  for (let j = k + 1; j < h.bins; j++) above += at(h.counts, j);
  return above / total;
}

export function summarizeCandidate(
  calibrator: CalibratorName, files: { cache: string; qdq: string }, qdq: QdqResult, result: CandidateResult,
  output: string, range: ChannelRange, channels: ChannelStats | undefined, breakDb: number,
): CalibratorSummary {
  const records = [...result.records].sort((a, b) => a.order - b.order);
  const out = records.find((r) => r.name === output);
  const first = records.find((r) => r.metrics.sqnrDb < breakDb);
  const worst = records.reduce<(typeof records)[number] | undefined>((w, r) => (!w || r.metrics.sqnrDb < w.metrics.sqnrDb ? r : w), undefined);
  const brief = (r: (typeof records)[number] | undefined) => (r ? { tensor: r.name, opType: r.opType, sqnrDb: r.metrics.sqnrDb } : null);
  return {
    calibrator, cache: files.cache, qdq: files.qdq,
    quantizedTensors: qdq.quantized.length, missing: qdq.missing,
    output, outputSqnrDb: out?.metrics.sqnrDb ?? NaN,
    channels: {
      range: [range.start, Number.isFinite(range.end) ? range.end : null],
      sqnrDb: channels ? sqnrDb(channels.sumRef2, channels.sumErr2) : NaN,
      maxValue: channels?.maxValue ?? NaN,
    },
    firstBreak: brief(first), worst: brief(worst),
  };
}

/** Rows for the tensors that got a Q/DQ pair in at least one calibrator's model, in graph order. */
export function amaxRows(
  order: readonly string[], opTypes: ReadonlyMap<string, string>, stats: ReadonlyMap<string, TensorStats>,
  amax: ReadonlyMap<CalibratorName, ReadonlyMap<string, number>>, quantized: ReadonlySet<string>,
  sqnrOf: (c: CalibratorName, tensor: string) => number | undefined,
): AmaxRow[] {
  const rows: AmaxRow[] = [];
  for (const tensor of order) {
    const s = stats.get(tensor);
    if (!s || !quantized.has(tensor)) continue;
    const by: AmaxRow['by'] = {};
    for (const [c, m] of amax) {
      const a = m.get(tensor) ?? NaN;
      by[c] = { amax: a, ratio: s.absMax > 0 ? a / s.absMax : NaN, clipped: clippedFraction(s, a), sqnrDb: sqnrOf(c, tensor) ?? null };
    }
    rows.push({ tensor, opType: opTypes.get(tensor) ?? 'Input', absMax: s.absMax, by });
  }
  return rows;
}

export function formatCalibratorsReport(r: CalibratorsReport): string {
  const lines: string[] = [];
  const ch = r.calibrators[0]?.channels.range;
  const chLabel = ch ? `${ch[0]}:${ch[1] ?? ''}` : '';
  lines.push(`${r.model}: ${r.images} calibration images (batch ${r.batch}), evaluated on ${r.evalImage}`);
  lines.push(`FP32 ${r.fp32.output}[:, ${chLabel}] max ${fmtNum(r.fp32.channelsMax, 3)}`);
  lines.push('');
  lines.push(row(['calibrator', `${r.fp32.output} SQNR`, `[${chLabel}] SQNR`, `[${chLabel}] max`, 'Q/DQ', `first < ${r.breakDb} dB`, 'worst layer'], [11, 14, 13, 11, 5, 0, 0]));
  for (const c of r.calibrators) {
    const brk = c.firstBreak ? `${c.firstBreak.tensor} (${c.firstBreak.opType}, ${fmtDb(c.firstBreak.sqnrDb)} dB)` : '-';
    const worst = c.worst ? `${c.worst.tensor} (${fmtDb(c.worst.sqnrDb)} dB)` : '-';
    lines.push(row([c.calibrator, `${fmtDb(c.outputSqnrDb)} dB`, `${fmtDb(c.channels.sqnrDb)} dB`, fmtNum(c.channels.maxValue, 3), String(c.quantizedTensors), brk, worst], [11, 14, 13, 11, 5, 0, 0]));
  }
  const calibs = r.calibrators.map((c) => c.calibrator);
  lines.push('');
  lines.push('amax per quantized tensor (×: amax / max|x|; clip: share of |x| above amax; dB: layer SQNR on the eval image)');
  lines.push(row(['tensor', 'op', 'max|x|', ...calibs.map((c) => `${c} × / clip / dB`)], [48, 12, 10, ...calibs.map(() => 28)]));
  for (const t of r.tensors) {
    const cells = calibs.map((c) => {
      const b = t.by[c];
      if (!b) return '-';
      const clip = b.clipped === null ? 'n/a' : b.clipped === 0 ? '0' : `${(b.clipped * 100).toPrecision(2)}%`;
      return `${b.ratio.toFixed(3)} / ${clip} / ${b.sqnrDb === null ? 'n/a' : fmtDb(b.sqnrDb)}`;
    });
    lines.push(row([t.tensor, t.opType, fmtNum(t.absMax, 3), ...cells], [48, 12, 10, ...calibs.map(() => 28)]));
  }
  for (const c of r.calibrators) {
    if (c.missing.length > 0) lines.push(`warning: ${c.calibrator}: ${c.missing.length} tensor(s) left float (no usable scale): ${c.missing.slice(0, 5).map((m) => m.tensor).join(', ')}`);
  }
  return lines.join('\n');
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (widths[i] ? c.padEnd(at(widths, i)) : c)).join(' ').trimEnd();
}
