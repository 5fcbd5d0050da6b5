import * as fs from 'node:fs';
import type { SourceEntry, TensorSource } from './source-types.js';

export type { TensorSource };
import { UserError } from '../errors.js';
import { openRegularFile } from '../io/input-file.js';


/**
 * `file.json#runner` picks one runner of a RunResults file holding several (by name or 0-based
 * index); Polygraphy runner names contain ':' and '/', so '#' is the separator.
 */
function splitSelector(spec: string): { file: string; runner?: string } {
  if (fs.existsSync(spec)) return { file: spec };
  const i = spec.lastIndexOf('#');
  return i > 0 ? { file: spec.slice(0, i), runner: spec.slice(i + 1) } : { file: spec };
}

export async function openTensorSource(spec: string): Promise<TensorSource> {
  const { file, runner } = splitSelector(spec);
  if (isPolygraphyJson(file)) {
    const { openPolygraphySource } = await import('./polygraphy-json.js');
    return openPolygraphySource(file, runner);
  }
  if (runner !== undefined) throw new UserError(`"#${runner}" selects a runner, which only Polygraphy JSON files have`, file);
  return openArrowSource(file);
}

/** JSON by extension, or by a first non-blank byte of '{' (Arrow files start with "ARROW1"). */
function isPolygraphyJson(file: string): boolean {
  if (/\.json$/i.test(file)) return true;
  if (/\.(arrow|feather)$/i.test(file)) return false;
  try {
    const { fd } = openRegularFile(file); // a FIFO is not read here: openDump / scanJsonFile refuse it by name
    const b = Buffer.alloc(64);
    const n = fs.readSync(fd, b, 0, 64, 0);
    fs.closeSync(fd);
    return b.subarray(0, n).toString('latin1').trimStart().startsWith('{');
  } catch {
    return false;
  }
}

export async function openArrowSource(file: string): Promise<TensorSource> {
  const { openDump } = await import('../dump/arrow-dump-reader.js'); // loaded on first use (apache-arrow)
  const dump = await openDump(file);
  // Iteration index of a batch: samples numbered in order of first appearance.
  const samples = new Map<string, number>();
  const entryAt = async (i: number): Promise<SourceEntry> => {
    const e = await dump.readAt(i);
    let it = samples.get(e.sample);
    if (it === undefined) { it = samples.size; samples.set(e.sample, it); }
    return { sample: e.sample, iteration: it, tensor: e.tensor, pair: e.pair };
  };
  return {
    file, format: 'arrow', metadata: dump.info.metadata, namedSamples: true,
    async *keys() {
      for (let i = 0; i < dump.batchCount; i++) {
        const e = await entryAt(i);
        yield { index: i, sample: e.sample, iteration: e.iteration, name: e.tensor.name, pair: e.pair };
      }
    },
    async *entries() {
      for (let i = 0; i < dump.batchCount; i++) yield entryAt(i);
    },
    readAt: entryAt,
    close: dump.close,
  };
}
