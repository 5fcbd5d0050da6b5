import type { Argv } from 'yargs';
import type { OnnxModel } from '../graph/onnx-model.js';
import type { SampleObserver, TensorObserver, ComparisonResult } from '../compare/compare-models.js';
import type { Report } from '../report/report.js';
import type { InputOptions } from '../inputs/input-source.js';

/** What an analysis may look at once the comparison is done. */
export interface AnalysisContext {
  fp32: OnnxModel;
  int8: readonly OnnxModel[];
  result: ComparisonResult;
  /** The input specs and parsed input options the comparison ran on (analyses that re-run models reuse them). */
  inputs: { specs: readonly string[]; options: InputOptions };
}

/** The run's settings an analysis may use besides its own options (parsed once, at the CLI edge). */
export interface RunSettings {
  /** ONNX Runtime intra-op threads of the comparison (--threads). */
  threads?: number;
  /** Activation budget per model run in bytes (--max-memory): the comparison does not hold a whole sample. */
  maxBytesPerRun?: number;
}

/** What an analysis starts from, before the comparison. */
export interface AnalysisSetup {
  fp32: OnnxModel;
  int8: readonly OnnxModel[];
  settings: RunSettings;
  /** Metadata header of the FP32 model when it is a serialized engine that exposes only its outputs (Ultralytics .engine). */
  fp32EngineMetadata?: Record<string, unknown>;
}

/** One run of an analysis: its own state lives here, from the observers to finish(). */
export interface AnalysisRun {
  /** Receive the comparison stream. */
  observers: (SampleObserver | TensorObserver)[];
  /** Write the findings into `report.candidates[k].analyses[name]` (and the analysis's own row fields). */
  finish(report: Report, ctx: AnalysisContext): void | Promise<void>;
  /**
   * Observed state as plain data (save), and, on a freshly started run, the states of every part
   * with the input-stream position of each part's samples (restore): after restore, finish() gives
   * the report of one run over all the parts' samples.
   */
  partial?: {
    save(): unknown;
    restore(parts: { state: unknown; sampleIndex: number[] }[]): void;
  };
}

/** A started analysis and its name (the key of its findings and of its partial state). */
export interface StartedAnalysis {
  name: string;
  run: AnalysisRun;
}

/**
 * An analysis that `trt-diff run` (and `demo`) can attach: it adds its own flags, starts one
 * AnalysisRun per comparison (no state between runs), which may watch the comparison stream and
 * then writes its findings into `report.candidates[k].analyses[name]` and, optionally, lines shown
 * above the table. Detection-head analysis, local error, HTML report data collection are analyses;
 * the pipeline itself knows none of them.
 */
export interface Analysis<O = unknown> {
  name: string;
  /** Adds its flags to a yargs builder (the first half of its option group). */
  options?<T>(y: Argv<T>): Argv<T>;
  /**
   * The second half, called once at the CLI edge: its flags parsed into typed, validated options,
   * or undefined when these flags do not enable it (e.g. no --local).
   */
  parse(args: Readonly<Record<string, unknown>>): O | undefined;
  /** Called before the comparison, with the options parse() returned. */
  start(options: O, setup: AnalysisSetup): AnalysisRun;
  /** Files its options name (checked and written with the command's other outputs: src/output). */
  outputs?(options: O): { flag: string; path: string | undefined }[];
  /**
   * Whether the state its runs observe merges across shards (run --partial / --workers, `merge`):
   * then every run it starts has `partial`. An analysis that watches the stream without it cannot
   * run on sharded inputs.
   */
  shardable: boolean;
  /** Terminal lines printed above the table for candidate k. */
  render?(report: Report, k: number, color: boolean): string[];
}

/** An analysis with its parsed options: what a run's options carry (cli/run-options.ts). */
export interface EnabledAnalysis {
  readonly name: string;
  readonly shardable: boolean;
  readonly outputs: { flag: string; path: string | undefined }[];
  start(setup: AnalysisSetup): AnalysisRun;
  render?(report: Report, k: number, color: boolean): string[];
}

/** Parses an analysis's flags; undefined when they do not enable it. */
export function enableAnalysis<O>(an: Analysis<O>, args: Readonly<Record<string, unknown>>): EnabledAnalysis | undefined {
  const options = an.parse(args);
  if (options === undefined) return undefined;
  return {
    name: an.name,
    shardable: an.shardable,
    outputs: an.outputs?.(options) ?? [],
    start: (setup) => an.start(options, setup),
    ...(an.render ? { render: an.render } : {}),
  };
}
