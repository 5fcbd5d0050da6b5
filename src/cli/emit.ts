import { GateFailure, at } from '../errors.js';
import { writeJsonReport, reportToJson } from '../report/json-report.js';
import type { Report } from '../report/report.js';
import { renderReport, renderSummary, type TableOptions } from '../report/table.js';
import { renderCandidatesTable } from '../report/candidates-table.js';
import { evaluateGates, gateSummary, type GateResult } from '../report/gates.js';
import { writeJunit } from '../report/junit.js';
import { writeHtmlReport } from '../report/html-report.js';
import { ansi } from '../report/format.js';
import type { ReportOutputs } from './options.js';
import { log } from '../log.js';

/**
 * Where a report goes: table on stdout, or pure JSON on stdout with `--json -` (then everything
 * else, gate lines included, goes to stderr); report files (--json file, --html, --junit); and
 * finally the gates, which turn a failed check into exit code 1 (GateFailure) after every file is
 * written.
 */
export interface EmitOptions {
  json?: string;
  quiet?: boolean;
  table: TableOptions;
  outputs?: ReportOutputs;
}

/** The terminal body: per-candidate tables, or summaries plus one side-by-side table for ≥ 2 candidates. */
function renderBody(report: Report, opt: EmitOptions): string {
  const summaries = () => report.candidates.map((c) => renderSummary(c, report, opt.table.color)).join('\n\n');
  if (opt.quiet) return summaries();
  if (report.candidates.length >= 2) return `${summaries()}\n\n${renderCandidatesTable(report, opt.table)}`;
  return renderReport(report, opt.table);
}

export async function emitReport(report: Report, opt: EmitOptions, extra: (r: Report) => string[] = () => []): Promise<GateResult[]> {
  const gates = opt.outputs?.gates.length ? evaluateGates(report, opt.outputs.gates) : [];
  const toStdout = opt.json !== '-';
  const color = !!opt.table.color;
  const gateLines = gateSummary(gates).map((l, i) => (at(gates, i).passed ? ansi.green(l, color) : ansi.red(l, color)));
  if (toStdout) {
    process.stdout.write(`${[...extra(report), renderBody(report, opt), ...gateLines].join('\n')}\n`);
  } else {
    process.stdout.write(reportToJson(report) + '\n');
    // stderr may be a terminal while stdout is piped: colour follows stdout's useColor, so plain here.
    for (const line of gateSummary(gates)) log.warn(line);
  }
  if (opt.json && opt.json !== '-') { writeJsonReport(report, opt.json); log.info(`wrote ${opt.json}`); }
  if (opt.outputs?.html) { await writeHtmlReport(report, opt.outputs.html, gates); log.info(`wrote ${opt.outputs.html}`); }
  if (opt.outputs?.junit) { writeJunit(opt.outputs.junit, gates, report.timing.totalMs / 1000); log.info(`wrote ${opt.outputs.junit}`); }
  const t = report.timing;
  log.verbose(`timing: ${(t.totalMs / 1000).toFixed(2)} s in all; ${t.modelRuns} model run(s) ${(t.runMs / 1000).toFixed(2)} s, comparing ${(t.compareMs / 1000).toFixed(2)} s, dumps ${(t.dumpMs / 1000).toFixed(2)} s`);
  const failed = gates.filter((g) => !g.passed);
  if (failed.length) {
    throw new GateFailure(`${failed.length} of ${gates.length} gate check(s) failed: ${failed.map((g) => `${g.gate} (${g.message})`).join('; ')}`);
  }
  return gates;
}
