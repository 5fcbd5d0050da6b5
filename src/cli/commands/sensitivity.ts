import type { Argv } from 'yargs';
import Table from 'cli-table3';
import { writeFileAtomic } from '../../graph/onnx-model.js';
import { UserError } from '../../errors.js';
import { ansi, fmtDb, jsonNumbers, useColor } from '../../report/format.js';
import { layerwiseSensitivity, type SensitivityResult } from '../../localize/sensitivity.js';
import { parseChannels, parseMetric } from '../../localize/targets.js';
import { inputOptions, toInputOptions } from '../options.js';
import { progressBar } from '../../report/progress.js';
import { openModel } from './run.js';

interface SensitivityArgs {
  fp32: string;
  int8: string;
  input: string[];
  metric: string;
  'score-channels': string;
  'all-ops': boolean;
  ops?: string;
  'per-image': boolean;
  labels?: string;
  weights: 'fp32' | 'dequantized';
  top: number;
  json?: string;
  threads?: number;
  [k: string]: unknown;
}

export function renderSensitivity(r: SensitivityResult, top: number, color: boolean): string {
  const v = (x: number) => (r.metric.startsWith('cosine') ? x.toFixed(5) : fmtDb(x));
  const lines = [
    ansi.bold(`sensitivity: ${r.metric}, ${r.images} image(s), one op quantized at a time (${r.ops.length} ops, ${r.evaluations} evaluations, ${(r.ms / 1000).toFixed(1)} s)`, color),
    `  INT8 as given: ${v(r.int8)}   no op quantized: ${v(r.float)}`,
  ];
  const t = new Table({ head: ['rank', 'op', 'type', r.metric, ...(r.perImage ? ['worst image'] : [])], style: { head: [], border: [], compact: true } });
  r.ops.slice(0, top > 0 ? top : undefined).forEach((o, i) => t.push([String(i + 1), o.name, o.opType, v(o.value), ...(r.perImage ? [o.worstImage ? `${o.worstImage.sample} (${v(o.worstImage.value)})` : ''] : [])]));
  lines.push(t.toString());
  if (r.perImage) {
    lines.push(ansi.bold('images, worst first (INT8 as given; the op that hurts each most alone):', color));
    for (const p of r.perImage.slice(0, top > 0 ? top : undefined)) lines.push(`  ${p.sample}: ${v(p.int8)}  worst op ${p.worstOp} (${v(p.worstOpValue)})`);
  }
  return lines.join('\n');
}

export const command = {
  command: 'sensitivity',
  describe: 'rank ops by the output error each causes when it alone is quantized (all others float)',
  builder: <T>(y: Argv<T>) => inputOptions(y)
    .option('fp32', { type: 'string', demandOption: true, describe: 'FP32 reference model (.onnx)' })
    .option('int8', { type: 'string', demandOption: true, describe: 'Q/DQ INT8 model (.onnx)' })
    .option('metric', { type: 'string', default: 'sqnr', describe: 'what to rank by: sqnr, cosine, class_sqnr or map50_drop (with --labels), optionally @output' })
    .option('score-channels', { type: 'string', default: '4:', describe: 'class_sqnr: rows START:END of output axis 1' })
    .option('labels', { type: 'string', describe: 'map50_drop: folder of YOLO label files named like the images' })
    .option('all-ops', { type: 'boolean', default: false, describe: 'every op touched by Q/DQ, not only ops with quantized weights (slower)' })
    .option('ops', { type: 'string', describe: 'only ops whose name or op type matches this regex' })
    .option('per-image', { type: 'boolean', default: false, describe: 'also rank the images that suffer most (bad calibration images)' })
    .option('weights', { choices: ['fp32', 'dequantized'] as const, default: 'fp32' as const, describe: 'weights of float ops: from the FP32 model, or the Q/DQ model\'s rounded ones' })
    .option('top', { type: 'number', default: 20, describe: 'rows to show (0: all)' })
    .option('json', { type: 'string', describe: 'write the result as JSON (use - for stdout)' })
    .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads' }),
  handler: async (a: SensitivityArgs) => {
    const metric = parseMetric(a.metric);
    const channels = parseChannels(a['score-channels']);
    let filter: RegExp | undefined;
    if (a.ops !== undefined) {
      try { filter = new RegExp(a.ops); } catch { throw new UserError(`--ops is not a valid regular expression: ${a.ops}`); }
    }
    const warn = (s: string) => process.stderr.write(`${s}\n`);
    const progress = progressBar('sensitivity');
    const result = await layerwiseSensitivity({
      fp32: openModel(a.fp32), int8: openModel(a.int8), inputs: a.input, inputOptions: toInputOptions(a, warn),
      metric, channels, scope: a['all-ops'] ? 'all' : 'weighted', filter, weights: a.weights, perImage: a['per-image'], labels: a.labels, threads: a.threads,
      onProgress: (done, total, op) => progress.update(done, `${done}/${total} ${op}`),
    });
    progress.finish();
    const json = JSON.stringify(result, jsonNumbers, 2);
    if (a.json === '-') { process.stdout.write(`${json}\n`); return; }
    process.stdout.write(`${renderSensitivity(result, a.top, useColor())}\n`);
    if (a.json) { writeFileAtomic(a.json, `${json}\n`); warn(`wrote ${a.json}`); }
  },
};
