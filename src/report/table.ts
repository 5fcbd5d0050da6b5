import Table from 'cli-table3';
import type { CandidateReport, Report, ReportRow } from './report.js';
import { ansi, fmtCos, fmtDb, fmtNum } from './format.js';
import { shapeString } from '../tensor/tensor.js';
import { coverageLine } from '../compare/coverage.js';
import { termName } from './terminal-text.js';

export type SortKey = 'order' | 'sqnr' | 'cosine' | 'maxabs' | 'drop';

export interface TableOptions {
  top?: number;
  sort?: SortKey;
  filter?: RegExp;
  color?: boolean;
  /** Width budget for the tensor column. */
  nameWidth?: number;
}

const SORTERS: Record<SortKey, (a: ReportRow, b: ReportRow) => number> = {
  order: (a, b) => a.order - b.order,
  sqnr: (a, b) => a.metrics.sqnrDb - b.metrics.sqnrDb,
  cosine: (a, b) => a.metrics.cosine - b.metrics.cosine,
  maxabs: (a, b) => b.metrics.maxAbs - a.metrics.maxAbs,
  drop: (a, b) => (b.dropDb ?? -Infinity) - (a.dropDb ?? -Infinity),
};

/** Rows after --filter, --sort and --top. */
export function selectRows(rows: readonly ReportRow[], opt: TableOptions): ReportRow[] {
  let out = opt.filter ? rows.filter((r) => opt.filter!.test(r.name) || opt.filter!.test(r.opType)) : [...rows];
  out.sort(SORTERS[opt.sort ?? 'order']);
  if (opt.top && opt.top > 0) {
    if ((opt.sort ?? 'order') === 'order') {
      // --top N in graph order: keep the N worst rows but show them in order.
      const worst = new Set([...out].sort(SORTERS.sqnr).slice(0, opt.top));
      out = out.filter((r) => worst.has(r));
    } else {
      out = out.slice(0, opt.top);
    }
  }
  return out;
}

function renderCandidateTable(c: CandidateReport, report: Report, opt: TableOptions = {}): string {
  const color = opt.color ?? false;
  const width = opt.nameWidth ?? 46;
  // 'local dB' (error made by the op alone, `run --local`) appears only when it was measured.
  const hasLocal = c.rows.some((r) => r.local);
  const table = new Table({
    head: ['#', 'op', 'tensor', 'shape', 'cosine', 'max abs', 'SQNR dB', ...(hasLocal ? ['local dB'] : []), 'drop dB', 'origin'],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
    colAligns: ['right', 'left', 'left', 'left', 'right', 'right', 'right', ...(hasLocal ? ['right' as const] : []), 'right', 'left'],
  });
  const th = report.thresholds;
  const first = c.firstDivergence?.tensor;
  for (const r of selectRows(c.rows, opt)) {
    const bad = r.metrics.sqnrDb < th.sqnrThresholdDb || r.metrics.cosine < th.cosineThreshold;
    const paint = (s: string) => (r.name === first ? ansi.red(ansi.bold(s, color), color) : bad && r.origin === 'made here' ? ansi.yellow(s, color) : s);
    const mark = r.name === first ? '>>' : r.origin === 'made here' ? '*' : '';
    table.push([
      String(r.order), termName(opLabel(r), 40), paint(termName(r.name, width)), shapeString(r.shape),
      fmtCos(r.metrics.cosine), fmtNum(r.metrics.maxAbs, 3), paint(fmtDb(r.metrics.sqnrDb)),
      ...(hasLocal ? [r.local ? fmtDb(r.local.sqnrDb) : ''] : []),
      r.dropDb === null ? '' : fmtDb(r.dropDb), `${mark ? `${mark} ` : ''}${r.origin}`,
    ]);
  }
  return table.toString();
}

/** "Relu" or, when INT8 made the value with another op, "Relu [QLinearConv]". */
function opLabel(r: ReportRow): string {
  return r.int8Op ? `${r.opType} [${r.int8Op}]` : r.opType;
}

