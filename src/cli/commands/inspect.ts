import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import Table from 'cli-table3';
import { loadModel } from '../../graph/onnx-model.js';
import { shapeString } from '../../tensor/tensor.js';
import { UserError } from '../../errors.js';
import { renderModelSummary } from '../../report/inspect/model-summary.js';
import { renderCacheSummary } from '../../report/inspect/cache-summary.js';
import { renderEngineSummary } from '../../report/inspect/engine-summary.js';
import { polygraphyRunners } from '../../interop/polygraphy-json.js';

interface InspectArgs { file: string; [k: string]: unknown }

/** First bytes of a file, for telling formats apart by content rather than by extension alone. */
function head(file: string, n = 256): string {
  let fd: number;
  try { fd = fs.openSync(file, 'r'); } catch { throw new UserError('file not found', file); }
  const b = Buffer.alloc(n);
  const len = fs.readSync(fd, b, 0, n, 0);
  fs.closeSync(fd);
  return b.subarray(0, len).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
}

const isCache = (f: string) => /^TRT-\d+-\w+\r?\n/.test(head(f));
const isJsonWith = (f: string, key: string) => /\.json$/i.test(f) && new RegExp(`^\\s*\\{\\s*"${key}"`).test(head(f));

/** Inspectors by file kind, tried in order. */
export const INSPECTORS: { kind: string; test: (file: string) => boolean; inspect: (file: string) => Promise<string> }[] = [
  { kind: 'dump (.arrow)', test: (f) => /\.(arrow|feather)$/i.test(f), inspect: inspectDump },
  { kind: 'model (.onnx)', test: (f) => /\.onnx$/i.test(f), inspect: async (f) => renderModelSummary(f, loadModel(f)) },
  { kind: 'TensorRT calibration cache', test: isCache, inspect: async (f) => renderCacheSummary(f) },
  { kind: 'Polygraphy RunResults (.json)', test: (f) => isJsonWith(f, 'lst'), inspect: inspectRunResults },
  { kind: 'TensorRT engine inspector JSON', test: (f) => /\.json$/i.test(f), inspect: async (f) => renderEngineSummary(f) },
];

export async function inspectDump(file: string): Promise<string> {
  const { openDump } = await import('../../dump/arrow-dump-reader.js'); // loaded on first use (apache-arrow)
  const dump = await openDump(file);
  const lines = [`${file}`, ...Object.entries(dump.info.metadata).map(([k, v]) => `  ${k}: ${v}`)];
  const table = new Table({ head: ['sample', 'tensor', 'pairs with', 'dtype', 'shape', 'bytes'], style: { head: [], border: [], compact: true } });
  let n = 0, bytes = 0;
  const samples = new Set<string>();
  for await (const e of dump.entries()) {
    n++; bytes += e.tensor.data.byteLength; samples.add(e.sample);
    table.push([path.basename(e.sample), e.tensor.name, e.pair && e.pair !== e.tensor.name ? e.pair : '', e.tensor.dtype, shapeString(e.tensor.shape), String(e.tensor.data.byteLength)]);
  }
  lines.push(`  ${n} tensors over ${samples.size} sample(s), ${(bytes / 1e6).toFixed(1)} MB`);
  return `${lines.join('\n')}\n${table.toString()}`;
}

async function inspectRunResults(file: string): Promise<string> {
  const runners = polygraphyRunners(file);
  return [file, `  Polygraphy RunResults, ${runners.length} runner(s) (select one with ${path.basename(file)}#<name or index>):`,
    ...runners.map((r, i) => `    #${i} ${r.name}: ${r.iterations} iteration(s), ${r.tensors} arrays`)].join('\n');
}

export const command = {
  command: 'inspect <file>',
  describe: 'describe a model (.onnx), dump (.arrow), calibration cache, TensorRT engine JSON or Polygraphy RunResults',
  builder: <T>(y: Argv<T>) => y.positional('file', { type: 'string', demandOption: true }),
  handler: async (argv: InspectArgs) => {
    if (!fs.existsSync(argv.file)) throw new UserError('file not found', argv.file);
    const i = INSPECTORS.find((x) => x.test(argv.file));
    if (!i) throw new UserError(`unknown file kind (expected one of: ${INSPECTORS.map((x) => x.kind).join(', ')})`, argv.file);
    process.stdout.write(`${await i.inspect(argv.file)}\n`);
  },
};
