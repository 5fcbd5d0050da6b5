/**
 * The one logger (Polygraphy's G_LOGGER, smaller): every line trt-diff writes to stderr besides
 * the progress bar (report/progress.ts) and the one-line error the CLI ends with (cli/main.ts).
 *
 *   warn     warnings, notes that change how to read a result, gate lines beside --json -: always
 *   info     what was written where, banners, tool messages: hidden by --quiet
 *   verbose  timings and plans: shown only with --verbose
 *
 * The CLI sets the level once per command (cli/main.ts) from --quiet / --verbose.
 */
export type Verbosity = 'quiet' | 'normal' | 'verbose';

const RANK: Record<Verbosity, number> = { quiet: 0, normal: 1, verbose: 2 };

export interface Logger {
  readonly verbosity: Verbosity;
  setVerbosity(v: Verbosity): void;
  warn(line: string): void;
  info(line: string): void;
  verbose(line: string): void;
}

/** A logger writing whole lines to `write` (stderr by default). */
function createLogger(write: (text: string) => void = (t) => process.stderr.write(t), verbosity: Verbosity = 'normal'): Logger {
  let level = verbosity;
  const at = (min: Verbosity) => (line: string) => { if (RANK[level] >= RANK[min]) write(`${line}\n`); };
  return {
    get verbosity() { return level; },
    setVerbosity(v) { level = v; },
    warn: at('quiet'),
    info: at('normal'),
    verbose: at('verbose'),
  };
}

/** The process's logger. */
export const log: Logger = createLogger();
