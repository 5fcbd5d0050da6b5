import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BackendError, GateFailure, UserError, at } from '../errors.js';
import { loadNative } from '../native/addon.js';
import { log } from '../log.js';
import { guardTerminalStreams, termName } from '../report/terminal-text.js';
import { beginOutputSession, commitOutputs, discardOutputs } from '../output/output-session.js';
import * as run from './commands/run.js';
import * as compare from './commands/compare.js';
import * as inspect from './commands/inspect.js';
import * as demo from './commands/demo.js';
import * as bisect from './commands/bisect.js';
import * as sensitivity from './commands/sensitivity.js';
import * as convert from './commands/convert.js';
import * as lint from './commands/lint.js';
import * as calibrate from './commands/calibrate.js';
import * as simulate from './commands/simulate.js';
import * as calibrators from './commands/calibrators.js';
import * as merge from './commands/merge.js';
import * as build from './commands/build.js';

/** Every command module exports `command` (yargs CommandModule shape). Register new ones here. */
const COMMANDS = [run.command, compare.command, inspect.command, demo.command, convert.command, bisect.command, sensitivity.command, lint.command,
  calibrate.command, simulate.command, calibrators.command, merge.command, build.command];

/** yargs reads a lone "-" as a positional; `--json -` (JSON to stdout) is spelled `--json=-` for it. */
function normalizeStdoutDash(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (at(argv, i).startsWith('--') && !at(argv, i).includes('=') && argv[i + 1] === '-') { out.push(`${argv[i]}=-`); i++; } else out.push(at(argv, i));
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  guardTerminalStreams(); // no escape sequence read from a file reaches the terminal (terminal-text.ts)
  const cli = yargs(normalizeStdoutDash(argv))
    .scriptName('trt-diff')
    .usage('$0 <command> [options]\n\nLayerwise FP32-vs-INT8 comparison debugger.')
    .strict()
    .demandCommand(1, 'name a command (try `trt-diff demo`)')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): keep the one-line promise.
      throw new UserError(msg.replace(/\s*\n\s*/g, ' ').trim());
    })
    .option('verbose', { type: 'boolean', default: false, global: true, describe: 'also print timings and plans on stderr (--quiet: only warnings)' })
    // The one logger's level for this command (src/log.ts), from --quiet (where the command has it) and --verbose.
    .middleware((a) => log.setVerbosity(a.quiet ? 'quiet' : a.verbose ? 'verbose' : 'normal'))
    .help()
    .version('0.1.0');
  for (const c of COMMANDS) cli.command(c as never);
  // Outputs land together when the command ends well (a failed gate included), else none of them.
  beginOutputSession();
  try {
    await cli.parseAsync();
    commitOutputs();
    return 0;
  } catch (e0) {
    let e = e0;
    try {
      if (e instanceof GateFailure) commitOutputs(); else discardOutputs();
    } catch (commitError) {
      e = commitError;
    }
    if (e instanceof UserError) {
      // One line whatever the message carries (names read from broken files may hold newlines,
      // escapes or megabytes): escaped, and shortened in the middle.
      process.stderr.write(`trt-diff: ${termName(e.message, 2000)}\n`);
      return e.exitCode;
    }
    if (e instanceof GateFailure || e instanceof BackendError) {
      process.stderr.write(`trt-diff: ${termName(e.message, 2000)}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`trt-diff: internal error: ${termName(err?.message ?? String(e), 2000)}\n`);
    if (process.env.TRTDIFF_DEBUG) process.stderr.write(`${err?.stack}\n`);
    return 3;
  }
}

/** Runs the CLI in this process (main.ts decides whether this process or a relaunched one). */
export function runCli(): void {
  // A CLI run allocates and frees the same activation buffers for every sample: keep freed memory
  // instead of faulting it in again (native/memory_policy.cpp; no-op without the addon).
  loadNative().addon?.retainFreedMemory();
  main(hideBin(process.argv)).then((code) => {
    process.exitCode = code;
  });
}
