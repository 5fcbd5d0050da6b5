import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { runBuilder, runCommand } from './run.js';
import { parseRunOptions } from '../run-options.js';
import { log } from '../../log.js';

/** fixtures/ ships with the package: see fixtures/README.md for provenance. */
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

const DEMO = {
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
  handler: async (argv: Record<string, unknown>) => {
    const given = Array.isArray(argv.input) && argv.input.length > 0;
    const o = parseRunOptions(given ? argv : { ...argv, input: [DEMO.image] });
    log.info(`trt-diff demo: ${path.basename(o.fp32)} vs ${o.int8.map((f) => path.basename(f)).join(', ')} on ${o.inputs.specs.map((f) => path.basename(f)).join(', ')}`);
    await runCommand(o);
  },
};
