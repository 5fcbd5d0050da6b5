import type { GraphProto } from 'onnx-buf';
import { UserError } from '../errors.js';
import type { TensorStats } from './activation-collector.js';
import { entropyThreshold } from './entropy-calibrator.js';
import type { HistogramMode } from './histogram.js';
import { percentileThreshold } from './percentile-calibrator.js';
import { applyScaleRules } from './scale-rules.js';

/**
 * The calibrators trt-diff emulates, and how each turns collected statistics into amax (the
 * threshold |x| mapped to ±127). All of them work from one TensorStats per tensor, so that
 * `trt-diff calibrators` collects activations once and derives every calibrator from them.
 */
export const CALIBRATORS = ['entropy2', 'entropy', 'minmax', 'percentile'] as const;
export type CalibratorName = (typeof CALIBRATORS)[number];

export interface CalibratorInfo {
  /** The algorithm name TensorRT writes in the cache header. */
  cacheAlgorithm: string;
  /** Statistics it needs beyond min/max. */
  histogram?: HistogramMode;
  /** Whether TensorRT's builder-side scale rules (shared Concat/pool scales) are applied. */
  scaleRules: boolean;
  describe: string;
}

export const CALIBRATOR_INFO: Record<CalibratorName, CalibratorInfo> = {
  entropy2: {
    cacheAlgorithm: 'EntropyCalibration2', histogram: 'grow', scaleRules: true,
    describe: 'KL-divergence threshold over a 2048-bin |x| histogram whose range doubles as needed',
  },
  entropy: {
    cacheAlgorithm: 'EntropyCalibration', histogram: 'saturate', scaleRules: false,
    describe: 'legacy KL threshold: histogram range fixed at the first batch max, larger values saturate',
  },
  minmax: { cacheAlgorithm: 'MinMaxCalibration', scaleRules: false, describe: 'amax = max|x| over all images' },
  percentile: {
    cacheAlgorithm: 'LegacyCalibration', histogram: 'grow', scaleRules: false,
    describe: 'amax = a percentile of |x| (99.99% by default), from the Entropy2 histogram',
  },
};

export interface CalibratorOptions {
  /** For 'percentile' (default 99.99). */
  percentile?: number;
}

export function parseCalibrator(s: string): CalibratorName {
  const c = s.toLowerCase() as CalibratorName;
  if (!CALIBRATORS.includes(c)) throw new UserError(`unknown calibrator "${s}" (choose ${CALIBRATORS.join(', ')})`);
  return c;
}

export function histogramsFor(names: readonly CalibratorName[]): HistogramMode[] {
  return [...new Set(names.map((n) => CALIBRATOR_INFO[n].histogram).filter((h): h is HistogramMode => !!h))];
}

/** amax of one tensor under one calibrator (0 for a tensor that was all zeros). @internal */
export function amaxOf(name: CalibratorName, s: TensorStats, opt: CalibratorOptions = {}): number {
  switch (name) {
    case 'minmax':
      return s.absMax;
    case 'percentile': {
      const h = histogram(s, 'grow');
      return h ? percentileThreshold(h.counts, h.binWidth, opt.percentile ?? 99.99) : 0;
    }
    case 'entropy2': {
      const h = histogram(s, 'grow');
      return h ? entropyThreshold(h.counts, h.binWidth).threshold : 0;
    }
    case 'entropy': {
      // Migacz 2017 searches i in [128, 2048): dropping nothing is not a candidate.
      const h = histogram(s, 'saturate');
      return h ? entropyThreshold(h.counts, h.binWidth, { endBin: h.bins - 1 }).threshold : 0;
    }
  }
}

function histogram(s: TensorStats, mode: HistogramMode) {
  const h = s.histograms[mode];
  // A tensor that was only ever zero has no histogram: its amax is 0.
  if (!h && s.absMax > 0) throw new Error(`internal: tensor ${s.name} has no '${mode}' histogram`);
  return h;
}

/**
 * amax of every collected tensor under `name`, with the scale rules applied where the calibrator
 * uses them (the graph is needed for those).
 */
export function computeAmaxes(name: CalibratorName, stats: ReadonlyMap<string, TensorStats>, graph: GraphProto, opt: CalibratorOptions = {}): Map<string, number> {
  const raw = new Map<string, number>();
  for (const [t, s] of stats) raw.set(t, amaxOf(name, s, opt));
  return CALIBRATOR_INFO[name].scaleRules ? applyScaleRules(raw, graph) : raw;
}

/** Cache scale of an amax: TensorRT stores amax / 127. */
export function scaleOfAmax(amax: number): number {
  return amax / 127;
}
