import type { Argv } from 'yargs';
import { saveModel } from '../../graph/onnx-model.js';
import { writeFileAtomic } from '../../output/output-session.js';
import { UserError } from '../../errors.js';
import { ansi, fmtDb, jsonNumbers, useColor } from '../../report/format.js';
import { searchFallbackSet, type FallbackSearchResult } from '../../localize/fallback-search.js';
import { parseTarget } from '../../localize/targets.js';
import { inputOptions, inputSpecs, int8Option, jsonOption, maxMemoryOption, scoreChannelsOption, threadsOption, toInputOptions, toJsonTarget, toMaxBytes, toScoreChannelPair, toThreads } from '../options.js';
import { termName, termText } from '../../report/terminal-text.js';
import { openModel } from './run.js';
import { planOutputs } from '../../output/output-plan.js';
import { log } from '../../log.js';

interface BisectArgs {
  fp32: string;
  int8: string[];
  target: string;
  out?: string;
  labels?: string;
  force: boolean;
  weights: 'fp32' | 'dequantized';
  rank: 'local' | 'order';
  [k: string]: unknown;
}

function bisectBuilder<T>(y: Argv<T>) {
  return jsonOption(maxMemoryOption(threadsOption(scoreChannelsOption(int8Option(inputOptions(y)
    .option('fp32', { type: 'string', demandOption: true, describe: 'FP32 reference model (.onnx)' }),
  'Q/DQ INT8 model(s) to fix (.onnx; repeat to search each in turn)'),
  'class_sqnr: rows of output axis 1 (YOLOv8: 4:84); map50_drop: the score rows (boxes are rows 0-3)')),
  'activation budget (MB) of the local-error runs'), 'write the result as JSON (- for stdout)')
    .option('target', { type: 'string', demandOption: true, describe: 'what must hold: "class_sqnr>=25", "sqnr>=30@output0", "cosine>=0.999@output0", "map50_drop<=0.01"' })
    .option('labels', { type: 'string', describe: 'map50_drop: folder of YOLO label files (class cx cy w h) named like the images' })
    .option('out', { type: 'string', describe: 'write the fixed Q/DQ model here (new file)' })
    .option('force', { type: 'boolean', default: false, describe: 'allow --out to replace an existing file (never an input)' })
    .option('weights', { choices: ['fp32', 'dequantized'] as const, default: 'fp32' as const, describe: 'weights of float ops: from the FP32 model, or the Q/DQ model\'s rounded ones' })
    .option('rank', { choices: ['local', 'order'] as const, default: 'local' as const, describe: 'search order: local error (worst first) or graph order' });
}

function renderBisect(r: FallbackSearchResult, color: boolean): string {
  const v = (x: number) => (r.target.includes('sqnr') ? `${fmtDb(x)} dB` : x.toFixed(r.target.startsWith('cosine') ? 5 : 4));
  const lines = [ansi.bold(`bisect: ${r.target} on ${r.output}, ${r.images} image(s), ${r.quantizedOps} quantized ops, ${r.evaluations} evaluations`, color)];
  lines.push(`  INT8 as given: ${v(r.baseline)}${Number.isNaN(r.allFloat) ? '' : `   every op in float: ${v(r.allFloat)}`}`);
  if (!r.set) {
    lines.push(ansi.red(`  target out of reach: even with every quantized op in float the metric is ${v(r.allFloat)}`, color));
    return lines.join('\n');
  }
  if (r.set.length === 0) {
    lines.push(ansi.green('  the INT8 model already meets the target; nothing to change', color));
    return lines.join('\n');
  }
  lines.push((r.met ? ansi.green : ansi.red)(`  keep ${r.set.length} op(s) in float → ${v(r.final)}${r.met ? '' : ' (target missed: the metric is not monotone here)'}`, color));
  for (const o of r.set) lines.push(`    ${termName(o.name)}  (${termName(o.opType, 24)}${o.localSqnrDb === null ? '' : `, local ${fmtDb(o.localSqnrDb)} dB`})`);
  // Flags stay whole (they are meant to be pasted) but escaped: a name's control character must not reach a shell.
  lines.push('  flags:', `    ModelOpt:   ${termText(r.flags.modelopt)}`, `    trtexec:    ${termText(r.flags.trtexec)}`, `    Polygraphy: ${termText(r.flags.polygraphy)}`);
  return lines.join('\n');
}

export const command = {
  command: 'bisect',
  describe: 'find a small set of ops to keep in float (Q/DQ removed) so that a Q/DQ model meets a target',
  builder: bisectBuilder,
  handler: async (a: BisectArgs) => {
    const target = parseTarget(a.target);
    const channels = toScoreChannelPair(a);
    const json = toJsonTarget(a);
    const threads = toThreads(a);
    const maxBytesPerRun = toMaxBytes(a);
    const inputOpts = toInputOptions(a, log.warn);
    if (target.metric === 'map50_drop' && !a.labels) throw new UserError('--target map50_drop needs --labels DIR (YOLO label files named like the images)');
    if (a.out && a.int8.length > 1) throw new UserError(`--out writes one fixed model: give one --int8 (got ${a.int8.length})`);
    const inputs = inputSpecs(a);
    planOutputs([{ flag: '--out', path: a.out, mustBeNew: !a.force }, { flag: '--json', path: json }], [a.fp32, a.int8, inputs, a.labels]);
    if (inputs.length === 0) throw new UserError('bisect needs images to judge the target on (--images DIR or --input ...)');
    const fp32 = openModel(a.fp32);
    const results: object[] = [];
    for (const file of a.int8) {
      const { result, fixed } = await searchFallbackSet({
        fp32, int8: openModel(file), inputs, inputOptions: inputOpts, target, channels, labels: a.labels,
        weights: a.weights, rank: a.rank, threads, maxBytesPerRun, log: log.info,
      });
      let written: string | undefined;
      if (a.out && fixed && result.set && result.set.length > 0) {
        saveModel(fixed, a.out);
        written = a.out;
      }
      results.push({ ...result, ...(a.int8.length > 1 ? { candidate: file } : {}), ...(written ? { out: written } : {}) });
      if (json !== '-') {
        if (a.int8.length > 1) process.stdout.write(`${file}:\n`);
        process.stdout.write(`${renderBisect(result, useColor())}\n`);
        if (written) process.stdout.write(`  fixed model written to ${written}\n`);
      }
      if (!result.set) process.exitCode = 1;
    }
    // One candidate: its result; several: one result each, in --int8 order.
    const text = JSON.stringify(results.length === 1 ? results[0] : results, jsonNumbers, 2);
    if (json === '-') process.stdout.write(`${text}\n`);
    else if (json) { writeFileAtomic(json, `${text}\n`); log.info(`wrote ${json}`); }
  },
};
