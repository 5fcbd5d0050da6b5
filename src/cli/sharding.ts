import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError, at } from '../errors.js';
import type { StartedAnalysis } from '../analysis/analysis.js';
import { modelSha256 } from '../compare/compare-models.js';
import { mergePartials, readPartial, toPartial, writePartial, type PartialRun } from '../compare/partial.js';
import type { Report } from '../report/report.js';
import { compareRun, finishReport, openModel } from './run-comparison.js';
import type { RunOptions } from './run-options.js';
import { log } from '../log.js';

/**
 * Sharded runs: `run --shard K/N --partial FILE` (one shard, sums to a file), `merge` (files to one
 * report), and `run --workers N` (N local shard processes, merged in this one). All three go through
 * compare/partial.ts, so a merged report is the one run's whatever started the shards.
 */

/** The analyses this run enables that cannot merge across shards, as the flags that enable them. */
function unmergeable(o: RunOptions): string[] {
  const flags: Record<string, string> = { histograms: '--html', local: '--local' };
  const out = o.analyses.filter((an) => !an.shardable).map((an) => flags[an.name] ?? `the ${an.name} analysis`);
  if (o.dump !== undefined) out.push('--dump');
  if (o.output.polygraphyJson !== undefined) out.push('--polygraphy-json');
  return out;
}

/**
 * --workers: explicit, or one process per 4 cores (ONNX Runtime's intra-op threads scale well up
 * to about 4 on these models; more processes then use the rest), at most one per input file when
 * the inputs are plain files; 1 where something enabled does not merge across processes.
 */
export function workerCount(o: RunOptions): number {
  const asked = o.scaling.workers;
  const blockers = unmergeable(o);
  if (asked !== undefined) {
    if (asked > 1 && blockers.length) throw new UserError(`${blockers.join(', ')} cannot be split over workers: drop it or use --workers 1`);
    if (asked > 1 && o.backend.kind === 'tensorrt') throw new UserError('--workers runs ONNX Runtime processes on the CPU; the tensorrt backend uses one GPU per process (docs/scaling.md)');
    return asked;
  }
  if (blockers.length || o.backend.kind === 'tensorrt') return 1;
  const byCores = Math.max(1, Math.floor(os.availableParallelism() / 4));
  const specs = o.inputs.specs;
  const files = specs.every((f) => /\.(jpe?g|png|bmp|webp|tiff?|npy)$/i.test(f) && !f.includes('=')) ? specs.length : Infinity;
  return Math.max(1, Math.min(byCores, files, o.inputs.options.maxSamples ?? Infinity));
}

/** `run --partial FILE [--shard K/N]`: compare one shard and write its sums; no report. */
export async function writeShard(o: RunOptions): Promise<void> {
  const file = o.scaling.partial;
  if (file === undefined) throw new UserError('--shard needs --partial FILE (where the shard\'s sums go; `trt-diff merge` joins them)');
  const { json, reports, polygraphyJson } = o.output;
  const outputs = Object.entries({ json, html: reports.html, junit: reports.junit, 'polygraphy-json': polygraphyJson }).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (reports.gates.length) outputs.push('fail-on');
  if (outputs.length) throw new UserError(`--partial writes no report: give ${outputs.map((f) => `--${f}`).join(', ')} to \`trt-diff merge\``);
  if ((o.scaling.workers ?? 1) > 1) throw new UserError('--partial is one process: start one run per shard instead of --workers');
  const shard = o.scaling.shard ?? { index: 0, count: 1 };
  const p = await comparePart(o, shard);
  writePartial(file, p);
  log.info(`wrote ${file} (shard ${shard.index + 1}/${shard.count}: ${p.samples.length} sample(s))`);
}

export async function comparePart(o: RunOptions, shard: { index: number; count: number }): Promise<PartialRun> {
  const blockers = unmergeable(o).filter((f) => f !== '--dump'); // each shard may dump to its own folder
  if (blockers.length) throw new UserError(`${blockers.join(', ')} cannot be merged across shards: drop it, or run without --partial`);
  const { runs, result } = await compareRun(o, shard);
  const states: Record<string, unknown> = {};
  for (const r of runs) if (r.run.partial) states[r.name] = r.run.partial.save();
  return toPartial(result, shard, o.comparisonFlags, states);
}

/** The flags of the run the parts come from (as each part keeps them), with the merge's own output flags. */
export function partsRunFlags(parts: readonly { part: PartialRun }[], outputFlags: Record<string, unknown>): Record<string, unknown> {
  const first = parts[0];
  if (!first) throw new UserError('merge needs at least one partial run');
  return { ...first.part.args, ...outputFlags };
}

/**
 * The report of partial runs: models re-opened (and checked to be the ones the parts compared),
 * observers of the merging analyses rebuilt from the parts' states, then the same finishing as a
 * run. `o`: the run's options as the parts keep them, with the merge's outputs (partsRunFlags).
 */
export async function reportFromParts(parts: { file: string; part: PartialRun }[], o: RunOptions): Promise<Report> {
  const result = mergePartials(parts);
  const fp32 = openModel(o.fp32);
  const int8 = o.int8.map(openModel);
  for (const [m, info] of [[fp32, result.fp32], ...int8.map((m, k) => [m, at(result.candidates, k).model] as const)] as const) {
    if (modelSha256(m) !== info.sha256) throw new UserError(`changed since the partial runs compared it (sha256 differs): merge needs the same model files`, m.path);
  }
  const runs: StartedAnalysis[] = o.analyses.map((an) => ({ name: an.name, run: an.start({ fp32, int8, settings: o.settings }) }));
  for (const r of runs) {
    r.run.partial?.restore(parts.map(({ part }) => ({ state: part.analyses[r.name], sampleIndex: part.samples.map((s) => s.index) })));
  }
  if (runs.some((r) => r.name === 'histograms')) {
    log.warn('note: partial runs keep no value histograms, so the HTML report has none (a single-process run draws them)');
  }
  return finishReport(o, fp32, int8, runs, result);
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
export async function runWorkers(o: RunOptions, n: number): Promise<Report> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trt-diff-workers-'));
  const threads = o.settings.threads ?? Math.max(1, Math.floor(os.availableParallelism() / n));
  // Each process parses these flags at its own edge (cli/shard-worker.ts), as a merge parses a part's.
  const flags = { ...o.comparisonFlags, threads, quiet: true };
  const children = Array.from({ length: n }, (_, k) => {
    const file = path.join(dir, `part-${k + 1}.json`);
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.send({ flags, shard: { index: k, count: n }, file });
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
      } else if (r.code === 0 && r.stderr) for (const line of r.stderr.trimEnd().split('\n')) log.warn(line);
    }));
    const f = failures[0];
    if (f) {
      const line = f.stderr.trim().split('\n').pop()?.replace(/^trt-diff: /, '') ?? `worker ${f.k + 1}/${n} exited with ${f.code}`;
      if (f.code === 2) throw new UserError(line);
      throw new Error(`worker ${f.k + 1}/${n}: ${line}`);
    }
    return await reportFromParts(readParts(children.map((c) => c.file)), o);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
