import type { Argv } from 'yargs';
import { UserError } from '../../errors.js';
import { indexGraph } from '../../graph/graph-index.js';
import type { OnnxModel } from '../../graph/onnx-model.js';
import { readCalibrationCache } from '../../quant/calibration-cache.js';
import { buildEngine, hasQdq, parseShapes, type Expose } from '../../runners/engine-build.js';
import { isEnginePath } from '../../runners/trt-runner.js';
import { openModel } from './run.js';
import { log } from '../../log.js';
import { graphOf } from '../../graph/onnx-model.js';

interface BuildArgs {
  model: string;
  output: string;
  int8: boolean;
  cache?: string;
  expose: Expose;
  shapes?: string[];
  [k: string]: unknown;
}

/** A calibration cache must name tensors of the model it calibrates, or TensorRT would run them unquantized. */
function checkCacheNamesModel(cacheFile: string, model: OnnxModel): void {
  const cache = readCalibrationCache(cacheFile);
  const g = indexGraph(graphOf(model.proto));
  const known = [...cache.scales.keys()].filter((n) => g.producer.has(n) || g.inputs.includes(n));
  if (known.length === 0) throw new UserError(`names none of the tensors of ${model.path} (${cache.scales.size} entries): a cache for another model?`, cacheFile);
}

export const command = {
  command: 'build <model>',
  describe: 'build a TensorRT engine from an ONNX model with every layer exposed, and its layer map (for `run --fp32 a.engine --int8 b.engine`)',
  builder: <T>(y: Argv<T>) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model (FP32, or INT8 with Q/DQ nodes)' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'engine file to write (.engine or .plan); the layer map goes to <output>.layers.json' })
    .option('int8', { type: 'boolean', default: false, describe: 'build INT8: from a Q/DQ model (TensorRT 10 and 11), or an FP32 model with --cache (TensorRT 10 implicit INT8)' })
    .option('cache', { type: 'string', describe: 'TensorRT calibration cache (TRT-<version>-<algorithm> text, as trt-diff calibrate or TensorRT write it) for --int8 of an FP32 model' })
    .option('expose', { choices: ['all', 'debug', 'outputs'] as const, default: 'all' as const, describe: 'how layers are exposed: debug tensors (TensorRT >= 10.12, keeps fusion), marked outputs, or all = debug where available, else outputs' })
    .option('shapes', { type: 'string', array: true, describe: 'shapes of inputs with dynamic dims, e.g. images:1x3x640x640' }),
  handler: async (argv: BuildArgs) => {
    if (!isEnginePath(argv.output)) throw new UserError('the engine file must end in .engine, .plan or .trt (that is how `trt-diff run` recognizes engines)', argv.output);
    if (argv.cache && !argv.int8) throw new UserError('--cache calibrates an INT8 build: add --int8');
    const model = openModel(argv.model);
    if (argv.cache) {
      if (hasQdq(model)) throw new UserError('has Q/DQ nodes, which fix its INT8 scales: drop --cache', model.path);
      checkCacheNamesModel(argv.cache, model);
    }
    const shapes = parseShapes(argv.shapes ?? []);
    const r = await buildEngine({ model, enginePath: argv.output, int8: argv.int8, ...(argv.cache ? { calibrationCache: argv.cache } : {}), expose: argv.expose, inputShapes: shapes });
    const m = r.layerMap;
    process.stdout.write(`wrote ${r.enginePath} (TensorRT ${m.tensorrtVersion}, ${argv.int8 ? 'INT8' : 'FP32'}, capture ${m.capture}) and ${r.layerMapPath}\n`);
    process.stdout.write(`  ${m.tensors.length} tensors exposed, ${m.fused.length} fused inside other layers${m.unresolved.length ? `, ${m.unresolved.length} layer outputs with no ONNX tensor (listed in the layer map)` : ''}\n`);
    for (const msg of r.report.messages) log.info(`tensorrt: ${msg}`);
  },
};
