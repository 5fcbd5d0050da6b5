import type { Argv } from 'yargs';
import { compareSourceFiles } from '../../compare/compare-dumps.js';
import { buildReport } from '../../report/report.js';
import { reportOutputOptions, tableOptions, thresholdOptions, toDivergenceOptions, toJsonTarget, toReportOutputs, toTableOptions } from '../options.js';
import { emitReport } from '../emit.js';
import { planOutputs } from '../../output/output-plan.js';
import { reportOutputs } from '../output-flags.js';

interface CompareArgs { reference: string; candidate: string[]; [k: string]: unknown }

export const command = {
  command: 'compare <reference> <candidate..>',
  describe: 'compare stored runs offline: Arrow dumps or Polygraphy RunResults JSON (FP32 first; file.json#runner picks a runner)',
  builder: <T>(y: Argv<T>) => reportOutputOptions(tableOptions(thresholdOptions(y
    .positional('reference', { type: 'string', demandOption: true, describe: 'FP32 run (.arrow dump or Polygraphy .json)' })
    .positional('candidate', { type: 'string', array: true, demandOption: true, describe: 'INT8 run(s) (.arrow or .json)' })))),
  handler: async (argv: CompareArgs) => {
    const table = toTableOptions(argv);
    const outputs = toReportOutputs(argv);
    const json = toJsonTarget(argv);
    const divergence = toDivergenceOptions(argv);
    planOutputs(reportOutputs(json, outputs), [argv.reference, argv.candidate]);
    const result = await compareSourceFiles(argv.reference, argv.candidate);
    const report = buildReport(result, divergence);
    await emitReport(report, { json, quiet: !!argv.quiet, table, outputs });
  },
};
