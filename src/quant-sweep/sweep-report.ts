import Table from 'cli-table3';
import { fmtDb, fmtNum, jsonNumbers } from '../report/format.js';
import type { SweepResult, SweepRow } from './calibration-sweep.js';
import { combinationLabel } from './sweep-spec.js';

/**
 * The sweep as a terminal table (one row per combination) or JSON (the same rows, plus every
 * tensor's scale per combination for plotting).
 */
export function formatSweepTable(r: SweepResult): string {
  const slice = `${r.output}[${r.scoreChannels[0]}:${r.scoreChannels[1] ?? ''}]`;
  const lines: string[] = [];
  lines.push(`${r.model}: calibration sweep over ${r.axes.map((a) => `${a.axis}=${a.values.join(',')}`).join(' × ')} (${r.rows.length} combinations)`);
  lines.push(`evaluated on ${r.evalInputs.join(', ')}; FP32 ${slice} max ${fmtNum(r.fp32.maxScore, 3)}`);
  const axes = r.axes.map((a) => a.axis);
  const t = new Table({
    head: [...axes, 'images used', `${r.output} SQNR dB`, `${slice} SQNR dB`, `${slice} max`, 'scale move (median |log2|)', 'moved most (log2)'],
    style: { head: [], border: [], compact: true },
  });
  for (const row of r.rows) {
    t.push([...axes.map((a) => String(row.combination[a])), usedImages(row, axes.includes('images')), fmtDb(row.outputSqnrDb), fmtDb(row.scoreSqnrDb), fmtNum(row.maxScore, 3), fmtNum(row.movement.medianAbsLog2, 3), mostMoved(row)]);
  }
  lines.push(t.toString());
  lines.push('scale move: |log2(scale / scale of the first row)| over the activations quantized in both models (1.0 = a factor of 2)');
  const missing = r.rows.filter((x) => x.missing > 0);
  for (const x of missing) lines.push(`warning: ${combinationLabel(x.combination, r.axes)}: ${x.missing} activation(s) left float (no usable scale)`);
  if (r.keptIn) lines.push(`caches and Q/DQ models kept in ${r.keptIn}`);
  return lines.join('\n');
}

export function sweepJson(r: SweepResult): string {
  return JSON.stringify(r, jsonNumbers, 2);
}

/** Images used; flagged when a swept set size asked for more than the inputs hold (rows then repeat). */
function usedImages(row: SweepRow, swept: boolean): string {
  return !swept || row.images === row.combination.images ? String(row.images) : `${row.images} (of ${row.combination.images} asked)`;
}

function mostMoved(row: SweepRow): string {
  const m = row.movement;
  if (m.tensor === null) return '-';
  if (m.log2 === 0) return '0';
  return `${m.tensor} (${m.log2 > 0 ? '+' : ''}${m.log2.toFixed(3)})`;
}
