import { UserError, at } from '../errors.js';
import type { TensorMetrics } from '../compare/metrics.js';
import type { CandidateReport, Report, ReportRow } from './report.js';
import { termName } from './terminal-text.js';
import { fmtDb, fmtNum } from './format.js';

/**
 * CI gates (`--fail-on`), a small grammar documented in docs/reports.md:
 *
 *   gate     := metric op number ["@" tensor]      fail when the metric of <tensor> (default: the
 *                                                  worst compared tensor) satisfies the comparison
 *             | "verdict" ("!=" | "==") word      fail when the verdict differs from / equals word
 *             | "first-divergence"                fail when any tensor diverged
 *             | "unmatched"                       fail when a tensor could not be paired or compared
 *   metric   := sqnr | cosine | maxabs | meanabs | rmse | maxrel | nan | inf
 *   op       := < | <= | > | >=
 *
 * Examples: "sqnr<20@output0", "cosine<0.999@output0", "maxabs>0.5", "verdict!=ok", "nan>0".
 * Every gate is evaluated for every candidate; one JUnit test case per (gate, candidate).
 */
export type MetricName = 'sqnr' | 'cosine' | 'maxabs' | 'meanabs' | 'rmse' | 'maxrel' | 'nan' | 'inf';
type Op = '<' | '<=' | '>' | '>=';

export type Gate =
  | { kind: 'metric'; text: string; metric: MetricName; op: Op; value: number; tensor?: string }
  | { kind: 'verdict'; text: string; negate: boolean; word: string }
  | { kind: 'first-divergence'; text: string }
  | { kind: 'unmatched'; text: string };

export interface GateResult {
  gate: string;
  candidate: string;
  passed: boolean;
  /** What was measured, in one line (shown for passes too). */
  message: string;
}

const METRICS: Record<MetricName, { label: string; read: (m: TensorMetrics) => number; worst: 'min' | 'max' }> = {
  sqnr: { label: 'SQNR', read: (m) => m.sqnrDb, worst: 'min' },
  cosine: { label: 'cosine', read: (m) => m.cosine, worst: 'min' },
  maxabs: { label: 'max abs error', read: (m) => m.maxAbs, worst: 'max' },
  meanabs: { label: 'mean abs error', read: (m) => m.meanAbs, worst: 'max' },
  rmse: { label: 'RMSE', read: (m) => m.rmse, worst: 'max' },
  maxrel: { label: 'max rel error', read: (m) => m.maxRel, worst: 'max' },
  nan: { label: 'INT8 NaN count', read: (m) => m.nanCount.test, worst: 'max' },
  inf: { label: 'INT8 Inf count', read: (m) => m.infCount.test, worst: 'max' },
};

const METRIC_RE = /^\s*([a-z]+)\s*(<=|>=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|inf|-inf)\s*(?:@\s*(.+?))?\s*$/i;

/** @internal */
export function parseGate(text: string): Gate {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (lower === 'first-divergence') return { kind: 'first-divergence', text: t };
  if (lower === 'unmatched') return { kind: 'unmatched', text: t };
  const v = /^verdict\s*(!=|==)\s*([\w.-]+)$/i.exec(t);
  if (v) return { kind: 'verdict', text: t, negate: v[1] === '!=', word: at(v, 2).toLowerCase() };
  const m = METRIC_RE.exec(t);
  if (m) {
    const metric = at(m, 1).toLowerCase();
    if (!(metric in METRICS)) throw new UserError(`--fail-on "${text}": unknown metric "${m[1]}" (known: ${Object.keys(METRICS).join(', ')})`);
    const value = /inf$/i.test(at(m, 3)) ? (at(m, 3).startsWith('-') ? -Infinity : Infinity) : Number(m[3]);
    return { kind: 'metric', text: t, metric: metric as MetricName, op: m[2] as Op, value, ...(m[4] ? { tensor: m[4] } : {}) };
  }
  throw new UserError(`--fail-on "${text}": not a gate; write e.g. "sqnr<20@output0", "cosine<0.999", "verdict!=ok", "first-divergence" or "unmatched" (see docs/reports.md)`);
}

export function parseGates(texts: readonly string[]): Gate[] {
  return texts.flatMap((s) => s.split(/[;\n]/)).filter((s) => s.trim() !== '').map(parseGate);
}

/**
 * The candidate's verdict: the detection-head analysis's when it gives one
 * (`analyses.head.verdict`), else "ok" without a first divergence and "diverged" with one.
 */
