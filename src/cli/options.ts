import type { Argv } from 'yargs';
import { UserError } from '../errors.js';
import type { ImagePreprocess } from '../inputs/image-loader.js';
import { YOLO_PREPROCESS } from '../inputs/image-loader.js';
import type { InputOptions } from '../inputs/input-source.js';
import { DEFAULT_DIVERGENCE, type DivergenceOptions } from '../analysis/first-divergence.js';
import type { SortKey, TableOptions } from '../report/table.js';
import { useColor } from '../report/format.js';
import { parseGates, type Gate } from '../report/gates.js';

/**
 * Option groups shared by commands (Polygraphy's habit): each group adds its flags to a yargs
 * builder and turns parsed argv into the typed options of the module it feeds.
 */
export function inputOptions<T>(y: Argv<T>) {
  return y
    .option('input', { alias: 'i', type: 'string', array: true, default: [] as string[], describe: 'image, folder, list.txt, x.npy, name=x.npy, dump.arrow, or random[:seed] (repeatable)', group: 'Inputs:' })
    .option('max-images', { type: 'number', describe: 'stop after this many samples', group: 'Inputs:' })
    .option('imgsz', { type: 'number', describe: 'spatial size for models with dynamic H/W (default 640)', group: 'Inputs:' })
    .option('resize', { choices: ['letterbox', 'resize'] as const, default: 'letterbox' as const, describe: 'keep aspect ratio and pad (YOLO), or stretch', group: 'Inputs:' })
    .option('pad-value', { type: 'number', default: 114, group: 'Inputs:' })
    .option('bgr', { type: 'boolean', default: false, describe: 'feed BGR instead of RGB', group: 'Inputs:' })
    .option('no-normalize', { type: 'boolean', default: false, describe: 'feed 0..255 instead of 0..1', group: 'Inputs:' })
    .option('mean', { type: 'string', describe: 'per-channel mean after /255, e.g. 0.485,0.456,0.406', group: 'Inputs:' })
    .option('std', { type: 'string', describe: 'per-channel std, e.g. 0.229,0.224,0.225', group: 'Inputs:' })
    .option('nhwc', { type: 'boolean', default: false, describe: 'model takes NHWC images', group: 'Inputs:' })
    .option('strict-inputs', { type: 'boolean', default: false, describe: 'refuse non-image files in an image folder instead of skipping them', group: 'Inputs:' });
}

function triple(s: string | undefined, flag: string): [number, number, number] | undefined {
  if (s === undefined) return undefined;
  const v = s.split(',').map(Number);
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x))) throw new UserError(`--${flag} wants three comma-separated numbers, got "${s}"`);
  return v as [number, number, number];
}

export function toInputOptions(a: Record<string, unknown>, warn: (s: string) => void): InputOptions {
  const pre: ImagePreprocess = {
    ...YOLO_PREPROCESS,
    mode: a.resize as ImagePreprocess['mode'],
    padValue: a['pad-value'] as number,
    channelOrder: a.bgr ? 'bgr' : 'rgb',
    normalize: !a['no-normalize'],
    mean: triple(a.mean as string | undefined, 'mean'),
    std: triple(a.std as string | undefined, 'std'),
    layout: a.nhwc ? 'nhwc' : 'nchw',
  };
  return { preprocess: pre, imgsz: a.imgsz as number | undefined, maxSamples: a['max-images'] as number | undefined, strict: !!a['strict-inputs'], warn };
}

export function thresholdOptions<T>(y: Argv<T>) {
  return y
    .option('sqnr-threshold', { type: 'number', default: DEFAULT_DIVERGENCE.sqnrThresholdDb, describe: 'SQNR (dB) under which a tensor counts as diverged', group: 'Divergence:' })
    .option('drop-db', { type: 'number', default: DEFAULT_DIVERGENCE.dropDb, describe: 'dB below its inputs for the error to count as made at that tensor', group: 'Divergence:' })
    .option('cosine-threshold', { type: 'number', default: DEFAULT_DIVERGENCE.cosineThreshold, group: 'Divergence:' });
}

export function toDivergenceOptions(a: Record<string, unknown>): DivergenceOptions {
  return { ...DEFAULT_DIVERGENCE, sqnrThresholdDb: a['sqnr-threshold'] as number, dropDb: a['drop-db'] as number, cosineThreshold: a['cosine-threshold'] as number };
}

export function tableOptions<T>(y: Argv<T>) {
  return y
    .option('top', { type: 'number', describe: 'show only the N worst rows', group: 'Output:' })
    .option('sort', { choices: ['order', 'sqnr', 'cosine', 'maxabs', 'drop'] as const, default: 'order' as const, group: 'Output:' })
    .option('filter', { type: 'string', describe: 'regex on tensor name or op type', group: 'Output:' })
    .option('json', { type: 'string', describe: 'write the full report as JSON (use - for stdout)', group: 'Output:' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no table, only the summary', group: 'Output:' });
}

export function toTableOptions(a: Record<string, unknown>): TableOptions {
  let filter: RegExp | undefined;
  if (a.filter !== undefined) {
    try { filter = new RegExp(a.filter as string); } catch { throw new UserError(`--filter is not a valid regular expression: ${a.filter}`); }
  }
  return { top: a.top as number | undefined, sort: a.sort as SortKey, filter, color: useColor() };
}

/** Report files and CI gates (run, demo, compare): see docs/reports.md. */
export function reportOutputOptions<T>(y: Argv<T>) {
  return y
    .option('html', { type: 'string', describe: 'write a self-contained HTML report (charts, sortable table, histograms)', group: 'Reports:' })
    .option('fail-on', { type: 'string', array: true, default: [] as string[], describe: 'CI gate, e.g. "sqnr<20@output0", "cosine<0.999@output0", "verdict!=ok", "first-divergence" (repeatable; exit 1 when one fails)', group: 'Reports:' })
    .option('junit', { type: 'string', describe: 'write one JUnit test case per gate and candidate', group: 'Reports:' });
}

/** Runs only: the tensors of every model in Polygraphy's RunResults JSON. */
export function polygraphyOutputOption<T>(y: Argv<T>) {
  return y.option('polygraphy-json', { type: 'string', describe: 'also write every compared tensor as Polygraphy RunResults JSON (one runner per model)', group: 'Reports:' });
}

export interface ReportOutputs {
  html?: string;
  junit?: string;
  gates: Gate[];
}

/** Parsed before the run, so that a mistyped gate fails in a second, not after the comparison. */
export function toReportOutputs(a: Record<string, unknown>): ReportOutputs {
  return { html: a.html as string | undefined, junit: a.junit as string | undefined, gates: parseGates((a['fail-on'] as string[] | undefined) ?? []) };
}
