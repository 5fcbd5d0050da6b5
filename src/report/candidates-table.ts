import * as path from 'node:path';
import Table from 'cli-table3';
import type { Report, ReportRow } from './report.js';
import { ansi, fmtDb } from './format.js';
import { selectRows, type TableOptions } from './table.js';
import { divergenceLine, verdictOf } from './gates.js';
import { termName } from './terminal-text.js';
import { at } from '../errors.js';

/**
 * Several INT8 candidates side by side (calibrator A/B): one row per FP32 tensor, one SQNR column
 * per candidate, the worst of a row in red; each candidate's first divergence is marked in its
 * column and listed above. --filter/--sort/--top apply to the worst SQNR across candidates.
 */
/** File name of a model path; a runner selector (`file.json#runner`) is kept whole after the file name. */
export function modelLabel(p: string): string {
  const i = p.indexOf('#');
  return i > 0 ? `${path.basename(p.slice(0, i))}${p.slice(i)}` : path.basename(p);
}

export function renderCandidatesTable(report: Report, opt: TableOptions = {}): string {
  const color = opt.color ?? false;
  const cands = report.candidates;
  const labels = cands.map((_, k) => String.fromCharCode(65 + (k % 26)));
  const byName = cands.map((c) => new Map(c.rows.map((r) => [r.name, r])));
  // One synthetic row per tensor carrying the worst SQNR, so selectRows sorts and filters it.
  const merged = new Map<string, ReportRow>();
  for (const c of cands) {
    for (const r of c.rows) {
      const m = merged.get(r.name);
      if (!m || r.metrics.sqnrDb < m.metrics.sqnrDb) merged.set(r.name, r);
    }
  }
  const lines = ['Candidates side by side (SQNR dB per tensor; >> marks each one\'s first divergence):'];
  cands.forEach((c, k) => {
    const out = Object.entries(c.summary.outputSqnrDb).map(([o, s]) => `${termName(o)} ${fmtDb(s)} dB`).join(', ');
    lines.push(`  ${labels[k]} = ${termName(modelLabel(c.model.path), 200)}: verdict ${verdictOf(c)}; ${divergenceLine(c)}${out ? `; output ${out}` : ''}`);
  });
  const table = new Table({
    head: ['#', 'op', 'tensor', ...labels.map((l) => `${l} SQNR`)],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
    colAligns: ['right', 'left', 'left', ...labels.map(() => 'right' as const)],
  });
  const width = opt.nameWidth ?? 46;
  for (const row of selectRows([...merged.values()], opt)) {
    const vals = byName.map((m) => m.get(row.name)?.metrics.sqnrDb);
    const finite = vals.filter((v): v is number => v !== undefined && !Number.isNaN(v));
    const worst = finite.length > 1 ? Math.min(...finite) : undefined;
    const cells = vals.map((v, k) => {
      if (v === undefined) return '—';
      const mark = at(cands, k).firstDivergence?.tensor === row.name ? '>> ' : '';
      const s = `${mark}${fmtDb(v)}`;
      return v === worst && finite.some((x) => x !== v) ? ansi.red(s, color) : s;
    });
    table.push([String(row.order), termName(row.opType, 24), termName(row.name, width), ...cells]);
  }
  return `${lines.join('\n')}\n${table.toString()}`;
}
