import type { Argv } from 'yargs';
import { reportOutputOptions, tableOptions, toReportOutputs, toTableOptions } from '../options.js';
import { emitReport } from '../emit.js';
import { readParts, reportFromParts } from '../sharding.js';
import { analysisLines } from './run.js';

interface MergeArgs { parts: string[]; [k: string]: unknown }

export const command = {
  command: 'merge <parts..>',
  describe: 'join the partial runs of `run --shard K/N --partial FILE` into the report of one run over all inputs',
  builder: <T>(y: Argv<T>) => reportOutputOptions(tableOptions(y
    .positional('parts', { type: 'string', array: true, demandOption: true, describe: 'partial run files (all N shards of one run)' }))),
  handler: async (argv: MergeArgs) => {
    const table = toTableOptions(argv);
    const outputs = toReportOutputs(argv);
    const parts = readParts(argv.parts);
    const own = Object.fromEntries(['json', 'html', 'junit', 'fail-on', 'top', 'sort', 'filter', 'quiet'].map((k) => [k, argv[k]]));
    const report = await reportFromParts(parts, own);
    const args = { ...parts[0]!.part.args, ...own };
    await emitReport(report, { json: argv.json as string | undefined, quiet: argv.quiet as boolean, table, outputs }, (r) => analysisLines(r, args, !!table.color));
  },
};
