import { UserError, at, mustGet } from '../errors.js';
import { openTensorSource, type TensorSource } from '../interop/tensor-source.js';
import { finalize } from './metrics.js';
import { PairFold } from './pair-fold.js';
import type { CandidateResult, ComparisonResult, TensorRecord } from './compare-models.js';

/**
 * `trt-diff compare ref cand...`: the same metrics from stored runs, offline. Each side is any
 * TensorSource (Arrow dump, Polygraphy RunResults JSON). A candidate tensor pairs with the
 * reference tensor of the same sample and the name in its `pair` column (or the same name).
 * Samples are matched by id when both sides name them, else by iteration index (Polygraphy files
 * carry no input ids). Candidates are indexed first (keys only), then the reference is streamed and
 * each partner read by random access: memory stays bounded by one tensor per side.
 */
export async function compareSourceFiles(refFile: string, testFiles: readonly string[]): Promise<ComparisonResult> {
  const opened: TensorSource[] = [];
  try {
    for (const f of [refFile, ...testFiles]) opened.push(await openTensorSource(f));
    return await compareSources(at(opened, 0), opened.slice(1));
  } finally {
    for (const s of opened) await s.close();
  }
}

interface CandidateState {
  source: TensorSource;
  index: Map<string, number>;
  bySample: boolean;
  /** Pooled sums, worst sample and skipped pairs of every tensor (pair-fold.ts). */
  fold: PairFold;
  int8Name: Map<string, string>;
  matchedRef: Set<string>;
  testNames: Set<string>;
}

async function compareSources(ref: TensorSource, tests: readonly TensorSource[]): Promise<ComparisonResult> {
  const t0 = performance.now();
  const cands: CandidateState[] = [];
  for (const source of tests) {
    const bySample = ref.namedSamples && source.namedSamples;
    const index = new Map<string, number>();
    const testNames = new Set<string>();
    for await (const k of source.keys()) {
      index.set(key(bySample ? k.sample : String(k.iteration), k.pair || k.name), k.index);
      testNames.add(k.pair || k.name);
    }
    cands.push({ source, index, bySample, fold: new PairFold(), int8Name: new Map(), matchedRef: new Set(), testNames });
  }
  const meta = new Map<string, { shape: number[]; dtype: string; order: number }>();
  const samples: string[] = [];
  const refNames = new Set<string>();
  for await (const r of ref.entries()) {
    const name = r.tensor.name;
    refNames.add(name);
    if (!meta.has(name)) meta.set(name, { shape: r.tensor.shape, dtype: r.tensor.dtype, order: meta.size });
    let used = false;
    for (const c of cands) {
      const i = c.index.get(key(c.bySample ? r.sample : String(r.iteration), name));
      if (i === undefined) continue;
      used = true;
      c.matchedRef.add(name);
      const t = await c.source.readAt(i);
      if (!c.int8Name.has(name)) c.int8Name.set(name, t.tensor.name);
      c.fold.add(name, r.sample, r.tensor, t.tensor);
    }
    if (used && samples[samples.length - 1] !== r.sample && !samples.includes(r.sample)) samples.push(r.sample);
  }
  const modelOf = (s: TensorSource) => ({ path: s.metadata.model ?? s.file, sha256: s.metadata.modelSha256 ?? '', backend: s.metadata.backend ?? s.format });
  const candidates: CandidateResult[] = cands.map((c) => {
    if (c.fold.acc.size === 0 && c.fold.skipped.size === 0) {
      throw new UserError(`no tensor pairs with a tensor of ${ref.file} (names and ${c.bySample ? 'sample ids' : 'iteration indices'} must match)`, c.source.file);
    }
    const records: TensorRecord[] = [...c.fold.acc].map(([name, a]) => {
      const m = mustGet(meta, name);
      return {
        name, int8Name: c.int8Name.get(name) ?? name, opType: '', node: '', order: m.order, shape: m.shape, dtype: m.dtype,
        int8Kind: 'float', inputs: [], metrics: finalize(a), worst: c.fold.worst.get(name) ?? null,
      };
    });
    records.sort((a, b) => a.order - b.order);
    return {
      model: modelOf(c.source), records,
      skipped: [...c.fold.skipped].map(([name, reason]) => ({ name, reason })),
      unmatched: { fp32: [...refNames].filter((n) => !c.matchedRef.has(n)), int8: [...c.testNames].filter((n) => !refNames.has(n)) },
      perturbation: [],
    };
  });
  return {
    fp32: modelOf(ref),
    candidates,
    samples,
    timing: { totalMs: performance.now() - t0, runMs: 0, compareMs: 0, dumpMs: 0, modelRuns: 0 },
  };
}

function key(sample: string, name: string): string {
  return `${sample}\u0000${name}`;
}
