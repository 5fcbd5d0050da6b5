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
import type { Analysis, StartedAnalysis } from '../../analysis/analysis.js';
import { runWorkers, workerCount, writeShard } from '../sharding.js';
import type { ComparisonResult } from '../../compare/compare-models.js';
import { isEnginePath, TrtRunner } from '../../runners/trt-runner.js';
import { tensorRtBackend } from '../../runners/tensorrt-backend.js';
import { loadEngineModel, type EngineModel } from '../../runners/engine-model.js';
import { ortBackend, type OpenRunner } from '../../runners/open-runner.js';
import { parseShapes } from '../../runners/engine-build.js';
import { assertComplete } from '../../compare/coverage.js';
import { planOutputs } from '../../output/output-plan.js';
import { runOutputs } from '../output-flags.js';

export interface RunArgs {
  fp32: string;
  int8: string[];
  input: string[];
  dump?: string;
  [k: string]: unknown;
}

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

/** An ONNX model, external data inlined. Commands that rewrite graphs refuse engines here. */
export function openModel(file: string): OnnxModel {
  if (isEnginePath(file)) throw new UserError('this command rewrites the ONNX graph: give the ONNX model (engines are compared by `trt-diff run`)', file);
  return loadModel(file); // external data inlined, sandboxed to the model folder
}

/** An ONNX model, or a serialized engine seen through what it exposes (runners/engine-model.ts). */
async function openSource(file: string): Promise<{ model: OnnxModel; engine?: EngineModel }> {
  if (!isEnginePath(file)) return { model: openModel(file) };
  const engine = await loadEngineModel(file);
  return { model: engine.model, engine };
}

/** One line for each engine that exposes only its outputs: what a per-layer comparison needs. */
export function plainEngineNote(e: EngineModel): string {
  return `note: ${e.enginePath} exposes only its outputs (no layer map beside it); for a per-layer comparison, build it with \`trt-diff build <model.onnx> -o ${e.enginePath}\` from the ONNX model, with the same TensorRT version and flags`;
}

/** Ultralytics .engine metadata of a detector: its head layout, so the verdict works without a graph. */
function headFromMetadata(e: EngineModel | undefined): string | undefined {
  const names = e?.metadata?.['names'];
  if (e?.metadata?.['task'] !== 'detect' || !names || typeof names !== 'object') return undefined;
  return `boxes=0:4,scores=4:${4 + Object.keys(names).length}`;
}

/** The run's parsed input options (warnings to stderr). */
function runInputOptions(a: RunArgs) {
  return toInputOptions(a, (s) => process.stderr.write(`${s}\n`));
}

/** The main job, shared by `run` and `demo`; with several workers, shards merged (cli/sharding.ts). */
export async function runComparison(a: RunArgs): Promise<Report> {
  const workers = workerCount(a);
  if (workers > 1) return runWorkers(a, workers);
  const { fp32, int8, runs, result } = await compareRun(a);
  return finishReport(a, fp32, int8, runs, result);
}

/** Runs the comparison (one shard of the inputs with `shard`), analyses observing it. */
export async function compareRun(a: RunArgs, shard?: { index: number; count: number }) {
  const warn = (s: string) => process.stderr.write(`${s}\n`);
  const inputOpts = runInputOptions(a);
  const dumpDir = pathFlag(a, 'dump');
  const maxBytesPerRun = toMaxBytes(a);
  const threads = toThreads(a);
  for (const flag of ['engine-dir', 'trt-cache']) {
    if (a[flag] !== undefined && a.backend !== 'tensorrt') throw new UserError(`--${flag} applies to --backend tensorrt only`);
  }
  const [ref, ...cands] = await Promise.all([a.fp32, ...a.int8].map(openSource));
  const fp32 = ref!.model;
  const int8 = cands.map((c) => c.model);
  const engines = new Map([ref!, ...cands].filter((s) => s.engine).map((s) => [s.model, s.engine!]));
  for (const e of engines.values()) if (!e.layered) warn(plainEngineNote(e));
  if (a.head === 'auto' && ref!.engine && !ref!.engine.layered) a.head = headFromMetadata(ref!.engine) ?? a.head;
  const shapes = a.shapes ? parseShapes(a.shapes as string[]) : undefined;
  const backend: OpenRunner | undefined = a.backend === 'tensorrt'
    ? tensorRtBackend({ engineDir: a['engine-dir'] as string | undefined, calibrationCache: a['trt-cache'] as string | undefined, ...(shapes ? { inputShapes: shapes } : {}) })
    : engines.size > 0 ? ortBackend(threads) : undefined;
  // Engines given on the command line run as they are; ONNX models on the chosen backend.
  const openRunner: OpenRunner | undefined = backend && (async (model, mark, role) => {
    const e = engines.get(model);
    return e ? TrtRunner.open(e.enginePath) : backend(model, mark, role);
  });
  const progress = progressBar('comparing', inputOpts.maxSamples, !!process.stderr.isTTY && !a.quiet);
  const analyses = ANALYSES.filter((an) => an.enabled(a));
  const runs: StartedAnalysis[] = analyses.map((an) => ({ name: an.name, run: an.start(a, fp32, int8) }));
  const observers = runs.flatMap((r) => r.run.observers);
  const result = await compareModels(fp32, int8, {
    shard,
    observers,
    inputs: inputSpecs(a),
    inputOptions: inputOpts,
    dumpDir,
    maxBytesPerRun,
    threads,
    // An engine's outputs are what it is: there is no uninstrumented version to check against.
    noPerturbationCheck: a['perturbation-check'] === false || cands.some((c) => c.engine),
    ...(openRunner ? { openRunner } : {}),
    onProgress: (n, s) => progress.update(n, s),
    warn,
  });
  progress.finish();
  return { fp32, int8, runs, result };
}

/** The report of a comparison (run, or merged partial runs): divergence, then every analysis. */
export async function finishReport(a: RunArgs, fp32: OnnxModel, int8: OnnxModel[], runs: readonly StartedAnalysis[], result: ComparisonResult): Promise<Report> {
  const outputs = fp32.proto.graph!.output.map((o) => o.name);
  const report = buildReport(result, toDivergenceOptions(a), outputs);
  const inputs = { specs: inputSpecs(a), options: runInputOptions(a) };
  for (const r of runs) await r.run.finish(report, { fp32, int8, result, args: a, inputs });
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
    planOutputs(runOutputs(argv), [argv.fp32, argv.int8, argv.input, argv['trt-cache']]);
    const report = await withPolygraphyJson(argv, () => runComparison(argv));
    await emitReport(report, { json: toJsonTarget(argv), quiet: argv.quiet as boolean, table, outputs }, (r) =>
      [...analysisLines(r, argv, !!table.color), ...(argv.dump !== undefined ? [`dumps written to ${argv.dump}/`] : [])]);
    assertComplete(report.candidates, !!argv['allow-partial']);
  },
};
