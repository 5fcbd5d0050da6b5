import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { loadModel } from '../../graph/onnx-model.js';
import { shapeString } from '../../tensor/tensor.js';
import { UserError, at } from '../../errors.js';
import { openRegularFile } from '../../io/input-file.js';
import { termLines, termName } from '../../report/terminal-text.js';
import { renderModelSummary } from '../../report/inspect/model-summary.js';
import { renderCacheSummary } from '../../report/inspect/cache-summary.js';
import { renderEngineSummary } from '../../report/inspect/engine-summary.js';
import { polygraphyRunners } from '../../interop/polygraphy-json.js';

interface InspectArgs { file: string; [k: string]: unknown }

/** First bytes of a file, for telling formats apart by content rather than by extension alone. */
function head(file: string, n = 256): string {
  const { fd } = openRegularFile(file);
  const b = Buffer.alloc(n);
  const len = fs.readSync(fd, b, 0, n, 0);
  fs.closeSync(fd);
  return b.subarray(0, len).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
}

const isCache = (f: string) => /^TRT-\d+-\w+\r?\n/.test(head(f));
const isJsonWith = (f: string, key: string) => /\.json$/i.test(f) && new RegExp(`^\\s*\\{\\s*"${key}"`).test(head(f));

/** Inspectors by file kind, tried in order; each writes its text through `write` (the dump listing row by row). */
type Write = (text: string) => void;
const INSPECTORS: { kind: string; test: (file: string) => boolean; inspect: (file: string, write: Write) => Promise<void> }[] = [
  { kind: 'dump (.arrow)', test: (f) => /\.(arrow|feather)$/i.test(f), inspect: inspectDump },
  { kind: 'model (.onnx)', test: (f) => /\.onnx$/i.test(f), inspect: async (f, w) => w(renderModelSummary(f, loadModel(f))) },
  { kind: 'TensorRT calibration cache', test: isCache, inspect: async (f, w) => w(renderCacheSummary(f)) },
  { kind: 'Polygraphy RunResults (.json)', test: (f) => isJsonWith(f, 'lst'), inspect: async (f, w) => w(inspectRunResults(f)) },
  { kind: 'TensorRT engine inspector JSON', test: (f) => /\.json$/i.test(f), inspect: async (f, w) => w(renderEngineSummary(f)) },
];

/** Columns of the dump listing: fixed widths, so rows are printed as they are read (a dump may hold millions). */
const DUMP_COLUMNS: [string, number][] = [['sample', 24], ['tensor', 48], ['pairs with', 32], ['dtype', 8], ['shape', 20], ['bytes', 12]];
const dumpRow = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c.padStart(at(DUMP_COLUMNS, i)[1]) : termName(c, at(DUMP_COLUMNS, i)[1]).padEnd(at(DUMP_COLUMNS, i)[1]))).join('  ').trimEnd();

/**
 * Metadata, then one line per tensor, written in chunks as the dump is read (never the whole
 * listing in memory), then the totals.
 */
async function inspectDump(file: string, write: Write): Promise<void> {
  const { openDump } = await import('../../dump/arrow-dump-reader.js'); // loaded on first use (apache-arrow)
  const dump = await openDump(file);
  write(termLines([file, ...Object.entries(dump.info.metadata).map(([k, v]) => `  ${k}: ${v}`)]));
  write(dumpRow(DUMP_COLUMNS.map(([h]) => h)));
  let n = 0, bytes = 0, chunk: string[] = [];
  const samples = new Set<string>();
  for await (const e of dump.entries()) {
    n++; bytes += e.tensor.data.byteLength;
    if (samples.size < 1e6) samples.add(e.sample);
    chunk.push(dumpRow([path.basename(e.sample), e.tensor.name, e.pair && e.pair !== e.tensor.name ? e.pair : '', e.tensor.dtype, shapeString(e.tensor.shape), String(e.tensor.data.byteLength)]));
    if (chunk.length >= 1000) { write(chunk.join('\n')); chunk = []; }
  }
  if (chunk.length) write(chunk.join('\n'));
  write(`  ${n} tensors over ${samples.size} sample(s), ${(bytes / 1e6).toFixed(1)} MB`);
}

function inspectRunResults(file: string): string {
  const runners = polygraphyRunners(file);
  return termLines([file, `  Polygraphy RunResults, ${runners.length} runner(s) (select one with ${path.basename(file)}#<name or index>):`,
    ...runners.map((r, i) => `    #${i} ${r.name}: ${r.iterations} iteration(s), ${r.tensors} arrays`)]);
}

export const command = {
  command: 'inspect <file>',
  describe: 'describe a model (.onnx), dump (.arrow), calibration cache, TensorRT engine JSON or Polygraphy RunResults',
  builder: <T>(y: Argv<T>) => y.positional('file', { type: 'string', demandOption: true }),
  handler: async (argv: InspectArgs) => {
    if (!fs.existsSync(argv.file)) throw new UserError('file not found', argv.file);
    const i = INSPECTORS.find((x) => x.test(argv.file));
    if (!i) throw new UserError(`unknown file kind (expected one of: ${INSPECTORS.map((x) => x.kind).join(', ')})`, argv.file);
    await i.inspect(argv.file, (text) => { process.stdout.write(`${text}\n`); });
  },
};
