import type { Argv } from 'yargs';
import { loadModel, inlineExternalData, hasExternalData, type OnnxModel } from '../../graph/onnx-model.js';
import { compareModels } from '../../compare/compare-models.js';
import { buildReport, type Report } from '../../report/report.js';
import { UserError } from '../../errors.js';
import { inputOptions, tableOptions, thresholdOptions, toDivergenceOptions, toInputOptions, toTableOptions } from '../options.js';
import { emitReport } from '../emit.js';
import { progressLine } from '../progress.js';

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
  return tableOptions(thresholdOptions(inputOptions(y
    .option('fp32', { type: 'string', demandOption: true, describe: 'reference model (.onnx; .engine with the TensorRT addon)' })
    .option('int8', { type: 'string', array: true, demandOption: true, describe: 'quantized model(s) to compare (repeat for several candidates)' })
    .option('dump', { type: 'string', describe: 'folder for Arrow dumps of every tensor (fp32.arrow, int8.arrow)' })
    .option('max-memory', { type: 'number', describe: 'activation budget per model run in MB (fetch tensors in groups)' })
    .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads' }))));
}

export function openModel(file: string): OnnxModel {
  if (/\.(engine|plan|trt)$/i.test(file)) {
    throw new UserError('TensorRT engines need the native TensorRT runner, which is not built in this installation (build with TensorRT_ROOT=... npm run build:native); compare the ONNX models instead', file);
  }
  const m = loadModel(file);
  if (hasExternalData(m)) inlineExternalData(m);
  return m;
}

/** The main job, shared by `run` and `demo`. */
export async function runComparison(a: RunArgs): Promise<Report> {
  const fp32 = openModel(a.fp32);
  const int8 = a.int8.map(openModel);
  const warn = (s: string) => process.stderr.write(`${s}\n`);
  const progress = progressLine('comparing', a['max-images'] as number | undefined);
  const result = await compareModels(fp32, int8, {
    inputs: a.input,
    inputOptions: toInputOptions(a, warn),
    dumpDir: a.dump,
    maxBytesPerRun: a['max-memory'] ? a['max-memory'] * 1024 * 1024 : undefined,
    threads: a.threads,
    onProgress: (n, s) => progress.tick(n, s),
  });
  progress.done();
  const outputs = fp32.proto.graph!.output.map((o) => o.name);
  return buildReport(result, toDivergenceOptions(a), outputs);
}

export const command = {
  command: 'run',
  describe: 'run FP32 and INT8 models on identical inputs and compare every tensor',
  builder: runBuilder,
  handler: async (argv: RunArgs) => {
    const report = await runComparison(argv);
    emitReport(report, { json: argv.json as string | undefined, quiet: argv.quiet as boolean, table: toTableOptions(argv) }, () =>
      argv.dump ? [`dumps written to ${argv.dump}/`] : []);
  },
};
