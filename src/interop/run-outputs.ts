import * as path from 'node:path';
import { loadModel, graphOf } from '../graph/onnx-model.js';
import { indexGraph } from '../graph/graph-index.js';
import { openArrowSource, type TensorSource } from './tensor-source.js';
import { writePolygraphyJson } from './convert.js';
import { dumpFileNames } from '../dump/dump-files.js';
import { removeScratch, scratchDir, stagedPath } from '../output/output-session.js';
import { log } from '../log.js';

/** What the Polygraphy export needs of a run's options. */
interface PolygraphyRun {
  fp32: string;
  int8: readonly string[];
  /** --dump: the user's dump folder, if any. */
  dump?: string;
  output: { polygraphyJson?: string };
}

/**
 * `run --polygraphy-json out.json`: the run streams its tensors into Arrow dumps (the --dump
 * folder, or a hidden scratch folder beside the JSON file, removed afterwards), which are then streamed into one RunResults file,
 * one runner per model. Going through the dumps keeps memory at one tensor, where holding a
 * runner-major JSON's worth of activations until the run ends would not. INT8 tensors are written
 * under the FP32 names they pair with, so Polygraphy compares them; model inputs are left out (as
 * `polygraphy run --save-outputs` does).
 */
export async function withPolygraphyJson<T>(o: PolygraphyRun, run: (dump: string | undefined) => Promise<T>): Promise<T> {
  const out = o.output.polygraphyJson;
  if (!out) return run(o.dump);
  const dir = o.dump ?? scratchDir(out, 'dumps');
  try {
    const result = await run(dir);
    const files = dumpFileNames(o.int8.length);
    const inputs = new Set(indexGraph(graphOf(loadModel(o.fp32).proto)).inputs);
    const sources: TensorSource[] = [];
    try {
      // Within a command the --dump files are renamed at its end: read them where they are now.
      for (const f of files) sources.push(await openArrowSource(stagedPath(path.join(dir, f))));
      const { runners, tensors } = await writePolygraphyJson(sources.map((source) => ({ source, exclude: inputs, pairNames: true })), out);
      log.info(`wrote ${out}: ${runners} runners, ${tensors} tensors (Polygraphy RunResults)`);
    } finally {
      for (const s of sources) await s.close();
    }
    return result;
  } finally {
    if (o.dump === undefined) removeScratch(dir);
  }
}
