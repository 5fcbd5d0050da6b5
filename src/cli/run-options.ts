import { UserError } from '../errors.js';
import { ANALYSES } from '../analysis/registry.js';
import { enableAnalysis, type EnabledAnalysis, type RunSettings } from '../analysis/analysis.js';
import type { DivergenceOptions } from '../analysis/first-divergence.js';
import type { InputOptions } from '../inputs/input-source.js';
import type { TableOptions } from '../report/table.js';
import { parseShapes } from '../runners/engine-build.js';
import { MAX_THREADS, intFlag, listFlag, pathFlag } from './flag-values.js';
import { log } from '../log.js';
import {
  inputSpecs, toDivergenceOptions, toInputOptions, toJsonTarget, toMaxBytes, toReportOutputs, toTableOptions, toThreads, type ReportOutputs,
} from './options.js';

/**
 * The options of `run` (and `demo`, a merge's report, each shard process): argv parsed once, at
 * the CLI edge, into one typed and validated object; everything past the command handler reads
 * this, never argv. Analyses get their own options (Analysis.parse) inside `analyses`.
 */
export interface RunOptions {
  fp32: string;
  int8: string[];
  inputs: { specs: string[]; options: InputOptions };
  /** --dump: folder for the Arrow dumps of every tensor. */
  dump?: string;
  settings: RunSettings;
  backend: RunBackend;
  /** Also run the first sample through the uninstrumented INT8 model (--no-perturbation-check: off). */
  perturbationCheck: boolean;
  divergence: DivergenceOptions;
  /** The enabled analyses with their parsed options, in registry order. */
  analyses: EnabledAnalysis[];
  output: RunOutputOptions;
  scaling: { workers?: number; shard?: { index: number; count: number }; partial?: string };
  /**
   * The flags that shape the comparison, as given (output flags left out): what a partial run keeps
   * (compare/partial.ts: parts of one merge must agree on them) and what a shard process parses again.
   */
  comparisonFlags: Record<string, unknown>;
}

export type RunBackend =
  | { kind: 'onnxruntime' }
  | { kind: 'tensorrt'; engineDir?: string; calibrationCache?: string; inputShapes?: Record<string, number[]> };

export interface RunOutputOptions {
  table: TableOptions;
  /** --json: a file, or - for stdout. */
  json?: string;
  quiet: boolean;
  reports: ReportOutputs;
  /** --polygraphy-json: every compared tensor as Polygraphy RunResults. */
  polygraphyJson?: string;
  /** --allow-partial: exit 0 although some requested pair never arrived. */
  allowPartial: boolean;
}

/** Flags that only shape what is written, not what is compared: left out of a partial run's flags. */
const OUTPUT_FLAGS = ['json', 'html', 'junit', 'fail-on', 'polygraphy-json', 'top', 'sort', 'filter', 'quiet', 'verbose', 'partial', 'shard', 'workers', 'dump'];

function parseShard(s: string | undefined): { index: number; count: number } {
  if (s === undefined) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const k = Number(m?.[1]), n = Number(m?.[2]);
  if (!m || n < 1 || k < 1 || k > n) throw new UserError(`--shard wants K/N with 1 <= K <= N, got "${s}"`);
  return { index: k - 1, count: n };
}

function parseBackend(a: Readonly<Record<string, unknown>>): RunBackend {
  const engineDir = pathFlag(a, 'engine-dir'), calibrationCache = pathFlag(a, 'trt-cache');
  // Checked whatever the backend, so that a malformed value is refused rather than ignored.
  const shapes = a.shapes === undefined ? undefined : parseShapes(listFlag(a, 'shapes', 'NAME:DxDx...'));
  if (a.backend !== 'tensorrt') {
    for (const [flag, v] of [['engine-dir', engineDir], ['trt-cache', calibrationCache]] as const) {
      if (v !== undefined) throw new UserError(`--${flag} applies to --backend tensorrt only`);
    }
    return { kind: 'onnxruntime' };
  }
  return { kind: 'tensorrt', engineDir, calibrationCache, inputShapes: shapes };
}

/** `run`'s argv (its flags, its analyses' flags) → RunOptions; every value checked here, before any work. */
export function parseRunOptions(a: Readonly<Record<string, unknown>>, warn: (s: string) => void = log.warn): RunOptions {
  const fp32 = pathFlag(a, 'fp32');
  if (fp32 === undefined) throw new UserError('--fp32 names the reference model');
  return {
    fp32,
    int8: listFlag(a, 'int8', 'a model path'),
    inputs: { specs: inputSpecs(a), options: toInputOptions(a, warn) },
    dump: pathFlag(a, 'dump'),
    settings: { threads: toThreads(a), maxBytesPerRun: toMaxBytes(a) },
    backend: parseBackend(a),
    perturbationCheck: a['perturbation-check'] !== false,
    divergence: toDivergenceOptions(a),
    analyses: ANALYSES.flatMap((an) => enableAnalysis(an, a) ?? []),
    output: {
      table: toTableOptions(a),
      json: toJsonTarget(a),
      quiet: !!a.quiet,
      reports: toReportOutputs(a),
      polygraphyJson: pathFlag(a, 'polygraphy-json'),
      allowPartial: !!a['allow-partial'],
    },
    scaling: {
      workers: intFlag(a, 'workers', { min: 1, max: MAX_THREADS }),
      shard: a.shard === undefined ? undefined : parseShard(String(a.shard)),
      partial: pathFlag(a, 'partial'),
    },
    comparisonFlags: Object.fromEntries(Object.entries(a).filter(([k]) => k !== '_' && k !== '$0' && !/[A-Z]/.test(k) && k.length > 1 && !OUTPUT_FLAGS.includes(k))),
  };
}
