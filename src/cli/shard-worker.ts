import { UserError } from '../errors.js';
import { loadNative } from '../native/addon.js';
import { writePartial } from '../compare/partial.js';
import { comparePart } from './sharding.js';
import { parseRunOptions } from './run-options.js';
import { log } from '../log.js';

/**
 * One process of `run --workers N` (forked by cli/sharding.ts): receives the run's comparison
 * flags and its shard over IPC, parses the flags (this process's CLI edge), compares that shard,
 * writes the partial file and exits. Errors end it the way the CLI ends (one line on stderr, exit
 * 2 for the user's input, 3 otherwise).
 */
interface Job { flags: Record<string, unknown>; shard: { index: number; count: number }; file: string }

loadNative().addon?.retainFreedMemory();
log.setVerbosity('quiet'); // the parent prints what a run prints; a worker's warnings reach it on stderr

process.once('message', (job: Job) => {
  Promise.resolve().then(() => comparePart(parseRunOptions(job.flags), job.shard)).then((p) => {
    writePartial(job.file, p);
    process.exit(0);
  }, (e: unknown) => {
    const user = e instanceof UserError;
    process.stderr.write(`trt-diff: ${user ? '' : 'internal error: '}${(e as Error)?.message ?? String(e)}\n`.replace(/[\r\n]+(?!$)/g, ' '));
    process.exit(user ? 2 : 3);
  });
});
