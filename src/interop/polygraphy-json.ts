import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, errorMessage, at } from '../errors.js';
import { encodeNpy, parseNpy } from '../inputs/npy.js';
import { PendingFile } from '../output/output-session.js';
import type { Tensor } from '../tensor/tensor.js';
import { LazyString, decodeRaw, readRange, scanJsonFile, type LazyJson } from './json-scan.js';
import type { SourceEntry, SourceKey, TensorSource } from './source-types.js';

/**
 * Polygraphy's RunResults JSON (`polygraphy run --save-outputs`), as written by
 * polygraphy/comparator/struct.py and polygraphy/json/serde.py:
 *
 *   {"lst": [[runner_name, [IterationResult, ...]], ...], "polygraphy_class": "RunResults"}
 *   IterationResult = {"outputs": {name: array, ...}, "runtime": s, "runner_name": str,
 *                      "polygraphy_class": "IterationResult"}
 *   array = {"array": base64(np.save bytes), "polygraphy_class": "ndarray"}
 *         | {"values": array, "polygraphy_class": "LazyArray"}      (Polygraphy ≥ 0.47)
 *
 * Older files mark classes with {"__polygraphy_encoded_<Class>": "polygraphy_serialized_json_type"}
 * instead of "polygraphy_class"; we never rely on the markers, only on the keys above. trt-diff
 * adds "trt_diff_sample" (the input's id) to each IterationResult: Polygraphy's decoder reads only
 * the keys it knows, so the file stays loadable by RunResults.load.
 */
const TYPE_MARKER = 'polygraphy_class';
const SAMPLE_KEY = 'trt_diff_sample';

interface StoredTensor {
  name: string;
  iteration: number;
  sample: string;
  data: LazyString | string;
}

interface RunnerIndex {
  name: string;
  tensors: StoredTensor[];
  namedSamples: boolean;
}

type Obj = { [key: string]: LazyJson };
const isObj = (v: LazyJson | undefined): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof LazyString);

/** The "array" string of an encoded output, looking through LazyArray wrappers. */
function arrayOf(v: LazyJson | undefined, where: string, file: string): LazyString | string {
  for (let depth = 0; isObj(v) && depth < 4; depth++) {
    const a = v.array;
    if (typeof a === 'string' || a instanceof LazyString) return a;
    v = v.values;
  }
  throw new UserError(`${where}: not an encoded NumPy array (expected {"array": base64} or {"values": {...}}); torch tensors are not supported`, file);
}

function indexRunResults(root: LazyJson, file: string): RunnerIndex[] {
  const lst = isObj(root) ? root.lst : undefined;
  if (!Array.isArray(lst)) throw new UserError('not a Polygraphy RunResults JSON (no "lst" list at the top level)', file);
  return lst.map((entry, r) => {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) {
      throw new UserError(`lst[${r}] is not a [runner_name, [iteration results]] pair`, file);
    }
    const name = entry[0];
    const tensors: StoredTensor[] = [];
    let namedSamples = true;
    entry[1].forEach((it, i) => {
      const outputs = isObj(it) ? it.outputs : undefined;
      if (!isObj(outputs)) throw new UserError(`runner "${name}" iteration ${i} has no "outputs" object`, file);
      const s = isObj(it) ? it[SAMPLE_KEY] : undefined;
      if (typeof s !== 'string') namedSamples = false;
      const sample = typeof s === 'string' ? s : `iteration-${i}`;
      for (const [out, v] of Object.entries(outputs)) {
        if (out === TYPE_MARKER) continue;
        tensors.push({ name: out, iteration: i, sample, data: arrayOf(v, `runner "${name}" iteration ${i} output "${out}"`, file) });
      }
    });
    return { name, tensors, namedSamples };
  });
}

function pickRunner(runners: RunnerIndex[], selector: string | undefined, file: string): RunnerIndex {
  const names = runners.map((r) => `"${r.name}"`).join(', ');
  if (runners.length === 0) throw new UserError('RunResults holds no runner', file);
  if (selector === undefined) {
    if (runners.length === 1) return at(runners, 0);
    throw new UserError(`holds ${runners.length} runners (${names}); pick one with ${file}#<runner name or index>`, file);
  }
  const byName = runners.find((r) => r.name === selector);
  if (byName) return byName;
  if (/^\d+$/.test(selector) && Number(selector) < runners.length) return at(runners, Number(selector));
  throw new UserError(`no runner "${selector}" (runners: ${names})`, file);
}

/** Runner names of a RunResults file (for `inspect` and error messages). */
export function polygraphyRunners(file: string): { name: string; iterations: number; tensors: number }[] {
  const { root, fd } = scanJsonFile(file);
  fs.closeSync(fd);
  return indexRunResults(root, file).map((r) => ({
    name: r.name, tensors: r.tensors.length, iterations: new Set(r.tensors.map((t) => t.iteration)).size,
  }));
}

