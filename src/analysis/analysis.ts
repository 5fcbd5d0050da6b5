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
  args: Record<string, unknown>;
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
export interface Analysis {
  name: string;
  options?<T>(y: Argv<T>): Argv<T>;
  /** Whether this analysis runs for these arguments (e.g. only with --local). */
  enabled(args: Record<string, unknown>): boolean;
  /** Called before the comparison. */
  start(args: Record<string, unknown>, fp32: OnnxModel, int8: readonly OnnxModel[]): AnalysisRun;
  /**
   * Whether the state its runs observe merges across shards (run --partial / --workers, `merge`):
   * then every run it starts has `partial`. An analysis that watches the stream without it cannot
   * run on sharded inputs.
   */
  shardable: boolean;
  /** Terminal lines printed above the table for candidate k. */
  render?(report: Report, k: number, color: boolean): string[];
}
