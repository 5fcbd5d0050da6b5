import { UserError } from '../errors.js';
import { openDump } from '../dump/arrow-dump-reader.js';
import { isFloatDType } from '../tensor/dtype.js';
import { accumulateTensors, finalize, mergeAccumulators, newAccumulator, sqnrDb, type MetricAccumulator } from './metrics.js';
import type { ComparisonResult, TensorRecord } from './compare-models.js';

/**
 * `trt-diff compare a.arrow b.arrow`: the same metrics from two dumps, offline. A row of b pairs
 * with the row of a that has the same sample and the name in b's `pair` column (or the same name).
 * b is indexed first (one pass, one tensor in memory at a time), then a is streamed and each
 * partner is read by random access: memory stays bounded by two tensors.
 */
export async function compareDumps(refFile: string, testFile: string): Promise<ComparisonResult> {
  const t0 = performance.now();
  const test = await openDump(testFile);
  const index = new Map<string, number>();
  for (let i = 0; i < test.batchCount; i++) {
    const e = await test.readAt(i);
    index.set(key(e.sample, e.pair || e.tensor.name), i);
  }
  const ref = await openDump(refFile);
  const acc = new Map<string, MetricAccumulator>();
  const meta = new Map<string, { shape: number[]; dtype: string; int8Name: string; order: number }>();
  const worst = new Map<string, { sample: string; sqnrDb: number }>();
  const skipped = new Map<string, string>();
  const samples = new Set<string>();
  const unmatched = new Set<string>();
  let order = 0;
  for await (const r of ref.entries()) {
    const i = index.get(key(r.sample, r.tensor.name));
    if (i === undefined) { unmatched.add(r.tensor.name); continue; }
    samples.add(r.sample);
    const t = await test.readAt(i);
    const name = r.tensor.name;
    if (!meta.has(name)) meta.set(name, { shape: r.tensor.shape, dtype: r.tensor.dtype, int8Name: t.tensor.name, order: order++ });
    if (!isFloatDType(r.tensor.dtype) || !isFloatDType(t.tensor.dtype)) { skipped.set(name, `${r.tensor.dtype} tensor`); continue; }
    if (r.tensor.data.length !== t.tensor.data.length) { skipped.set(name, 'shapes differ'); continue; }
    const one = accumulateTensors(newAccumulator(), r.tensor, t.tensor);
    const s = sqnrDb(one.sumRef2, one.sumErr2);
    if (!worst.has(name) || s < worst.get(name)!.sqnrDb) worst.set(name, { sample: r.sample, sqnrDb: s });
    const a = acc.get(name);
    if (a) mergeAccumulators(a, one); else acc.set(name, one);
  }
  await test.close();
  if (acc.size === 0) throw new UserError(`no tensor of ${testFile} pairs with a tensor of this dump`, refFile);
  const records: TensorRecord[] = [...acc].map(([name, a]) => {
    const m = meta.get(name)!;
    return {
      name, int8Name: m.int8Name, opType: '', node: '', order: m.order, shape: m.shape, dtype: m.dtype,
      int8Kind: 'float', inputs: [], metrics: finalize(a), worst: worst.get(name) ?? null,
    };
  });
  const modelOf = (md: Record<string, string>, f: string) => ({ path: md.model ?? f, sha256: md.modelSha256 ?? '', backend: md.backend ?? 'dump' });
  return {
    fp32: modelOf(ref.info.metadata, refFile),
    candidates: [{
      model: modelOf(test.info.metadata, testFile), records,
      skipped: [...skipped].map(([name, reason]) => ({ name, reason })),
      unmatched: { fp32: [...unmatched], int8: [] }, perturbation: [],
    }],
    samples: [...samples],
    timing: { totalMs: performance.now() - t0, runMs: 0, compareMs: 0, dumpMs: 0, modelRuns: 0 },
  };
}

function key(sample: string, name: string): string {
  return `${sample}\u0000${name}`;
}
