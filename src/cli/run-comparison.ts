
import { loadModel, type OnnxModel } from '../graph/onnx-model.js';
import { compareModels } from '../compare/compare-models.js';
import { buildReport, type Report } from '../report/report.js';
import { UserError } from '../errors.js';
import type { RunOptions } from './run-options.js';
import { progressBar } from '../report/progress.js';
import type { AnalysisSetup, StartedAnalysis } from '../analysis/analysis.js';
import type { ComparisonResult } from '../compare/compare-models.js';
import { isEnginePath, TrtRunner } from '../runners/trt-runner.js';
import { tensorRtBackend } from '../runners/tensorrt-backend.js';
import { loadEngineModel, type EngineModel } from '../runners/engine-model.js';
import { ortBackend, type OpenRunner } from '../runners/open-runner.js';
import { log } from '../log.js';

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
function plainEngineNote(e: EngineModel): string {
  return `note: ${e.enginePath} exposes only its outputs (no layer map beside it); for a per-layer comparison, build it with \`trt-diff build <model.onnx> -o ${e.enginePath}\` from the ONNX model, with the same TensorRT version and flags`;
}

/** Runs the comparison (one shard of the inputs with `shard`), analyses observing it. */
export async function compareRun(o: RunOptions, shard?: { index: number; count: number }) {
  const [ref, ...cands] = await Promise.all([o.fp32, ...o.int8].map(openSource));
  if (!ref) throw new Error('no reference model opened');
  const fp32 = ref.model;
  const int8 = cands.map((c) => c.model);
  const engines = new Map<OnnxModel, EngineModel>();
  for (const s of [ref, ...cands]) if (s.engine) engines.set(s.model, s.engine);
  for (const e of engines.values()) if (!e.layered) log.warn(plainEngineNote(e));
  const { kind, ...trt } = o.backend;
  const backend: OpenRunner | undefined = kind === 'tensorrt' ? tensorRtBackend(trt) : engines.size > 0 ? ortBackend(o.settings.threads) : undefined;
  // Engines given on the command line run as they are; ONNX models on the chosen backend.
  const openRunner: OpenRunner | undefined = backend && (async (model, mark, role) => {
    const e = engines.get(model);
    return e ? TrtRunner.open(e.enginePath) : backend(model, mark, role);
  });
  const progress = progressBar('comparing', o.inputs.options.maxSamples, !!process.stderr.isTTY && !o.output.quiet);
  const setup: AnalysisSetup = { fp32, int8, settings: o.settings, ...(ref.engine && !ref.engine.layered ? { fp32EngineMetadata: ref.engine.metadata } : {}) };
  const runs: StartedAnalysis[] = o.analyses.map((an) => ({ name: an.name, run: an.start(setup) }));
  const observers = runs.flatMap((r) => r.run.observers);
  const result = await compareModels(fp32, int8, {
    shard,
    observers,
    inputs: o.inputs.specs,
    inputOptions: o.inputs.options,
    dumpDir: o.dump,
    maxBytesPerRun: o.settings.maxBytesPerRun,
    threads: o.settings.threads,
    // An engine's outputs are what it is: there is no uninstrumented version to check against.
    noPerturbationCheck: !o.perturbationCheck || cands.some((c) => c.engine),
    ...(openRunner ? { openRunner } : {}),
    onProgress: (n, s) => progress.update(n, s),
    warn: log.warn,
  });
  progress.finish();
  return { fp32, int8, runs, result };
}

/** The report of a comparison (run, or merged partial runs): divergence, then every analysis. */
export async function finishReport(o: RunOptions, fp32: OnnxModel, int8: OnnxModel[], runs: readonly StartedAnalysis[], result: ComparisonResult): Promise<Report> {
  const outputs = (fp32.proto.graph?.output ?? []).map((out) => out.name);
  const report = buildReport(result, o.divergence, outputs);
  for (const r of runs) await r.run.finish(report, { fp32, int8, result, inputs: o.inputs });
  return report;
}
