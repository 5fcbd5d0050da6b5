
import { loadModel, type OnnxModel } from '../graph/onnx-model.js';
import { compareModels } from '../compare/compare-models.js';
import { buildReport, type Report } from '../report/report.js';
import { UserError } from '../errors.js';
import { inputSpecs, toDivergenceOptions, toInputOptions, toMaxBytes, toThreads } from './options.js';
import { pathFlag } from './flag-values.js';
import { progressBar } from '../report/progress.js';
import { ANALYSES } from '../analysis/registry.js';
import type { StartedAnalysis } from '../analysis/analysis.js';
import type { ComparisonResult } from '../compare/compare-models.js';
import { isEnginePath, TrtRunner } from '../runners/trt-runner.js';
import { tensorRtBackend } from '../runners/tensorrt-backend.js';
import { loadEngineModel, type EngineModel } from '../runners/engine-model.js';
import { ortBackend, type OpenRunner } from '../runners/open-runner.js';
import { parseShapes } from '../runners/engine-build.js';

export interface RunArgs {
  fp32: string;
  int8: string[];
  input: string[];
  dump?: string;
  [k: string]: unknown;
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
