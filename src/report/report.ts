import type { ComparisonResult, CandidateResult, ModelInfo, TensorRecord } from '../compare/compare-models.js';
import type { Coverage } from '../compare/coverage.js';
import { DEFAULT_DIVERGENCE, accumulation, firstDivergence, inputDrops, type Accumulation, type Divergence, type DivergenceOptions } from '../analysis/first-divergence.js';
import { mustGet } from '../errors.js';

const TOOL_VERSION = '0.1.0';

/** A table row: the record plus where its error comes from. */
export interface ReportRow extends TensorRecord {
  inputSqnrDb: number | null;
  /** worst input SQNR − own SQNR: > dropDb means the error is made at this tensor. */
  dropDb: number | null;
  origin: 'made here' | 'inherited' | 'input' | 'ok';
}

export interface CandidateReport {
  model: ModelInfo;
  firstDivergence: Divergence | null;
  /** With no first divergence: error below the threshold that accumulates over many ops (null: none). */
  accumulation?: Accumulation | null;
  rows: ReportRow[];
  summary: { compared: number; skipped: number; unmatchedFp32: number; unmatchedInt8: number; worstSqnrDb: number; outputSqnrDb: Record<string, number>; requested: number; missing: number };
  skipped: CandidateResult['skipped'];
  unmatched: CandidateResult['unmatched'];
  perturbation: CandidateResult['perturbation'];
  coverage: Coverage;
  /** Free-form analyses attached by other modules (detection head, bisect...), keyed by name. */
  analyses: Record<string, unknown>;
}

/** Everything one `trt-diff run` found; serialised as --json and rendered by every reporter. */
export interface Report {
  tool: 'trt-diff';
  version: string;
  created: string;
  fp32: ModelInfo;
  samples: string[];
  thresholds: DivergenceOptions;
  candidates: CandidateReport[];
  timing: ComparisonResult['timing'];
}

export function buildReport(result: ComparisonResult, thresholds: DivergenceOptions = DEFAULT_DIVERGENCE, outputs: readonly string[] = []): Report {
  return {
    tool: 'trt-diff',
    version: TOOL_VERSION,
    created: new Date().toISOString(),
    fp32: result.fp32,
    samples: result.samples,
    thresholds,
    candidates: result.candidates.map((c) => candidateReport(c, thresholds, outputs)),
    timing: result.timing,
  };
}

function candidateReport(c: CandidateResult, th: DivergenceOptions, outputs: readonly string[]): CandidateReport {
  const drops = inputDrops(c.records);
  const rows: ReportRow[] = c.records.map((r) => {
    const d = mustGet(drops, r.name);
    const low = r.metrics.sqnrDb < th.sqnrThresholdDb || r.metrics.cosine < th.cosineThreshold;
    const origin: ReportRow['origin'] = d.dropDb === null ? 'input' : !low ? 'ok' : d.dropDb >= th.dropDb ? 'made here' : 'inherited';
    return { ...r, inputSqnrDb: d.inputSqnrDb, dropDb: d.dropDb, origin };
  });
  // Results built without runners (stored runs, hand-made cases) asked for nothing that could go missing.
  const coverage = c.coverage ?? { requested: c.records.length + c.skipped.length, missing: [] };
  const outputSqnrDb: Record<string, number> = {};
  for (const o of outputs) {
    const r = c.records.find((x) => x.name === o);
    if (r) outputSqnrDb[o] = r.metrics.sqnrDb;
  }
  const fd = firstDivergence(c.records, th);
  return {
    model: c.model,
    firstDivergence: fd,
    accumulation: fd ? null : accumulation(c.records, th),
    rows,
    summary: {
      compared: c.records.length,
      skipped: c.skipped.length,
      unmatchedFp32: c.unmatched.fp32.length,
      unmatchedInt8: c.unmatched.int8.length,
      worstSqnrDb: Math.min(...c.records.map((r) => r.metrics.sqnrDb)),
      outputSqnrDb,
      requested: coverage.requested,
      missing: coverage.missing.length,
    },
    skipped: c.skipped,
    unmatched: c.unmatched,
    perturbation: c.perturbation,
    coverage,
    analyses: {},
  };
}
