import type { Argv } from 'yargs';
import { compareSourceFiles } from '../../compare/compare-dumps.js';
import { buildReport } from '../../report/report.js';
import { reportOutputOptions, tableOptions, thresholdOptions, toDivergenceOptions, toJsonTarget, toReportOutputs, toTableOptions } from '../options.js';
import { emitReport } from '../emit.js';

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
    const result = await compareSourceFiles(argv.reference, argv.candidate);
    const report = buildReport(result, toDivergenceOptions(argv));
    await emitReport(report, { json: toJsonTarget(argv), quiet: argv.quiet as boolean, table, outputs });
  },
};
