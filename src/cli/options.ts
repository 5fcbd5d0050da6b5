import type { Argv } from 'yargs';
import { UserError, invalidParameter, at } from '../errors.js';
import type { ImagePreprocess } from '../inputs/image-loader.js';
import { YOLO_PREPROCESS } from '../inputs/image-loader.js';
import type { ImageSize, InputOptions } from '../inputs/input-source.js';
import { INPUT_GRAMMAR } from '../inputs/input-spec.js';
import { PRESETS, PRESET_NAMES, type PresetName } from '../inputs/presets.js';
import { DEFAULT_DIVERGENCE, type DivergenceOptions } from '../analysis/first-divergence.js';
import type { SortKey, TableOptions } from '../report/table.js';
import { useColor } from '../report/format.js';
import { parseGates, type Gate } from '../report/gates.js';
import { parseChannelRange, type ChannelRange } from '../quant/output-channels.js';
import { MAX_THREADS, intFlag, listFlag, numberFlag, numberListFlag, numeric, pathFlag } from './flag-values.js';

/**
 * Option groups shared by commands (Polygraphy's arg groups, both halves): each group adds its
 * flags to a yargs builder, and its `to...` function turns parsed argv into the typed options of
 * the module it feeds, refusing bad values in one shape (flag-values.ts). A command joins a group
 * by calling both.
 */
type Args = Record<string, unknown>;

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────

export function inputOptions<T>(y: Argv<T>, opt: { maxImages?: number } = {}) {
  return y
    .option('input', { alias: ['i', 'images'], type: 'string', array: true, default: [] as string[], describe: `${INPUT_GRAMMAR} (repeatable: specs of one input are concatenated, of different inputs zipped)`, group: 'Inputs:' })
    .option('max-images', { ...numeric, ...(opt.maxImages ? { default: opt.maxImages } : {}), describe: 'stop after this many samples (integer ≥ 1)', group: 'Inputs:' })
    .option('imgsz', { ...numeric, describe: 'H,W (or one size for both) for inputs with dynamic H/W (default 640)', group: 'Inputs:' })
    .option('preset', { choices: PRESET_NAMES, describe: 'preprocessing of a model family (docs/inputs.md); flags below override it (default yolov8)', group: 'Inputs:' })
    .option('resize', { choices: ['letterbox', 'resize', 'crop'] as const, describe: 'keep aspect ratio and pad (YOLO), stretch, or cover and cut the centre (ImageNet)', group: 'Inputs:' })
    .option('pad-value', { ...numeric, describe: 'letterbox padding, in pixel units 0..255 (default 114)', group: 'Inputs:' })
    .option('pad-position', { choices: ['center', 'top-left'] as const, describe: 'letterbox: centre the picture (Ultralytics) or put it top-left (YOLOX)', group: 'Inputs:' })
    .option('crop-fraction', { ...numeric, describe: 'crop: share of the resized picture kept (imagenet: 0.875)', group: 'Inputs:' })
    .option('bgr', { type: 'boolean', describe: 'feed BGR instead of RGB (--no-bgr: RGB)', group: 'Inputs:' })
    .option('normalize', { type: 'boolean', describe: 'divide pixels by 255 (default); --no-normalize feeds 0..255', group: 'Inputs:' })
    .option('mean', { type: 'string', describe: 'per-channel mean after /255, e.g. 0.485,0.456,0.406 (one value: every channel)', group: 'Inputs:' })
    .option('std', { type: 'string', describe: 'per-channel std, e.g. 0.229,0.224,0.225', group: 'Inputs:' })
    .option('nhwc', { type: 'boolean', describe: 'model takes NHWC images', group: 'Inputs:' })
    .option('strict-inputs', { type: 'boolean', default: false, describe: 'refuse files in an input folder that are not images or .npy instead of skipping them', group: 'Inputs:' });
}

/** --imgsz N or H,W (also HxW). @internal */
export function toImageSize(a: Args): ImageSize | undefined {
  const v = a.imgsz;
  if (v === undefined) return undefined;
  const parts = String(v).split(/[,x]/).map((s) => s.trim());
  const n = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (n.length > 2 || n.some((x) => !(x >= 1 && x <= 16384))) throw invalidParameter('imgsz', 'N or H,W with sizes from 1 to 16384', v);
  return { height: at(n, 0), width: at(n, n.length - 1) };
}

