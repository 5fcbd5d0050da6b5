import type { Argv } from 'yargs';
import Table from 'cli-table3';
import { writeFileAtomic } from '../../output/output-session.js';
import { planOutputs } from '../../output/output-plan.js';
import { UserError } from '../../errors.js';
import { ansi, fmtDb, jsonNumbers, useColor } from '../../report/format.js';
import { layerwiseSensitivity, type SensitivityResult } from '../../localize/sensitivity.js';
import { parseMetric } from '../../localize/targets.js';
import { inputOptions, inputSpecs, int8Option, jsonOption, scoreChannelsOption, threadsOption, toInputOptions, toJsonTarget, toScoreChannelPair, toThreads, toTop, topOption } from '../options.js';
import { progressBar } from '../../report/progress.js';
import { termName } from '../../report/terminal-text.js';
import { openModel } from './run.js';
import { log } from '../../log.js';

interface SensitivityArgs {
  fp32: string;
  int8: string[];
  metric: string;
  'all-ops': boolean;
  ops?: string;
  'per-image': boolean;
  labels?: string;
  weights: 'fp32' | 'dequantized';
  [k: string]: unknown;
}

function renderSensitivity(r: SensitivityResult, top: number, color: boolean): string {
  const v = (x: number) => (r.metric.startsWith('cosine') ? x.toFixed(5) : fmtDb(x));
  const lines = [
    ansi.bold(`sensitivity: ${r.metric}, ${r.images} image(s), one op quantized at a time (${r.ops.length} ops, ${r.evaluations} evaluations, ${(r.ms / 1000).toFixed(1)} s)`, color),
    `  INT8 as given: ${v(r.int8)}   no op quantized: ${v(r.float)}`,
  ];
  const t = new Table({ head: ['rank', 'op', 'type', r.metric, ...(r.perImage ? ['worst image'] : [])], style: { head: [], border: [], compact: true } });
  r.ops.slice(0, top > 0 ? top : undefined).forEach((o, i) => t.push([String(i + 1), termName(o.name, 60), termName(o.opType, 24), v(o.value), ...(r.perImage ? [o.worstImage ? `${termName(o.worstImage.sample, 60)} (${v(o.worstImage.value)})` : ''] : [])]));
  lines.push(t.toString());
  if (r.perImage) {
    lines.push(ansi.bold('images, worst first (INT8 as given; the op that hurts each most alone):', color));
    for (const p of r.perImage.slice(0, top > 0 ? top : undefined)) lines.push(`  ${termName(p.sample)}: ${v(p.int8)}  worst op ${termName(p.worstOp)} (${v(p.worstOpValue)})`);
  }
  return lines.join('\n');
}

export const command = {
  command: 'sensitivity',
  describe: 'rank ops by the output error each causes when it alone is quantized (all others float)',
  builder: <T>(y: Argv<T>) => jsonOption(threadsOption(topOption(scoreChannelsOption(int8Option(inputOptions(y)
    .option('fp32', { type: 'string', demandOption: true, describe: 'FP32 reference model (.onnx)' }),
  'Q/DQ INT8 model(s) (.onnx; repeat to rank each in turn)'), 'class_sqnr: rows of output axis 1'), 20)), 'write the result as JSON (- for stdout)')
    .option('metric', { type: 'string', default: 'sqnr', describe: 'what to rank by: sqnr, cosine, class_sqnr or map50_drop (with --labels), optionally @output' })
    .option('labels', { type: 'string', describe: 'map50_drop: folder of YOLO label files named like the images' })
    .option('all-ops', { type: 'boolean', default: false, describe: 'every op touched by Q/DQ, not only ops with quantized weights (slower)' })
    .option('ops', { type: 'string', describe: 'only ops whose name or op type matches this regex' })
    .option('per-image', { type: 'boolean', default: false, describe: 'also rank the images that suffer most (bad calibration images)' })
    .option('weights', { choices: ['fp32', 'dequantized'] as const, default: 'fp32' as const, describe: 'weights of float ops: from the FP32 model, or the Q/DQ model\'s rounded ones' }),
  handler: async (a: SensitivityArgs) => {
    planOutputs([{ flag: '--json', path: toJsonTarget(a) }], [a.fp32, a.int8, a.input]);
    const metric = parseMetric(a.metric);
    const channels = toScoreChannelPair(a);
    const json = toJsonTarget(a);
    const top = toTop(a);
    const threads = toThreads(a);
    let filter: RegExp | undefined;
    if (a.ops !== undefined) {
      try { filter = new RegExp(a.ops); } catch { throw new UserError(`--ops is not a valid regular expression: ${a.ops}`); }
    }
    const inputOpts = toInputOptions(a, log.warn);
    const fp32 = openModel(a.fp32);
    const results: object[] = [];
    for (const file of a.int8) {
      const progress = progressBar('sensitivity');
      const result = await layerwiseSensitivity({
        fp32, int8: openModel(file), inputs: inputSpecs(a), inputOptions: inputOpts,
        metric, channels, scope: a['all-ops'] ? 'all' : 'weighted', filter, weights: a.weights, perImage: a['per-image'], labels: a.labels, threads,
        onProgress: (done, total, op) => progress.update(done, `${done}/${total} ${op}`),
      });
      progress.finish();
      results.push(a.int8.length > 1 ? { candidate: file, ...result } : result);
      if (json !== '-') process.stdout.write(`${a.int8.length > 1 ? `${file}:\n` : ''}${renderSensitivity(result, top ?? 0, useColor())}\n`);
    }
    // One candidate: its result; several: one result each, in --int8 order.
    const text = JSON.stringify(results.length === 1 ? results[0] : results, jsonNumbers, 2);
    if (json === '-') process.stdout.write(`${text}\n`);
    else if (json) { writeFileAtomic(json, `${text}\n`); log.info(`wrote ${json}`); }
  },
};
