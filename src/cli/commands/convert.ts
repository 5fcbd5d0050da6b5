import type { Argv } from 'yargs';
import { convertFiles } from '../../interop/convert.js';
import { UserError, at } from '../../errors.js';
import { planOutputs } from '../../output/output-plan.js';
import { log } from '../../log.js';

interface ConvertArgs { files: string[]; [k: string]: unknown }

export const command = {
  command: 'convert <files..>',
  describe: 'convert stored runs: Arrow dump ↔ Polygraphy RunResults JSON (last file is the output; several inputs → several runners)',
  builder: <T>(y: Argv<T>) => y
    .positional('files', { type: 'string', array: true, demandOption: true, describe: 'input(s) then output: in.arrow out.json, a.arrow b.arrow out.json, in.json#runner out.arrow' }),
  handler: async (argv: ConvertArgs) => {
    if (argv.files.length < 2) throw new UserError('convert wants at least one input and then the output file');
    const inputs = argv.files.slice(0, -1);
    const output = at(argv.files, argv.files.length - 1);
    planOutputs([{ flag: 'output file', path: output }], inputs);
    log.info(await convertFiles(inputs, output));
  },
};
