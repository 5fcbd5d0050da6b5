import type { Argv } from 'yargs';
import type { Report } from '../../report/report.js';
import { inputOptions, int8Option, maxMemoryOption, polygraphyOutputOption, reportOutputOptions, tableOptions, thresholdOptions, threadsOption } from '../options.js';
import { MAX_THREADS, numeric, } from '../flag-values.js';
import { withPolygraphyJson } from '../../interop/run-outputs.js';
import { emitReport } from '../emit.js';
import { ANALYSES } from '../../analysis/registry.js';
import { runWorkers, workerCount, writeShard } from '../sharding.js';
import { assertComplete } from '../../compare/coverage.js';
import { planOutputs } from '../../output/output-plan.js';
import { runOutputs } from '../output-flags.js';

import { compareRun, finishReport } from '../run-comparison.js';
import { parseRunOptions, type RunOptions } from '../run-options.js';
import type { EnabledAnalysis } from '../../analysis/analysis.js';

export { openModel } from '../run-comparison.js';

export function runBuilder<T>(y: Argv<T>) {
  const withAnalyses = ANALYSES.reduce((acc, an) => (an.options ? an.options(acc) : acc), y);
  const models = int8Option(withAnalyses.option('fp32', { type: 'string', demandOption: true, describe: 'reference model (.onnx, or a TensorRT .engine/.plan)' }), 'quantized model(s) to compare (.onnx or .engine/.plan; repeat for several candidates)');
  return polygraphyOutputOption(reportOutputOptions(tableOptions(thresholdOptions(inputOptions(maxMemoryOption(threadsOption(models))
    .option('dump', { type: 'string', requiresArg: true, describe: 'folder for Arrow dumps of every tensor (fp32.arrow, int8.arrow)' })
    .option('perturbation-check', { type: 'boolean', default: true, describe: 'also run the INT8 model uninstrumented on the first input and report how much exposing every tensor changes its outputs (--no-perturbation-check skips it)' })
    .option('backend', { choices: ['onnxruntime', 'tensorrt'] as const, default: 'onnxruntime' as const, describe: 'run on ONNX Runtime (CPU), or build TensorRT engines from the ONNX models (native addon with TensorRT)' })
    .option('engine-dir', { type: 'string', describe: 'tensorrt backend: keep the built engines (and their layer maps) in this folder' })
    .option('shapes', { type: 'string', array: true, describe: 'tensorrt backend: shapes of inputs with dynamic dims, e.g. images:1x3x640x640' })
    .option('allow-partial', { type: 'boolean', default: false, describe: 'exit 0 even when some requested tensor pairs never arrived from a runner (they are still named in the report)' })
    .option('trt-cache', { type: 'string', describe: 'tensorrt backend, TensorRT 10: calibration cache for an FP32 --int8 model (implicit INT8)' })
    .option('workers', { ...numeric, describe: `processes comparing disjoint samples, merged exactly (1 to ${MAX_THREADS}; default: one per 4 cores; 1 with --html/--local/--dump/--polygraphy-json)`, group: 'Scaling:' })
    .option('shard', { type: 'string', describe: 'K/N: compare only samples i with i mod N = K-1 (with --partial; docs/scaling.md)', group: 'Scaling:' })
    .option('partial', { type: 'string', describe: 'write this shard\'s mergeable sums to FILE instead of a report (`trt-diff merge` joins them)', group: 'Scaling:' }))))));
}
/** The main job, shared by `run` and `demo`; with several workers, shards merged (cli/sharding.ts). @internal */
export async function runComparison(o: RunOptions): Promise<Report> {
  const workers = workerCount(o);
  if (workers > 1) return runWorkers(o, workers);
  const { fp32, int8, runs, result } = await compareRun(o);
  return finishReport(o, fp32, int8, runs, result);
}

/** Lines the enabled analyses want above each candidate's table. */
export function analysisLines(report: Report, analyses: readonly EnabledAnalysis[], color: boolean): string[] {
  const lines: string[] = [];
  for (const an of analyses) {
    if (an.render) for (const k of report.candidates.keys()) lines.push(...an.render(report, k, color));
  }
  return lines;
}

/** run and demo, once argv is parsed: shard only, or compare (workers or not) and emit the report. */
export async function runCommand(o: RunOptions, extraLines: string[] = []): Promise<void> {
  if (o.scaling.partial !== undefined || o.scaling.shard !== undefined) return writeShard(o);
  const { table, json, quiet, reports, allowPartial } = o.output;
  planOutputs(runOutputs(o), [o.fp32, o.int8, o.inputs.specs, o.backend.kind === 'tensorrt' ? o.backend.calibrationCache : undefined]);
  const report = await withPolygraphyJson(o, (dump) => runComparison({ ...o, dump }));
  await emitReport(report, { json, quiet, table, outputs: reports }, (r) => [...analysisLines(r, o.analyses, !!table.color), ...extraLines]);
  assertComplete(report.candidates, allowPartial);
}

export const command = {
  command: 'run',
  describe: 'run FP32 and INT8 models on identical inputs and compare every tensor',
  builder: runBuilder,
  handler: async (argv: Record<string, unknown>) => {
    const o = parseRunOptions(argv); // every flag checked before the long run
    await runCommand(o, o.dump !== undefined ? [`dumps written to ${o.dump}/`] : []);
  },
};
