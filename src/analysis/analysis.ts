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

/**
 * An analysis that `trt-diff run` (and `demo`) can attach: it adds its own flags, may watch the
 * comparison stream (observers), then writes its findings into `report.candidates[k].analyses[name]`
 * and, optionally, lines shown above the table. Detection-head analysis, local error, HTML report
 * data collection are analyses; the pipeline itself knows none of them.
 */
export interface Analysis {
  name: string;
  options?<T>(y: Argv<T>): Argv<T>;
  /** Whether this analysis runs for these arguments (e.g. only with --local). */
  enabled(args: Record<string, unknown>): boolean;
  /** Called before the comparison; observers receive the stream. */
  observers?(args: Record<string, unknown>, fp32: OnnxModel, int8: readonly OnnxModel[]): (SampleObserver | TensorObserver)[];
  finish(report: Report, ctx: AnalysisContext): void | Promise<void>;
  /** Terminal lines printed above the table for candidate k. */
  render?(report: Report, k: number, color: boolean): string[];
}
