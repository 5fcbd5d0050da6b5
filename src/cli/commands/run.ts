import type { Argv } from 'yargs';
import { loadModel, type OnnxModel } from '../../graph/onnx-model.js';
import { UserError } from '../../errors.js';
import { compareModels } from '../../compare/compare-models.js';
import { buildReport, type Report } from '../../report/report.js';
import { inputOptions, polygraphyOutputOption, reportOutputOptions, tableOptions, thresholdOptions, toDivergenceOptions, toInputOptions, toReportOutputs, toTableOptions } from '../options.js';
import { withPolygraphyJson } from '../../interop/run-outputs.js';
import { emitReport } from '../emit.js';
import { assertComplete } from '../../compare/coverage.js';
import { progressBar } from '../../report/progress.js';
import { ANALYSES } from '../../analysis/registry.js';
import { isEnginePath, TrtRunner } from '../../runners/trt-runner.js';
import { tensorRtBackend } from '../../runners/tensorrt-backend.js';
import { loadEngineModel, type EngineModel } from '../../runners/engine-model.js';
import { ortBackend, type OpenRunner } from '../../runners/open-runner.js';
import { parseShapes } from '../../runners/engine-build.js';

export interface RunArgs {
  fp32: string;
  int8: string[];
  input: string[];
  dump?: string;
  'max-memory'?: number;
  threads?: number;
  [k: string]: unknown;
}

export function runBuilder<T>(y: Argv<T>) {
  const withAnalyses = ANALYSES.reduce((acc, an) => (an.options ? an.options(acc) : acc), y);
  return polygraphyOutputOption(reportOutputOptions(tableOptions(thresholdOptions(inputOptions(withAnalyses
    .option('fp32', { type: 'string', demandOption: true, describe: 'reference model (.onnx, or a TensorRT .engine/.plan)' })
    .option('int8', { type: 'string', array: true, demandOption: true, describe: 'quantized model(s) to compare (.onnx or .engine/.plan; repeat for several candidates)' })
    .option('dump', { type: 'string', describe: 'folder for Arrow dumps of every tensor (fp32.arrow, int8.arrow)' })
    .option('max-memory', { type: 'number', describe: 'activation budget per model run in MB (fetch tensors in groups)' })
    .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads' })
    .option('perturbation-check', { type: 'boolean', default: true, describe: 'also run the INT8 model uninstrumented on the first input and report how much exposing every tensor changes its outputs (--no-perturbation-check skips it)' })
    .option('backend', { choices: ['onnxruntime', 'tensorrt'] as const, default: 'onnxruntime' as const, describe: 'run on ONNX Runtime (CPU), or build TensorRT engines from the ONNX models (native addon with TensorRT)' })
    .option('engine-dir', { type: 'string', describe: 'tensorrt backend: keep the built engines (and their layer maps) in this folder' })
    .option('shapes', { type: 'string', array: true, describe: 'tensorrt backend: shapes of inputs with dynamic dims, e.g. images:1x3x640x640' })
    .option('allow-partial', { type: 'boolean', default: false, describe: 'exit 0 even when some requested tensor pairs never arrived from a runner (they are still named in the report)' })
    .option('trt-cache', { type: 'string', describe: 'tensorrt backend, TensorRT 10: calibration cache for an FP32 --int8 model (implicit INT8)' }))))));
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

/** The main job, shared by `run` and `demo`. */
export async function runComparison(a: RunArgs): Promise<Report> {
  const [ref, ...cands] = await Promise.all([a.fp32, ...a.int8].map(openSource));
  const fp32 = ref!.model;
  const int8 = cands.map((c) => c.model);
  const engines = new Map([ref!, ...cands].filter((s) => s.engine).map((s) => [s.model, s.engine!]));
  for (const e of engines.values()) if (!e.layered) process.stderr.write(`${plainEngineNote(e)}\n`);
  if (a.head === 'auto' && ref!.engine && !ref!.engine.layered) a.head = headFromMetadata(ref!.engine) ?? a.head;
  const shapes = a.shapes ? parseShapes(a.shapes as string[]) : undefined;
  const backend: OpenRunner | undefined = a.backend === 'tensorrt'
    ? tensorRtBackend({ engineDir: a['engine-dir'] as string | undefined, calibrationCache: a['trt-cache'] as string | undefined, ...(shapes ? { inputShapes: shapes } : {}) })
    : engines.size > 0 ? ortBackend(a.threads) : undefined;
  // Engines given on the command line run as they are; ONNX models on the chosen backend.
  const openRunner: OpenRunner | undefined = backend && (async (model, mark, role) => {
    const e = engines.get(model);
    return e ? TrtRunner.open(e.enginePath) : backend(model, mark, role);
  });
  const warn = (s: string) => process.stderr.write(`${s}\n`);
  const progress = progressBar('comparing', a['max-images'] as number | undefined, !!process.stderr.isTTY && !a.quiet);
  const analyses = ANALYSES.filter((an) => an.enabled(a));
  const observers = analyses.flatMap((an) => an.observers?.(a, fp32, int8) ?? []);
  const inputOptions = toInputOptions(a, warn);
  const result = await compareModels(fp32, int8, {
    observers,
    inputs: a.input,
    inputOptions,
    dumpDir: a.dump,
    maxBytesPerRun: a['max-memory'] ? a['max-memory'] * 1024 * 1024 : undefined,
    threads: a.threads,
    // An engine's outputs are what it is: there is no uninstrumented version to check against.
    noPerturbationCheck: a['perturbation-check'] === false || cands.some((c) => c.engine),
    ...(openRunner ? { openRunner } : {}),
    onProgress: (n, s) => progress.update(n, s),
  });
  progress.finish();
  const outputs = fp32.proto.graph!.output.map((o) => o.name);
  const report = buildReport(result, toDivergenceOptions(a), outputs);
  for (const an of analyses) await an.finish(report, { fp32, int8, result, args: a, inputs: { specs: a.input, options: inputOptions } });
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
    const table = toTableOptions(argv); // validate output flags before the long run
    const outputs = toReportOutputs(argv);
    const report = await withPolygraphyJson(argv, () => runComparison(argv));
    await emitReport(report, { json: argv.json as string | undefined, quiet: argv.quiet as boolean, table, outputs }, (r) =>
      [...analysisLines(r, argv, !!table.color), ...(argv.dump ? [`dumps written to ${argv.dump}/`] : [])]);
    assertComplete(report.candidates, !!argv['allow-partial']);
  },
};
