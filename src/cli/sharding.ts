import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { ANALYSES } from '../analysis/registry.js';
import type { StartedAnalysis } from '../analysis/analysis.js';
import { modelSha256 } from '../compare/compare-models.js';
import { mergePartials, readPartial, toPartial, writePartial, type PartialRun } from '../compare/partial.js';
import type { Report } from '../report/report.js';
import { MAX_THREADS, intFlag } from './flag-values.js';
import { compareRun, finishReport, openModel, type RunArgs } from './run-comparison.js';

/**
 * Sharded runs: `run --shard K/N --partial FILE` (one shard, sums to a file), `merge` (files to one
 * report), and `run --workers N` (N local shard processes, merged in this one). All three go through
 * compare/partial.ts, so a merged report is the one run's whatever started the shards.
 */

/** Flags that only shape what is written, not what is compared: left out of a partial run's args. */
const OUTPUT_ARGS = ['json', 'html', 'junit', 'fail-on', 'polygraphy-json', 'top', 'sort', 'filter', 'quiet', 'partial', 'shard', 'workers', 'dump'];

export function parseShard(s: string | undefined): { index: number; count: number } {
  if (s === undefined) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const k = Number(m?.[1]), n = Number(m?.[2]);
  if (!m || n < 1 || k < 1 || k > n) throw new UserError(`--shard wants K/N with 1 <= K <= N, got "${s}"`);
  return { index: k - 1, count: n };
}

/** The analyses this run enables that cannot merge across shards, as the flags that enable them. */
function unmergeable(a: RunArgs): string[] {
  const flags: Record<string, string> = { histograms: '--html', local: '--local' };
  const out = ANALYSES.filter((an) => an.enabled(a) && !an.shardable).map((an) => flags[an.name] ?? `the ${an.name} analysis`);
  if (a.dump) out.push('--dump');
  if (a['polygraphy-json']) out.push('--polygraphy-json');
  return out;
}

/**
 * --workers: explicit, or one process per 4 cores (ONNX Runtime's intra-op threads scale well up
 * to about 4 on these models; more processes then use the rest), at most one per input file when
 * the inputs are plain files; 1 where something enabled does not merge across processes.
 */
export function workerCount(a: RunArgs): number {
  const asked = intFlag(a, 'workers', { min: 1, max: MAX_THREADS });
  const blockers = unmergeable(a);
  if (asked !== undefined) {
    if (asked > 1 && blockers.length) throw new UserError(`${blockers.join(', ')} cannot be split over workers: drop it or use --workers 1`);
    if (asked > 1 && a.backend === 'tensorrt') throw new UserError('--workers runs ONNX Runtime processes on the CPU; the tensorrt backend uses one GPU per process (docs/scaling.md)');
    return asked;
  }
  if (blockers.length || a.backend === 'tensorrt') return 1;
  const byCores = Math.max(1, Math.floor(os.availableParallelism() / 4));
  const files = a.input.every((f) => /\.(jpe?g|png|bmp|webp|tiff?|npy)$/i.test(f) && !f.includes('=')) ? a.input.length : Infinity;
  return Math.max(1, Math.min(byCores, files, intFlag(a, 'max-images', { min: 1 }) ?? Infinity));
}

/** `run --partial FILE [--shard K/N]`: compare one shard and write its sums; no report. */
export async function writeShard(a: RunArgs): Promise<void> {
  if (a.partial === undefined) throw new UserError('--shard needs --partial FILE (where the shard\'s sums go; `trt-diff merge` joins them)');
  const outputs = ['json', 'html', 'junit', 'polygraphy-json'].filter((k) => a[k] !== undefined);
  if (((a['fail-on'] as string[] | undefined) ?? []).length) outputs.push('fail-on');
  if (outputs.length) throw new UserError(`--partial writes no report: give ${outputs.map((o) => `--${o}`).join(', ')} to \`trt-diff merge\``);
  if ((a.workers as number | undefined ?? 1) > 1) throw new UserError('--partial is one process: start one run per shard instead of --workers');
  const shard = parseShard(a.shard as string | undefined);
  const p = await comparePart(a, shard);
  writePartial(a.partial as string, p);
  if (!a.quiet) process.stderr.write(`wrote ${a.partial} (shard ${shard.index + 1}/${shard.count}: ${p.samples.length} sample(s))\n`);
}

