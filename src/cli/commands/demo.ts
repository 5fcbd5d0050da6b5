import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { analysisLines, runComparison, runBuilder, type RunArgs } from './run.js';
import { emitReport } from '../emit.js';
import { assertComplete } from '../../compare/coverage.js';
import { toJsonTarget, toReportOutputs, toTableOptions } from '../options.js';
import { withPolygraphyJson } from '../../interop/run-outputs.js';
import { planOutputs } from '../../output/output-plan.js';
import { runOutputs } from '../output-flags.js';

/** fixtures/ ships with the package: see fixtures/README.md for provenance. */
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

export const DEMO = {
  fp32: path.join(FIXTURES, 'yolov8n_fp32.onnx'),
  int8: path.join(FIXTURES, 'yolov8n_int8_ort_minmax_collapsed.onnx'),
  image: path.join(FIXTURES, 'bus.jpg'),
};

export const command = {
  command: 'demo',
  describe: 'compare the bundled FP32 YOLOv8n with its collapsed INT8 Q/DQ version on bus.jpg',
  builder: <T>(y: Argv<T>) => runBuilder(y)
    .option('fp32', { type: 'string', default: DEMO.fp32, demandOption: false })
    .option('int8', { type: 'string', array: true, default: [DEMO.int8], demandOption: false })
    .default('top', 25),
  handler: async (argv: RunArgs) => {
    if (argv.input.length === 0) argv.input = [DEMO.image];
    process.stderr.write(`trt-diff demo: ${path.basename(argv.fp32)} vs ${argv.int8.map((f) => path.basename(f)).join(', ')} on ${argv.input.map((f) => path.basename(f)).join(', ')}\n`);
    const table = toTableOptions(argv);
    const outputs = toReportOutputs(argv);
    planOutputs(runOutputs(argv), [argv.fp32, argv.int8, argv.input, argv['trt-cache']]);
    const report = await withPolygraphyJson(argv, () => runComparison(argv));
    await emitReport(report, { json: toJsonTarget(argv), quiet: argv.quiet as boolean, table, outputs }, (r) => analysisLines(r, argv, !!table.color));
    assertComplete(report.candidates, !!argv['allow-partial']);
  },
};
