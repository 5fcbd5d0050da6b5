import type { Argv } from 'yargs';
import { compareDumps } from '../../compare/compare-dumps.js';
import { buildReport } from '../../report/report.js';
import { tableOptions, thresholdOptions, toDivergenceOptions, toTableOptions } from '../options.js';
import { emitReport } from '../emit.js';

interface CompareArgs { reference: string; candidate: string; [k: string]: unknown }

export const command = {
  command: 'compare <reference> <candidate>',
  describe: 'compare two Arrow dumps offline (FP32 dump first)',
  builder: <T>(y: Argv<T>) => tableOptions(thresholdOptions(y
    .positional('reference', { type: 'string', demandOption: true, describe: 'FP32 dump (.arrow)' })
    .positional('candidate', { type: 'string', demandOption: true, describe: 'INT8 dump (.arrow)' }))),
  handler: async (argv: CompareArgs) => {
    const result = await compareDumps(argv.reference, argv.candidate);
    const report = buildReport(result, toDivergenceOptions(argv));
    emitReport(report, { json: argv.json as string | undefined, quiet: argv.quiet as boolean, table: toTableOptions(argv) });
  },
};