export function verdictOf(c: CandidateReport): string {
  // The detection-head analysis (src/detect/verdict.ts) writes {verdict: 'ok' | 'classness collapse' | 'box drift' | 'objectness collapse' | several joined with ' + ', ...}.
  const v = (c.analyses.head as { verdict?: { verdict?: unknown } | null } | undefined)?.verdict;
  if (v && typeof v.verdict === 'string') return v.verdict.toLowerCase();
  return c.firstDivergence || c.accumulation ? 'diverged' : 'ok';
}

/** One line on where the error is: the first divergence, where accumulated error runs, or none. */
export function divergenceLine(c: CandidateReport): string {
  const fd = c.firstDivergence, acc = c.accumulation;
  if (fd) return `first divergence ${termName(fd.tensor)} (${[termName(fd.opType, 24), `SQNR ${fmtDb(fd.sqnrDb)} dB`].filter(Boolean).join(', ')})`;
  if (acc) return `no single op makes the error; it accumulates from ${termName(acc.from.tensor)} (${fmtDb(acc.from.sqnrDb)} dB) to ${termName(acc.to.tensor)} (${fmtDb(acc.to.sqnrDb)} dB)`;
  return 'no divergence';
}

function compare(x: number, op: Op, v: number): boolean {
  switch (op) {
    case '<': return x < v;
    case '<=': return x <= v;
    case '>': return x > v;
    case '>=': return x >= v;
  }
}

function evalMetric(g: Extract<Gate, { kind: 'metric' }>, c: CandidateReport): { passed: boolean; message: string } {
  const spec = METRICS[g.metric];
  let row: ReportRow | undefined;
  if (g.tensor) {
    row = c.rows.find((r) => r.name === g.tensor) ?? c.rows.find((r) => r.int8Name === g.tensor);
    if (!row) {
      const skipped = c.skipped.find((s) => s.name === g.tensor);
      if (skipped) return { passed: false, message: `${g.tensor} was not compared (${skipped.reason})` };
      throw new UserError(`--fail-on "${g.text}": no tensor "${g.tensor}" in the comparison of ${c.model.path}`);
    }
  } else {
    // The worst tensor; NaN metrics (nothing finite to compare) count as failing.
    for (const r of c.rows) {
      const x = spec.read(r.metrics);
      const cur = row ? spec.read(row.metrics) : undefined;
      if (cur === undefined || Number.isNaN(x) || (spec.worst === 'min' ? x < cur : x > cur)) row = r;
      if (Number.isNaN(x)) break;
    }
    if (!row) return { passed: false, message: 'no tensor was compared' };
  }
  const x = spec.read(row.metrics);
  const failed = Number.isNaN(x) || compare(x, g.op, g.value);
  const where = g.tensor ? row.name : `worst tensor ${row.name}`;
  return { passed: !failed, message: `${spec.label} ${fmtNum(x)} at ${where}${failed ? ` (${g.op} ${g.value})` : ''}` };
}

export function evaluateGates(report: Report, gates: readonly Gate[]): GateResult[] {
  const out: GateResult[] = [];
  for (const g of gates) {
    for (const c of report.candidates) {
      let r: { passed: boolean; message: string };
      switch (g.kind) {
        case 'metric': r = evalMetric(g, c); break;
        case 'verdict': {
          const v = verdictOf(c);
          r = { passed: g.negate ? v === g.word : v !== g.word, message: `verdict ${v}` };
          break;
        }
        case 'first-divergence': {
          const fd = c.firstDivergence;
          r = { passed: !fd, message: fd ? `first divergence at ${fd.tensor} (${fd.opType}): ${fd.reason}` : 'no divergence' };
          break;
        }
        case 'unmatched': {
          const n = c.summary.unmatchedFp32 + c.summary.unmatchedInt8 + c.summary.skipped;
          r = { passed: n === 0, message: `${c.summary.unmatchedFp32} FP32 / ${c.summary.unmatchedInt8} INT8 unmatched, ${c.summary.skipped} skipped` };
          break;
        }
      }
      out.push({ gate: g.text, candidate: c.model.path, ...r });
    }
  }
  return out;
}

export function gateSummary(results: readonly GateResult[]): string[] {
  return results.map((r) => termName(`gate ${r.passed ? 'passed' : 'FAILED'}: ${r.gate}  [${r.candidate}]  ${r.message}`, 1000));
}
