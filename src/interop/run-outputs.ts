import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../graph/onnx-model.js';
import { indexGraph } from '../graph/graph-index.js';
import { openArrowSource, type TensorSource } from './tensor-source.js';
import { writePolygraphyJson } from './convert.js';

interface RunArgsLike {
  fp32: string;
  int8: string[];
  dump?: string;
  'polygraphy-json'?: string;
  [k: string]: unknown;
}

/**
 * `run --polygraphy-json out.json`: the run streams its tensors into Arrow dumps (the --dump
 * folder, or a temporary one removed afterwards), which are then streamed into one RunResults file,
 * one runner per model. Going through the dumps keeps memory at one tensor, where holding a
 * runner-major JSON's worth of activations until the run ends would not. INT8 tensors are written
 * under the FP32 names they pair with, so Polygraphy compares them; model inputs are left out (as
 * `polygraphy run --save-outputs` does).
 */
export async function withPolygraphyJson<T>(args: RunArgsLike, run: () => Promise<T>): Promise<T> {
  const out = args['polygraphy-json'];
  if (!out) return run();
  const userDump = args.dump;
  const dir = userDump ?? fs.mkdtempSync(path.join(os.tmpdir(), 'trtdiff-pgy-'));
  args.dump = dir;
  try {
    const result = await run();
    const files = ['fp32.arrow', ...(args.int8.length === 1 ? ['int8.arrow'] : args.int8.map((_, k) => `int8-${k + 1}.arrow`))];
    const inputs = new Set(indexGraph(loadModel(args.fp32).proto.graph!).inputs);
    const sources: TensorSource[] = [];
    try {
      for (const f of files) sources.push(await openArrowSource(path.join(dir, f)));
      const { runners, tensors } = await writePolygraphyJson(sources.map((source) => ({ source, exclude: inputs, pairNames: true })), out);
      if (!args.quiet) process.stderr.write(`wrote ${out}: ${runners} runners, ${tensors} tensors (Polygraphy RunResults)\n`);
    } finally {
      for (const s of sources) await s.close();
    }
    return result;
  } finally {
    args.dump = userDump;
    if (!userDump) fs.rmSync(dir, { recursive: true, force: true });
  }
}