export async function comparePart(a: RunArgs, shard: { index: number; count: number }): Promise<PartialRun> {
  const blockers = unmergeable(a).filter((f) => f !== '--dump'); // each shard may dump to its own folder
  if (blockers.length) throw new UserError(`${blockers.join(', ')} cannot be merged across shards: drop it, or run without --partial`);
  const { runs, result } = await compareRun(a, shard);
  const args = Object.fromEntries(Object.entries(a).filter(([k]) => k !== '_' && k !== '$0' && !/[A-Z]/.test(k) && k.length > 1 && !OUTPUT_ARGS.includes(k)));
  return toPartial(result, shard, args, Object.fromEntries(runs.filter((r) => r.run.partial).map((r) => [r.name, r.run.partial!.save()])));
}

/**
 * The report of partial runs: models re-opened (and checked to be the ones the parts compared),
 * observers of the merging analyses rebuilt from the parts' states, then the same finishing as a
 * run. `outputArgs` (the merge's own flags) add report outputs to the parts' run options.
 */
export async function reportFromParts(parts: { file: string; part: PartialRun }[], outputArgs: Record<string, unknown>): Promise<Report> {
  const result = mergePartials(parts);
  const a = { ...parts[0]!.part.args, ...outputArgs } as RunArgs;
  const fp32 = openModel(a.fp32);
  const int8 = a.int8.map(openModel);
  for (const [m, info] of [[fp32, result.fp32], ...int8.map((m, k) => [m, result.candidates[k]!.model] as const)] as const) {
    if (modelSha256(m) !== info.sha256) throw new UserError(`changed since the partial runs compared it (sha256 differs): merge needs the same model files`, m.path);
  }
  const runs: StartedAnalysis[] = ANALYSES.filter((an) => an.enabled(a)).map((an) => ({ name: an.name, run: an.start(a, fp32, int8) }));
  for (const r of runs) {
    r.run.partial?.restore(parts.map(({ part }) => ({ state: part.analyses[r.name], sampleIndex: part.samples.map((s) => s.index) })));
  }
  if (runs.some((r) => r.name === 'histograms')) {
    process.stderr.write('note: partial runs keep no value histograms, so the HTML report has none (a single-process run draws them)\n');
  }
  return finishReport(a, fp32, int8, runs, result);
}

export function readParts(files: readonly string[]): { file: string; part: PartialRun }[] {
  return files.map((file) => ({ file, part: readPartial(file) }));
}

/** The shard process entry (cli/shard-worker.ts), the same language as this module (tsx runs .ts). */
const WORKER = fileURLToPath(new URL(`./shard-worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * --workers N: N processes, each comparing every N-th sample into a partial file in a private
 * temp folder, merged here. Intra-op threads are split between them unless --threads is given.
 * A worker that fails stops the others; its one-line error becomes this run's.
 */
export async function runWorkers(a: RunArgs, n: number): Promise<Report> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-diff-workers-'));
  const threads = a.threads ?? Math.max(1, Math.floor(os.availableParallelism() / n));
  const args = { ...a, threads, quiet: true, workers: 1 };
  const children = Array.from({ length: n }, (_, k) => {
    const file = path.join(dir, `part-${k + 1}.json`);
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.send({ args, shard: { index: k, count: n }, file });
    const done = new Promise<{ code: number; stderr: string }>((resolve) => child.on('exit', (code, sig) => resolve({ code: code ?? (sig ? 3 : 0), stderr })));
    return { child, file, done };
  });
  try {
    const failures: { k: number; code: number; stderr: string }[] = [];
    await Promise.all(children.map(async (c, k) => {
      const r = await c.done;
      if (r.code !== 0 && failures.length === 0) {
        failures.push({ k, ...r });
        for (const o of children) if (o !== c) o.child.kill();
      } else if (r.code === 0 && r.stderr) process.stderr.write(r.stderr);
    }));
    const f = failures[0];
    if (f) {
      const line = f.stderr.trim().split('\n').pop()?.replace(/^trt-diff: /, '') ?? `worker ${f.k + 1}/${n} exited with ${f.code}`;
      if (f.code === 2) throw new UserError(line);
      throw new Error(`worker ${f.k + 1}/${n}: ${line}`);
    }
    return await reportFromParts(readParts(children.map((c) => c.file)), a);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
