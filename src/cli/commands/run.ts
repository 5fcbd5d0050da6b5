import type { Argv } from 'yargs';
import { loadModel, type OnnxModel } from '../../graph/onnx-model.js';
import { compareModels } from '../../compare/compare-models.js';
import { buildReport, type Report } from '../../report/report.js';
import { UserError } from '../../errors.js';
import { inputOptions, inputSpecs, int8Option, maxMemoryOption, polygraphyOutputOption, reportOutputOptions, tableOptions, thresholdOptions, threadsOption, toDivergenceOptions, toInputOptions, toJsonTarget, toMaxBytes, toReportOutputs, toTableOptions, toThreads } from '../options.js';
import { MAX_THREADS, numeric, pathFlag } from '../flag-values.js';
import { withPolygraphyJson } from '../../interop/run-outputs.js';
import { emitReport } from '../emit.js';
import { progressBar } from '../../report/progress.js';
import { ANALYSES } from '../../analysis/registry.js';
import type { Analysis } from '../../analysis/analysis.js';
import { runWorkers, workerCount, writeShard } from '../sharding.js';
import type { ComparisonResult } from '../../compare/compare-models.js';
import { isEnginePath, trtUnavailableReason } from '../../runners/trt-runner.js';
import { tensorRtBackend } from '../../runners/tensorrt-backend.js';

export interface RunArgs {
  fp32: string;
  int8: string[];
  input: string[];
  dump?: string;
  [k: string]: unknown;
}

export function runBuilder<T>(y: Argv<T>) {
  const withAnalyses = ANALYSES.reduce((acc, an) => (an.options ? an.options(acc) : acc), y);
  const models = int8Option(withAnalyses.option('fp32', { type: 'string', demandOption: true, describe: 'reference model (.onnx)' }));
  return polygraphyOutputOption(reportOutputOptions(tableOptions(thresholdOptions(inputOptions(maxMemoryOption(threadsOption(models))
    .option('dump', { type: 'string', requiresArg: true, describe: 'folder for Arrow dumps of every tensor (fp32.arrow, int8.arrow)' })
    .option('perturbation-check', { type: 'boolean', default: true, describe: 'also run the INT8 model uninstrumented on the first input and report how much exposing every tensor changes its outputs (--no-perturbation-check skips it)' })
    .option('backend', { choices: ['onnxruntime', 'tensorrt'] as const, default: 'onnxruntime' as const, describe: 'run on ONNX Runtime (CPU), or build TensorRT engines from the ONNX models (native addon with TensorRT)' })
    .option('engine-dir', { type: 'string', describe: 'tensorrt backend: keep the built engines in this folder' })
    .option('trt-cache', { type: 'string', describe: 'tensorrt backend, TensorRT 10: calibration cache for an FP32 --int8 model (implicit INT8)' })
    .option('workers', { ...numeric, describe: `processes comparing disjoint samples, merged exactly (1 to ${MAX_THREADS}; default: one per 4 cores; 1 with --html/--local/--dump/--polygraphy-json)`, group: 'Scaling:' })
    .option('shard', { type: 'string', describe: 'K/N: compare only samples i with i mod N = K-1 (with --partial; docs/scaling.md)', group: 'Scaling:' })
    .option('partial', { type: 'string', describe: 'write this shard\'s mergeable sums to FILE instead of a report (`trt-diff merge` joins them)', group: 'Scaling:' }))))));
}

export function openModel(file: string): OnnxModel {
  if (isEnginePath(file)) {
    const why = trtUnavailableReason();
    if (why) throw new UserError(`TensorRT runner not available: ${why}`, file);
    // A prebuilt engine exposes only the outputs it was built with, and has no graph to pair through.
    throw new UserError('prebuilt engines expose only their own outputs: pass the ONNX models with --backend tensorrt, and trt-diff builds engines with every tensor marked', file);
  }
  return loadModel(file); // external data inlined, sandboxed to the model folder
}