export function openPolygraphySource(file: string, runner?: string): TensorSource {
  const { root, fd } = scanJsonFile(file);
  let picked: RunnerIndex;
  try {
    picked = pickRunner(indexRunResults(root, file), runner, file);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  let open = true;
  const read = (i: number): SourceEntry => {
    const t = picked.tensors[i];
    if (!t) throw new RangeError(`no tensor ${i} in ${file}`);
    const where = `${file} (runner "${picked.name}", output "${t.name}")`;
    let b64: string;
    try {
      b64 = t.data instanceof LazyString ? decodeRaw(readRange(fd, t.data.start, t.data.end), t.data.escaped) : t.data;
    } catch (e) {
      throw new UserError(`array string is not valid JSON text (${errorMessage(e)})`, where);
    }
    return { sample: t.sample, iteration: t.iteration, pair: '', tensor: parseNpy(Buffer.from(b64, 'base64'), t.name, where) };
  };
  return {
    file, format: 'polygraphy-json', namedSamples: picked.namedSamples,
    metadata: { runner: picked.name, backend: 'polygraphy', model: `${path.basename(file)}#${picked.name}` },
    async *keys(): AsyncIterable<SourceKey> {
      for (const [index, t] of picked.tensors.entries()) yield { index, sample: t.sample, iteration: t.iteration, name: t.name, pair: '' };
    },
    async *entries(): AsyncIterable<SourceEntry> {
      for (let i = 0; i < picked.tensors.length; i++) yield read(i);
    },
    readAt: async (i) => read(i),
    close: async () => { if (open) { open = false; fs.closeSync(fd); } },
  };
}

/**
 * Streams a RunResults file: runners one after another, each a sequence of iterations, each a
 * sequence of tensors. Only the tensor being written is in memory (as .npy bytes and base64).
 * Writes through a PendingFile (src/output): completed by close(), removed by abort().
 */
export class PolygraphyJsonWriter {
  private readonly out: PendingFile;
  private runners = 0;
  private iterations = 0;
  private tensors = 0;
  private state: 'top' | 'runner' | 'iteration' = 'top';
  private done = false;
  private runnerName = '';

  private constructor(readonly file: string) {
    this.out = PendingFile.create(file);
    this.put('{\n    "lst": [');
  }

  static open(file: string): PolygraphyJsonWriter {
    return new PolygraphyJsonWriter(file);
  }

  private put(s: string): void {
    this.out.write(s);
  }

  beginRunner(name: string): void {
    this.endIteration();
    this.endRunner();
    this.put(`${this.runners++ ? ',' : ''}\n        [\n            ${JSON.stringify(name)},\n            [`);
    this.state = 'runner';
    this.iterations = 0;
    this.runnerName = name;
  }

  beginIteration(sample: string): void {
    if (this.state === 'top') throw new Error('beginIteration before beginRunner');
    this.endIteration();
    this.put(`${this.iterations++ ? ',' : ''}\n                {\n                    ${JSON.stringify(SAMPLE_KEY)}: ${JSON.stringify(sample)},\n                    "outputs": {`);
    this.state = 'iteration';
    this.tensors = 0;
  }

  write(t: Tensor, name = t.name): void {
    if (this.state !== 'iteration') throw new Error('write before beginIteration');
    if (t.dtype === 'bfloat16') throw new UserError(`tensor ${name}: NumPy has no bfloat16, so Polygraphy JSON cannot hold it`, this.file);
    const b64 = Buffer.from(encodeNpy(t)).toString('base64');
    this.put(`${this.tensors++ ? ',' : ''}\n                        ${JSON.stringify(name)}: {\n                            "array": "${b64}",\n                            "${TYPE_MARKER}": "ndarray"\n                        }`);
  }

  private endIteration(): void {
    if (this.state !== 'iteration') return;
    // runtime is unknown per iteration (trt-diff times whole runs); Polygraphy only logs it.
    this.put(`\n                    },\n                    "runtime": null,\n                    "runner_name": ${JSON.stringify(this.runnerName)},\n                    "${TYPE_MARKER}": "IterationResult"\n                }`);
    this.state = 'runner';
  }

  private endRunner(): void {
    if (this.state === 'top') return;
    this.put('\n            ]\n        ]');
    this.state = 'top';
  }

  close(): void {
    if (this.done) return;
    this.endIteration();
    this.endRunner();
    this.put(`\n    ],\n    "${TYPE_MARKER}": "RunResults"\n}\n`);
    this.out.finish();
    this.done = true;
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.out.abort();
  }
}
