import { writeJsonReport, reportToJson } from '../report/json-report.js';
import type { Report } from '../report/report.js';
import { renderReport, renderSummary, type TableOptions } from '../report/table.js';

/** Where a report goes: table on stdout, or pure JSON on stdout with `--json -`. */
export interface EmitOptions {
  json?: string;
  quiet?: boolean;
  table: TableOptions;
}

export function emitReport(report: Report, opt: EmitOptions, extra: (r: Report) => string[] = () => []): void {
  if (opt.json === '-') {
    process.stdout.write(reportToJson(report) + '\n');
    return;
  }
  const body = opt.quiet
    ? report.candidates.map((c) => renderSummary(c, report, opt.table.color)).join('\n\n')
    : renderReport(report, opt.table);
  process.stdout.write(`${[...extra(report), body].join('\n')}\n`);
  if (opt.json) {
    writeJsonReport(report, opt.json);
    process.stderr.write(`wrote ${opt.json}\n`);
  }
}
