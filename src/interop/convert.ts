import * as path from 'node:path';
import { UserError, at } from '../errors.js';
import { PolygraphyJsonWriter } from './polygraphy-json.js';
import { openTensorSource, type TensorSource } from './tensor-source.js';

/** One run to write as one Polygraphy runner. */
export interface RunnerInput {
  source: TensorSource;
  /** Runner name; default: the source's own (Polygraphy) or trt-diff-<role>-<model file>. */
  name?: string;
  /** Tensors to leave out (the model inputs, which the FP32 dump also holds). */
  exclude?: ReadonlySet<string>;
  /**
   * Write each tensor under the FP32 name it pairs with (the dump's `pair` column) so that
   * Polygraphy, which matches outputs by name, compares INT8 `X_DequantizeLinear_Output` with FP32 `X`.
   */
  pairNames?: boolean;
}

function runnerName(s: TensorSource): string {
  if (s.metadata.runner) return s.metadata.runner;
  return `trt-diff-${s.metadata.role ?? 'run'}-${path.basename(s.metadata.model ?? s.file)}`;
}

/** Stream runs into one RunResults JSON, one tensor in memory at a time. */
export async function writePolygraphyJson(inputs: readonly RunnerInput[], out: string): Promise<{ runners: number; tensors: number }> {
  const w = PolygraphyJsonWriter.open(out);
  let tensors = 0;
  try {
    for (const input of inputs) {
      w.beginRunner(input.name ?? runnerName(input.source));
      let sample: string | undefined;
      for await (const e of input.source.entries()) {
        const name = input.pairNames && e.pair ? e.pair : e.tensor.name;
        if (input.exclude?.has(name) || input.exclude?.has(e.tensor.name)) continue;
        if (e.sample !== sample) { w.beginIteration(e.sample); sample = e.sample; }
        w.write(e.tensor, name);
        tensors++;
      }
    }
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
  return { runners: inputs.length, tensors };
}

/** One run (an Arrow dump or one runner of a RunResults file) into an Arrow dump. */
async function writeArrowDump(source: TensorSource, out: string): Promise<number> {
  const md = source.metadata;
  const { ArrowDumpWriter } = await import('../dump/arrow-dump-writer.js'); // loaded on first use (apache-arrow)
  const w = ArrowDumpWriter.open(out, { ...md, role: md.role ?? 'run', model: md.model ?? source.file, backend: md.backend ?? source.format, convertedFrom: path.basename(source.file) });
  let n = 0;
  try {
    for await (const e of source.entries()) { w.write(e.tensor, e.sample, e.pair); n++; }
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
  return n;
}

/**
 * `trt-diff convert in out`: Arrow dump ↔ Polygraphy RunResults JSON, by the output's extension.
 * Several inputs become several runners of one JSON file; an Arrow output takes exactly one run.
 */
export async function convertFiles(inputs: readonly string[], output: string): Promise<string> {
  const toJson = /\.json$/i.test(output);
  if (!toJson && !/\.(arrow|feather)$/i.test(output)) throw new UserError('output must end in .json (Polygraphy RunResults) or .arrow (trt-diff dump)', output);
  if (!toJson && inputs.length !== 1) throw new UserError(`an Arrow dump holds one run; got ${inputs.length} inputs`, output);
  const sources: TensorSource[] = [];
  try {
    for (const i of inputs) sources.push(await openTensorSource(i));
    if (toJson) {
      const { runners, tensors } = await writePolygraphyJson(sources.map((source) => ({ source, pairNames: true })), output);
      return `wrote ${output}: ${runners} runner(s), ${tensors} tensors`;
    }
    const n = await writeArrowDump(at(sources, 0), output);
    return `wrote ${output}: ${n} tensors`;
  } finally {
    for (const s of sources) await s.close();
  }
}
