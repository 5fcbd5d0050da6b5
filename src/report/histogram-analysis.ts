import type { Analysis, AnalysisContext } from '../analysis/analysis.js';
import type { Report } from './report.js';
import { HistogramCollector, HIST_BINS, type HistogramData } from './tensor-histograms.js';
import { QuantRanges, type QuantRange } from './quant-range.js';
import { mustGet, at } from '../errors.js';

/** How many of the worst tensors (lowest SQNR) the HTML report shows histograms for. */
const HISTOGRAM_TENSORS = 12;

export interface TensorHistogram extends HistogramData {
  sqnrDb: number;
  /** INT8 clip range of a dequantized tensor (what the quantizer can represent). */
  clip?: QuantRange;
}

export interface HistogramsAnalysis {
  bins: number;
  worst: TensorHistogram[];
}

/**
 * Collects FP32/INT8 value histograms of every compared tensor during the run (fixed bins, so
 * memory is bins × tensors whatever the image count) and keeps those of the worst tensors for the
 * HTML report: report.candidates[k].analyses.histograms.
 */
export const histogramAnalysis: Analysis<true> = {
  name: 'histograms',
  // Enabled by the HTML report (--html, a report flag of the command), the only place that shows them.
  parse: (args) => (typeof args.html === 'string' && args.html !== '' ? true : undefined),
  shardable: false, // its state (value histograms / local-error runs) does not merge across shards
  start: () => {
    const c = new HistogramCollector();
    return { observers: [c], finish: (report: Report, ctx) => finishHistograms(c, report, ctx) };
  },
};

function finishHistograms(c: HistogramCollector, report: Report, ctx: AnalysisContext): void {
  report.candidates.forEach((cand, k) => {
    const hists = c.byCandidate[k];
    if (!hists) return;
    const ranges = ctx.int8[k] ? new QuantRanges(at(ctx.int8, k)) : undefined;
    const worst = cand.rows
      .filter((r) => hists.has(r.name) && !Number.isNaN(r.metrics.sqnrDb) && r.metrics.sqnrDb !== Infinity)
      .sort((a, b) => a.metrics.sqnrDb - b.metrics.sqnrDb)
      .slice(0, HISTOGRAM_TENSORS)
      .map((r): TensorHistogram => {
        const clip = r.int8Kind === 'dequantized' ? ranges?.of(r.int8Name) : undefined;
        return { ...mustGet(hists, r.name).toData(r.name), sqnrDb: r.metrics.sqnrDb, ...(clip ? { clip } : {}) };
      });
    const data: HistogramsAnalysis = { bins: HIST_BINS, worst };
    cand.analyses.histograms = data;
  });
}
