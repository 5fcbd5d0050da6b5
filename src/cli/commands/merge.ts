import type { Argv } from 'yargs';
import { reportOutputOptions, tableOptions } from '../options.js';
import { emitReport } from '../emit.js';
import { partsRunFlags, readParts, reportFromParts } from '../sharding.js';
import { parseRunOptions } from '../run-options.js';
import { analysisLines } from './run.js';

interface MergeArgs { parts: string[]; [k: string]: unknown }

export const command = {
  command: 'merge <parts..>',
  describe: 'join the partial runs of `run --shard K/N --partial FILE` into the report of one run over all inputs',
  builder: <T>(y: Argv<T>) => reportOutputOptions(tableOptions(y
    .positional('parts', { type: 'string', array: true, demandOption: true, describe: 'partial run files (all N shards of one run)' }))),
  handler: async (argv: MergeArgs) => {
    const own = Object.fromEntries(['json', 'html', 'junit', 'fail-on', 'top', 'sort', 'filter', 'quiet'].map((k) => [k, argv[k]]));
    const parts = readParts(argv.parts);
    // The run's options as the parts keep them, with this merge's outputs: parsed once, here.
    const o = parseRunOptions(partsRunFlags(parts, own));
    const report = await reportFromParts(parts, o);
    const { table, json, quiet, reports } = o.output;
    await emitReport(report, { json, quiet, table, outputs: reports }, (r) => analysisLines(r, o.analyses, !!table.color));
  },
};
