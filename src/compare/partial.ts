import * as fs from 'node:fs';
import { UserError, errorMessage, at } from '../errors.js';
import { writeFileAtomic } from '../output/output-session.js';
import { finalize, mergeAccumulators, newAccumulator, type MetricAccumulator } from './metrics.js';
import type { CandidateResult, ComparisonResult, ModelInfo, TensorRecord } from './compare-models.js';

/**
 * A partial run: what one shard of the inputs (`run --shard K/N --partial part-K.json`, or one
 * `--workers` process) found, kept as the exact FP64 sums rather than finished metrics, so that
 * `trt-diff merge` (and `run --workers`) pools any set of shards into the report one run over all
 * inputs gives: same sums up to float re-association, same worst image, same first divergence.
 * Analyses that watch the stream keep their own mergeable state under `analyses` (Analysis.partial).
 */
export interface PartialRun {
  format: 'trt-diff-partial';
  version: 1;
  shard: { index: number; count: number };
  /** The run's options that shape the comparison; every part of a merge must agree on them. */
  args: Record<string, unknown>;
  fp32: ModelInfo;
  /** Samples of this shard with their position in the whole input stream. */
  samples: { id: string; index: number }[];
  candidates: PartialCandidate[];
  analyses: Record<string, unknown>;
  timing: ComparisonResult['timing'];
}

interface PartialCandidate {
  model: ModelInfo;
  records: (Omit<TensorRecord, 'metrics'> & { acc: MetricAccumulator })[];
  skipped: CandidateResult['skipped'];
  unmatched: CandidateResult['unmatched'];
  perturbation: CandidateResult['perturbation'];
}

export function toPartial(result: ComparisonResult, shard: PartialRun['shard'], args: Record<string, unknown>, analyses: Record<string, unknown>): PartialRun {
  const index = result.sampleIndex ?? result.samples.map((_, i) => i);
  return {
    format: 'trt-diff-partial', version: 1, shard, args, fp32: result.fp32,
    samples: result.samples.map((id, i) => ({ id, index: at(index, i) })),
    candidates: result.candidates.map((c) => ({
      model: c.model,
      records: c.records.map(({ metrics: _m, ...r }) => ({ ...r, acc: c.accumulators?.get(r.name) ?? missingSums(r.name) })),
      skipped: c.skipped, unmatched: c.unmatched, perturbation: c.perturbation,
    })),
    analyses,
    timing: result.timing,
  };
}

function missingSums(name: string): never {
  throw new Error(`no accumulator kept for ${name}`);
}

/** Non-finite numbers (sums over NaN data, ±Infinity extrema) survive the file as {"$num": "…"}; finite doubles round-trip exactly. */
function replacer(_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? { $num: String(v) } : v;
}
function reviver(_k: string, v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$num === 'string' && Object.keys(o).length === 1) return Number(o.$num);
  }
  return v;
}

export function writePartial(file: string, p: PartialRun): void {
  writeFileAtomic(file, JSON.stringify(p, replacer));
}

export function readPartial(file: string): PartialRun {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new UserError(`cannot read partial run (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`, file);
  }
  let p: PartialRun;
  try { p = JSON.parse(text, reviver) as PartialRun; } catch (e) {
    throw new UserError(`not a trt-diff partial run: ${errorMessage(e)}`, file);
  }
  if (p?.format !== 'trt-diff-partial' || !Array.isArray(p.candidates) || !Array.isArray(p.samples)) {
    throw new UserError('not a trt-diff partial run (written by `trt-diff run --partial`)', file);
  }
  if (p.version !== 1) throw new UserError(`partial run format version ${p.version} is not supported (this trt-diff reads version 1)`, file);
  return p;
}

/** Options that may differ between the parts of one merge (where each shard wrote its own files). */
const PER_SHARD_ARGS = new Set(['shard', 'partial', 'dump', 'threads', 'workers', 'max-memory', 'quiet']);

/**
 * Checks that the parts belong together (same models, same options, shards K/N of one N, each
 * once, covering 1..N) and pools them: accumulators merged, worst sample the lowest SQNR (the
 * earliest sample in input order on a tie, as one run keeps it), skipped and unmatched tensors
 * united, the perturbation check from the shard holding the first sample.
 */