/** The headline: first divergence, output SQNR, counts. Printed above the table. */
export function renderSummary(c: CandidateReport, report: Report, color = false): string {
  const lines: string[] = [];
  lines.push(ansi.bold(`INT8 ${termName(c.model.path, 200)}  vs  FP32 ${termName(report.fp32.path, 200)}`, color));
  lines.push(`  ${report.samples.length} input(s): ${report.samples.slice(0, 3).map((s) => termName(s)).join(', ')}${report.samples.length > 3 ? ', …' : ''}`);
  const fd = c.firstDivergence;
  const acc = c.accumulation;
  if (fd) {
    const where = [fd.opType, fd.node].filter((s) => s).join(' ');
    const int8Op = c.rows.find((r) => r.name === fd.tensor)?.int8Op;
    lines.push(ansi.red(`  first divergence: ${termName(fd.tensor)}${where ? `  (${termName(where, 120)}${int8Op ? `; INT8 ${termName(int8Op, 40)}` : ''})` : ''}`, color));
    lines.push(`    ${fd.reason}${fd.inputSqnrDb !== null && Number.isFinite(fd.inputSqnrDb) ? `; inputs at ${fmtDb(fd.inputSqnrDb)} dB` : ''}`);
  } else if (acc) {
    lines.push(ansi.yellow(`  no single op makes the error; it accumulates from ${termName(acc.from.tensor)} (${fmtDb(acc.from.sqnrDb)} dB) to ${termName(acc.to.tensor)} (${fmtDb(acc.to.sqnrDb)} dB)`, color));
    lines.push(`    ${acc.below} tensor(s) below SQNR ${report.thresholds.sqnrThresholdDb} dB, none ${report.thresholds.use === 'local' ? `by its own local error${acc.worstLocal ? ` (worst local ${fmtDb(acc.worstLocal.sqnrDb)} dB at ${termName(acc.worstLocal.tensor)})` : ''}` : `${report.thresholds.dropDb} dB below its inputs`}`);
  } else {
    lines.push(ansi.green(`  no divergence: every tensor is within SQNR ≥ ${report.thresholds.sqnrThresholdDb} dB and cosine ≥ ${report.thresholds.cosineThreshold}`, color));
  }
  const incomplete = coverageLine(c.coverage, termName);
  if (incomplete) lines.push(ansi.red(`  ${incomplete}`, color));
  for (const [o, s] of Object.entries(c.summary.outputSqnrDb)) lines.push(`  output ${termName(o)}: SQNR ${fmtDb(s)} dB`);
  const s = c.summary;
  lines.push(`  ${s.compared} tensors compared, ${s.skipped} skipped, ${s.unmatchedFp32} FP32 / ${s.unmatchedInt8} INT8 unmatched; worst SQNR ${fmtDb(s.worstSqnrDb)} dB`);
  if (c.skipped.length > 0) {
    const why = new Map<string, number>();
    for (const k of c.skipped) why.set(k.reason, (why.get(k.reason) ?? 0) + 1);
    lines.push(`  skipped: ${[...why].map(([r, n]) => `${n} × ${r}`).join('; ')}`);
  }
  if (c.unmatched.fp32.length > 0) {
    const shown = c.unmatched.fp32.slice(0, 3).map((n) => termName(n)).join(', ');
    lines.push(`  FP32 tensors with no INT8 counterpart: ${shown}${c.unmatched.fp32.length > 3 ? `, … (${c.unmatched.fp32.length - 3} more in --json)` : ''}`);
  }
  for (const p of c.perturbation) {
    if (p.maxAbs > 0) lines.push(`  note: exposing every tensor changes INT8 ${termName(p.output)} by up to ${fmtNum(p.maxAbs)} (SQNR ${fmtDb(p.sqnrDb)} dB vs the uninstrumented model)`);
  }
  return lines.join('\n');
}

export function renderReport(report: Report, opt: TableOptions = {}): string {
  return report.candidates.map((c) => `${renderSummary(c, report, opt.color)}\n${renderCandidateTable(c, report, opt)}`).join('\n\n');
}