/** @internal */
export function toPreprocess(a: Args): ImagePreprocess {
  const base: ImagePreprocess = a.preset ? PRESETS[a.preset as PresetName] : YOLO_PREPROCESS;
  const mean = numberListFlag(a, 'mean', [1, 3]);
  const std = numberListFlag(a, 'std', [1, 3]);
  if (std?.some((s) => s === 0)) throw invalidParameter('std', 'non-zero numbers', a.std);
  return {
    ...base,
    ...(a.resize !== undefined ? { mode: a.resize as ImagePreprocess['mode'] } : {}),
    ...(a['pad-value'] !== undefined ? { padValue: numberFlag(a, 'pad-value', { min: 0, max: 255 })! } : {}),
    ...(a['pad-position'] !== undefined ? { padPosition: a['pad-position'] as ImagePreprocess['padPosition'] } : {}),
    ...(a['crop-fraction'] !== undefined ? { cropFraction: numberFlag(a, 'crop-fraction', { min: 0, max: 1, above: true })! } : {}),
    ...(a.bgr !== undefined ? { channelOrder: a.bgr ? 'bgr' : 'rgb' } : {}),
    ...(a.normalize !== undefined ? { normalize: !!a.normalize } : {}),
    ...(mean ? { mean } : {}),
    ...(std ? { std } : {}),
    ...(a.nhwc !== undefined ? { layout: a.nhwc ? 'nhwc' : 'nchw' } : {}),
  };
}

export function toInputOptions(a: Args, warn: (s: string) => void): InputOptions {
  return {
    preprocess: toPreprocess(a), imgsz: toImageSize(a), maxSamples: intFlag(a, 'max-images', { min: 1 }), strict: !!a['strict-inputs'], warn,
  };
}

/** The --input specs (also given as --images). */
export function inputSpecs(a: Args): string[] {
  return listFlag(a, 'input', INPUT_GRAMMAR);
}

// ── Runtime ───────────────────────────────────────────────────────────────────────────────────

export function threadsOption<T>(y: Argv<T>) {
  return y.option('threads', { ...numeric, describe: `ONNX Runtime intra-op threads (1 to ${MAX_THREADS}: 4 per logical CPU)`, group: 'Runtime:' });
}

export function toThreads(a: Args): number | undefined {
  return intFlag(a, 'threads', { min: 1, max: MAX_THREADS });
}

export function maxMemoryOption<T>(y: Argv<T>, describe = 'activation budget per model run in MB (fetch tensors in groups)') {
  return y.option('max-memory', { ...numeric, describe: `${describe}; a number above 0`, group: 'Runtime:' });
}

/** --max-memory MB → bytes. */
export function toMaxBytes(a: Args): number | undefined {
  const mb = numberFlag(a, 'max-memory', { min: 0, above: true });
  return mb === undefined ? undefined : Math.max(1, Math.round(mb * 1024 * 1024));
}

// ── Models and outputs shared by commands ─────────────────────────────────────────────────────

export function int8Option<T>(y: Argv<T>, describe = 'quantized model(s) to compare (repeat for several candidates)') {
  return y.option('int8', { type: 'string', array: true, demandOption: true, describe });
}

/** --json: a file path, or - for stdout; never a boolean. */
export function jsonOption<T>(y: Argv<T>, describe = 'write the full report as JSON (- for stdout)', group?: string) {
  return y.option('json', { type: 'string', requiresArg: true, describe, ...(group ? { group } : {}) });
}

export function toJsonTarget(a: Args): string | undefined {
  return pathFlag(a, 'json', { dash: true });
}

/** --score-channels START:END (alias --channels): rows of output axis 1 scored separately; one grammar, one default. */
export function scoreChannelsOption<T>(y: Argv<T>, describe: string) {
  return y.option('score-channels', { alias: 'channels', type: 'string', default: '4:', describe: `${describe}; START:END, START: (to the end) or START (one row)` });
}

export function toScoreChannels(a: Args): ChannelRange {
  return parseChannelRange(String(a['score-channels'] ?? '4:'));
}

/** The same range as [start, end | undefined] (end undefined: to the end), for the localize meters. */
export function toScoreChannelPair(a: Args): [number, number | undefined] {
  const r = toScoreChannels(a);
  return [r.start, Number.isFinite(r.end) ? r.end : undefined];
}

// ── Divergence thresholds ─────────────────────────────────────────────────────────────────────