export function mergePartials(parts: readonly { file: string; part: PartialRun }[]): ComparisonResult {
  if (parts.length === 0) throw new UserError('merge needs at least one partial run');
  const first = at(parts, 0);
  const count = first.part.shard.count;
  const seen = new Map<number, string>();
  for (const { file, part } of parts) {
    if (part.shard.count !== count) throw new UserError(`shard ${part.shard.index + 1}/${part.shard.count} does not belong with ${first.file} (shard ${first.part.shard.index + 1}/${count})`, file);
    const dup = seen.get(part.shard.index);
    if (dup) throw new UserError(`shard ${part.shard.index + 1}/${count} given twice (also ${dup})`, file);
    seen.set(part.shard.index, file);
    if (part.fp32.sha256 !== first.part.fp32.sha256) throw new UserError(`FP32 model differs from ${first.file}'s (${part.fp32.path} vs ${first.part.fp32.path})`, file);
    const shas = (p: PartialRun) => p.candidates.map((c) => c.model.sha256).join(',');
    if (shas(part) !== shas(first.part)) throw new UserError(`INT8 model(s) differ from ${first.file}'s`, file);
    const diff = differingArg(first.part.args, part.args);
    if (diff) throw new UserError(`run option --${diff} differs from ${first.file}'s: parts of one merge must come from the same command`, file);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new UserError(`shard(s) ${missing.map((i) => `${i + 1}/${count}`).join(', ')} missing: merge all ${count} parts of the run`);

  const samples = parts.flatMap(({ part }) => part.samples).sort((a, b) => a.index - b.index);
  const position = new Map<string, number>();
  samples.forEach((s, i) => { if (!position.has(s.id)) position.set(s.id, i); });
  const timing = { totalMs: 0, runMs: 0, compareMs: 0, dumpMs: 0, modelRuns: 0 };
  for (const { part } of parts) for (const k of Object.keys(timing) as (keyof typeof timing)[]) timing[k] = k === 'totalMs' ? Math.max(timing[k], part.timing[k]) : timing[k] + part.timing[k];
  const holdsFirst = parts.find(({ part }) => part.samples.some((s) => s.index === 0))?.part;

  const candidates = first.part.candidates.map((c0, k): CandidateResult => {
    const records = new Map<string, TensorRecord & { acc: MetricAccumulator }>();
    const skipped = new Map<string, string>();
    for (const { part } of parts) {
      const c = at(part.candidates, k);
      for (const s of c.skipped) if (!skipped.has(s.name)) skipped.set(s.name, s.reason);
      for (const r of c.records) {
        const have = records.get(r.name);
        if (!have) {
          records.set(r.name, { ...r, acc: mergeAccumulators(newAccumulator(), r.acc), metrics: undefined as never });
          continue;
        }
        mergeAccumulators(have.acc, r.acc);
        if (r.worst && (!have.worst || earlier(r.worst, have.worst, position))) have.worst = r.worst;
      }
    }
    const kept = [...records.values()].filter((r) => !skipped.has(r.name)).sort((a, b) => a.order - b.order);
    return {
      model: c0.model,
      records: kept.map(({ acc, ...r }) => ({ ...r, metrics: finalize(acc) })),
      skipped: [...skipped].map(([name, reason]) => ({ name, reason })),
      unmatched: c0.unmatched,
      perturbation: holdsFirst?.candidates[k]?.perturbation ?? [],
      accumulators: new Map(kept.map((r) => [r.name, r.acc])),
    };
  });
  return { fp32: first.part.fp32, candidates, samples: samples.map((s) => s.id), sampleIndex: samples.map((s) => s.index), timing };
}

/** Whether worst sample a beats b: lower SQNR, or the same SQNR on an earlier sample. */
function earlier(a: { sample: string; sqnrDb: number }, b: { sample: string; sqnrDb: number }, position: Map<string, number>): boolean {
  if (a.sqnrDb !== b.sqnrDb) return a.sqnrDb < b.sqnrDb;
  return (position.get(a.sample) ?? Infinity) < (position.get(b.sample) ?? Infinity);
}

function differingArg(a: Record<string, unknown>, b: Record<string, unknown>): string | undefined {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (PER_SHARD_ARGS.has(k)) continue;
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return k;
  }
  return undefined;
}
