import type { Argv, CommandModule } from 'yargs';
import { loadModel, graphOf } from '../../graph/onnx-model.js';
import { checkScalesUsable, readCalibrationCache } from '../../quant/calibration-cache.js';
import { missingWarning, writeQdqModel } from '../../quant/calibration-pipeline.js';
import { PLACEMENTS, type PlacementPolicy } from '../../quant/placement.js';
import { checkCacheMatchesModel } from '../../quant/qdq-emulation.js';
import { planOutputs } from '../../output/output-plan.js';
import { log } from '../../log.js';

interface SimulateArgs {
  model: string;
  cache: string;
  out: string;
  placement: string;
}

export const command: CommandModule<object, SimulateArgs> = {
  command: 'simulate',
  describe: 'Build a Q/DQ ONNX model that emulates TensorRT INT8 from an existing calibration cache',
  builder: (y) => y
    .option('model', { type: 'string', demandOption: true, describe: 'FP32 ONNX model' })
    .option('cache', { type: 'string', demandOption: true, describe: 'TensorRT calibration cache (TRT-<version>-<algorithm> text)' })
    .option('out', { type: 'string', demandOption: true, describe: 'Q/DQ ONNX model to write' })
    .option('placement', { type: 'string', choices: [...PLACEMENTS], default: 'trt', describe: 'where activation Q/DQ pairs go' }) as unknown as Argv<SimulateArgs>,
  handler: async (argv) => {
    planOutputs([{ flag: '--out', path: argv.out }], [argv.model, argv.cache]);
    const model = loadModel(argv.model);
    const cache = readCalibrationCache(argv.cache);
    checkScalesUsable(cache, argv.cache);
    const match = checkCacheMatchesModel(cache.scales.keys(), graphOf(model.proto), argv.cache);
    const q = writeQdqModel(model, cache.scales, argv.out, argv.placement as PlacementPolicy);
    process.stdout.write(`${argv.out}: ${q.quantized.length} activation Q/DQ pairs, ${q.weights.length} per-channel int8 weights, from ${cache.algorithm} cache (TRT ${cache.version}, ${match.matched} of ${cache.scales.size} entries name model tensors)\n`);
    const w = missingWarning(q, argv.cache);
    if (w) log.warn(w);
  },
};