/** The run's parsed input options (warnings to stderr). */
function runInputOptions(a: RunArgs) {
  return toInputOptions(a, (s) => process.stderr.write(`${s}\n`));
}

/** The main job, shared by `run` and `demo`; with several workers, shards merged (cli/sharding.ts). */
export async function runComparison(a: RunArgs): Promise<Report> {
  const workers = workerCount(a);
  if (workers > 1) return runWorkers(a, workers);
  const { fp32, int8, analyses, result } = await compareRun(a);
  return finishReport(a, fp32, int8, analyses, result);
}

/** Runs the comparison (one shard of the inputs with `shard`), analyses observing it. */
export async function compareRun(a: RunArgs, shard?: { index: number; count: number }) {
  const inputOpts = runInputOptions(a);
  const dumpDir = pathFlag(a, 'dump');
  const maxBytesPerRun = toMaxBytes(a);
  const threads = toThreads(a);
  for (const flag of ['engine-dir', 'trt-cache']) {
    if (a[flag] !== undefined && a.backend !== 'tensorrt') throw new UserError(`--${flag} applies to --backend tensorrt only`);
  }
  const fp32 = openModel(a.fp32);
  const int8 = a.int8.map(openModel);
  const progress = progressBar('comparing', inputOpts.maxSamples, !!process.stderr.isTTY && !a.quiet);
  const analyses = ANALYSES.filter((an) => an.enabled(a));
  const observers = analyses.flatMap((an) => an.observers?.(a, fp32, int8) ?? []);
  const result = await compareModels(fp32, int8, {
    shard,
    observers,
    inputs: inputSpecs(a),
    inputOptions: inputOpts,
    dumpDir,
    maxBytesPerRun,
    threads,
    noPerturbationCheck: a['perturbation-check'] === false,
    ...(a.backend === 'tensorrt' ? { openRunner: tensorRtBackend({ engineDir: a['engine-dir'] as string | undefined, calibrationCache: a['trt-cache'] as string | undefined }) } : {}),
    onProgress: (n, s) => progress.update(n, s),
  });
  progress.finish();
  return { fp32, int8, analyses, result };
}

/** The report of a comparison (run, or merged partial runs): divergence, then every analysis. */
export async function finishReport(a: RunArgs, fp32: OnnxModel, int8: OnnxModel[], analyses: Analysis[], result: ComparisonResult): Promise<Report> {
  const outputs = fp32.proto.graph!.output.map((o) => o.name);
  const report = buildReport(result, toDivergenceOptions(a), outputs);
  const inputs = { specs: inputSpecs(a), options: runInputOptions(a) };
  for (const an of analyses) await an.finish(report, { fp32, int8, result, args: a, inputs });
  return report;
}

/** Lines the enabled analyses want above each candidate's table. */
export function analysisLines(report: Report, args: Record<string, unknown>, color: boolean): string[] {
  const lines: string[] = [];
  for (const an of ANALYSES.filter((x) => x.enabled(args) && x.render)) {
    report.candidates.forEach((_, k) => lines.push(...an.render!(report, k, color)));
  }
  return lines;
}

export const command = {
  command: 'run',
  describe: 'run FP32 and INT8 models on identical inputs and compare every tensor',
  builder: runBuilder,
  handler: async (argv: RunArgs) => {
    if (argv.partial !== undefined || argv.shard !== undefined) return writeShard(argv);
    const table = toTableOptions(argv); // validate output flags before the long run
    const outputs = toReportOutputs(argv);
    const report = await withPolygraphyJson(argv, () => runComparison(argv));
    await emitReport(report, { json: toJsonTarget(argv), quiet: argv.quiet as boolean, table, outputs }, (r) =>
      [...analysisLines(r, argv, !!table.color), ...(argv.dump ? [`dumps written to ${argv.dump}/`] : [])]);
  },
};