export function thresholdOptions<T>(y: Argv<T>) {
  return y
    .option('sqnr-threshold', { ...numeric, default: DEFAULT_DIVERGENCE.sqnrThresholdDb, describe: 'SQNR (dB) under which a tensor counts as diverged', group: 'Divergence:' })
    .option('drop-db', { ...numeric, default: DEFAULT_DIVERGENCE.dropDb, describe: 'dB below its inputs for the error to count as made at that tensor (≥ 0)', group: 'Divergence:' })
    .option('cosine-threshold', { ...numeric, default: DEFAULT_DIVERGENCE.cosineThreshold, describe: 'cosine similarity (-1 to 1) under which a tensor counts as diverged', group: 'Divergence:' });
}

export function toDivergenceOptions(a: Args): DivergenceOptions {
  return {
    ...DEFAULT_DIVERGENCE,
    sqnrThresholdDb: numberFlag(a, 'sqnr-threshold') ?? DEFAULT_DIVERGENCE.sqnrThresholdDb,
    dropDb: numberFlag(a, 'drop-db', { min: 0 }) ?? DEFAULT_DIVERGENCE.dropDb,
    cosineThreshold: numberFlag(a, 'cosine-threshold', { min: -1, max: 1 }) ?? DEFAULT_DIVERGENCE.cosineThreshold,
  };
}

// ── Table ─────────────────────────────────────────────────────────────────────────────────────

export function topOption<T>(y: Argv<T>, dflt?: number) {
  return y.option('top', { ...numeric, ...(dflt !== undefined ? { default: dflt } : {}), describe: 'show only the N worst rows (0: all)', group: 'Output:' });
}

/** --top N: an integer ≥ 0; 0 and absent both mean every row. */
export function toTop(a: Args): number | undefined {
  const n = intFlag(a, 'top', { min: 0 });
  return n === 0 ? undefined : n;
}

export function tableOptions<T>(y: Argv<T>) {
  return jsonOption(topOption(y)
    .option('sort', { choices: ['order', 'sqnr', 'cosine', 'maxabs', 'drop'] as const, default: 'order' as const, group: 'Output:' })
    .option('filter', { type: 'string', describe: 'regex on tensor name or op type', group: 'Output:' }), undefined, 'Output:')
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no table, only the summary', group: 'Output:' });
}

export function toTableOptions(a: Args): TableOptions {
  let filter: RegExp | undefined;
  if (a.filter !== undefined) {
    try { filter = new RegExp(a.filter as string); } catch { throw new UserError(`--filter is not a valid regular expression: ${a.filter}`); }
  }
  toJsonTarget(a);
  return { top: toTop(a), sort: a.sort as SortKey, filter, color: useColor() };
}

// ── Reports ───────────────────────────────────────────────────────────────────────────────────

/** Report files and CI gates (run, demo, compare): see docs/reports.md. */
export function reportOutputOptions<T>(y: Argv<T>) {
  return y
    .option('html', { type: 'string', requiresArg: true, describe: 'write a self-contained HTML report (charts, sortable table, histograms)', group: 'Reports:' })
    .option('fail-on', { type: 'string', array: true, default: [] as string[], describe: 'CI gate, e.g. "sqnr<20@output0", "cosine<0.999@output0", "verdict!=ok", "first-divergence" (repeatable; exit 1 when one fails)', group: 'Reports:' })
    .option('junit', { type: 'string', requiresArg: true, describe: 'write one JUnit test case per gate and candidate', group: 'Reports:' });
}

/** Runs only: the tensors of every model in Polygraphy's RunResults JSON. */
export function polygraphyOutputOption<T>(y: Argv<T>) {
  return y.option('polygraphy-json', { type: 'string', requiresArg: true, describe: 'also write every compared tensor as Polygraphy RunResults JSON (one runner per model)', group: 'Reports:' });
}

export interface ReportOutputs {
  html?: string;
  junit?: string;
  gates: Gate[];
}

/** Parsed before the run, so that a mistyped gate fails in a second, not after the comparison. */
export function toReportOutputs(a: Args): ReportOutputs {
  pathFlag(a, 'polygraphy-json');
  return { html: pathFlag(a, 'html'), junit: pathFlag(a, 'junit'), gates: parseGates(listFlag(a, 'fail-on', 'a gate such as "sqnr<20@output0"')) };
}
