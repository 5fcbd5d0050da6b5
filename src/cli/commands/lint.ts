import type { Argv } from 'yargs';
import { loadModel, graphOf } from '../../graph/onnx-model.js';
import { checkScalesUsable, readCalibrationCache } from '../../quant/calibration-cache.js';
import { checkCacheMatchesModel } from '../../quant/qdq-emulation.js';
import { termName, termText } from '../../report/terminal-text.js';
import { lintModel, observeConcatRanges, type Finding } from '../../lint/hazard-lint.js';
import { GateFailure } from '../../errors.js';
import { inputOptions, inputSpecs, toInputOptions } from '../options.js';
import { numberFlag, numeric } from '../flag-values.js';
import { log } from '../../log.js';

interface LintArgs { model: string; cache?: string; 'fail-on-hazard': boolean; [k: string]: unknown }

function formatFinding(f: Finding): string {
  return termName(`${f.severity.padEnd(7)} ${f.rule.padEnd(12)} ${f.where}: ${f.message}`, 1000);
}

export const command = {
  command: 'lint <model>',
  describe: 'list INT8 hazards of a model: mixed-range Concats under one scale, quantized outputs, depthwise convs, input size',
  builder: <T>(y: Argv<T>) => inputOptions(y
    .positional('model', { type: 'string', demandOption: true, describe: 'FP32 or Q/DQ ONNX model' })
    .option('cache', { type: 'string', describe: 'TensorRT calibration cache giving each tensor\'s range' })
    .option('range-ratio', { ...numeric, default: 10, describe: 'flag Concat inputs whose ranges differ by more than this factor (above 1)' })
    .option('fail-on-hazard', { type: 'boolean', default: false, describe: 'exit 1 when a warning or error is found' })),
  handler: async (argv: LintArgs) => {
    const inputOpts = toInputOptions(argv, log.warn);
    const specs = inputSpecs(argv);
    const rangeRatio = numberFlag(argv, 'range-ratio', { min: 1, above: true }) ?? 10;
    const model = loadModel(argv.model);
    const cache = argv.cache ? readCalibrationCache(argv.cache) : undefined;
    if (cache) {
      // A cache for another model (or a header-only one) must not lint as "0 errors".
      checkScalesUsable(cache, argv.cache!);
      const { unknown } = checkCacheMatchesModel(cache.scales.keys(), graphOf(model.proto), argv.cache!);
      if (unknown.length > 0) {
        log.warn(`warning: ${termText(argv.cache!)}: ${unknown.length} of ${cache.scales.size} entries name no tensor of the model (${unknown.slice(0, 5).map((n) => termName(n)).join(', ')}${unknown.length > 5 ? ', …' : ''})`);
      }
    }
    // Without Q/DQ or a cache, ranges come from running the FP32 model on the first sample of --input.
    const observed = !cache && specs.length > 0 ? await observeConcatRanges(model, specs, inputOpts) : undefined;
    const findings = lintModel(model, { cache, observed, imgsz: inputOpts.imgsz, rangeRatio });
    for (const f of findings) process.stdout.write(`${formatFinding(f)}\n`);
    const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
    process.stdout.write(`${termText(argv.model)}: ${n('error')} error(s), ${n('warning')} warning(s), ${n('info')} note(s)\n`);
    if (argv['fail-on-hazard'] && n('error') + n('warning') > 0) throw new GateFailure(`${n('error') + n('warning')} INT8 hazard(s) in ${argv.model}`);
  },
};
