import { describe, expect, it } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, NodeProtoSchema } from 'onnx-buf';
import { CALIBRATORS, CALIBRATOR_INFO, amaxOf, computeAmaxes, histogramsFor, parseCalibrator, scaleOfAmax } from '../../src/quant/calibrators.js';
import { percentileThreshold } from '../../src/quant/percentile-calibrator.js';
import { AbsHistogram } from '../../src/quant/histogram.js';
import type { TensorStats } from '../../src/quant/activation-collector.js';
import { UserError } from '../../src/errors.js';

/**
 * Calibrators on hand-built statistics whose thresholds follow from the definitions (TensorRT's
 * calibrators as docs/calibration.md describes them): min/max, percentile, and which histogram
 * and scale rules each uses. Entropy: test/quant/entropy-calibrator.test.ts.
 */
function stats(values: number[], modes: ('grow' | 'saturate')[] = ['grow', 'saturate'], bins = 8): TensorStats {
  const absMax = Math.max(0, ...values.map(Math.abs));
  const histograms: TensorStats['histograms'] = {};
  if (absMax > 0) {
    for (const m of modes) {
      const h = new AbsHistogram(absMax, m, bins);
      h.add(values, absMax);
      histograms[m] = h;
    }
  }
  return { name: 't', shape: [values.length], min: Math.min(...values), max: Math.max(...values), absMax, firstBatchAbsMax: absMax, count: values.length, nonFinite: 0, histograms, pendingZeros: 0 };
}

describe('percentile threshold', () => {
  it('the upper edge of the first bin whose cumulative count reaches the percentile', () => {
    // counts 1,1,1,1 over width 2: 25% → bin 0 (edge 2), 50% → 4, 75% → 6, 100% → 8.
    const c = [1, 1, 1, 1];
    expect([25, 50, 75, 100].map((p) => percentileThreshold(c, 2, p))).toEqual([2, 4, 6, 8]);
    // Just above a cumulative step moves to the next bin.
    expect(percentileThreshold(c, 2, 25.0001)).toBe(4);
    // Empty bins in front are skipped; trailing empty bins are never reached.
    expect(percentileThreshold([0, 0, 4, 0], 1, 100)).toBe(3);
    expect(percentileThreshold([0, 0, 4, 0], 1, 1)).toBe(3);
  });

  it('nothing counted gives 0; percentiles outside (0, 100] are refused', () => {
    expect(percentileThreshold([0, 0], 1, 50)).toBe(0);
    expect(percentileThreshold([], 1, 50)).toBe(0);
    for (const p of [0, -1, 100.5, NaN]) expect(() => percentileThreshold([1], 1, p)).toThrow(`percentile must be in (0, 100], got ${p}`);
    expect(percentileThreshold([1], 1, 100)).toBe(1);
  });

  it('counts that do not reach the target by rounding still end at the last edge', () => {
    // 0.1 + 0.2 accumulates to 0.30000000000000004 ≥ 0.3; with fractions that fall short, the last edge.
    expect(percentileThreshold([0.1, 0.2], 1, 100)).toBe(2);
    expect(percentileThreshold(Float64Array.from([1 / 3, 1 / 3, 1 / 3]), 1, 100)).toBe(3);
  });
});

describe('calibrators', () => {
  it('the four calibrators, their cache algorithm names, histograms and scale rules', () => {
    expect(CALIBRATORS).toEqual(['entropy2', 'entropy', 'minmax', 'percentile']);
    expect(Object.fromEntries(CALIBRATORS.map((c) => [c, [CALIBRATOR_INFO[c].cacheAlgorithm, CALIBRATOR_INFO[c].histogram ?? null, CALIBRATOR_INFO[c].scaleRules]]))).toEqual({
      entropy2: ['EntropyCalibration2', 'grow', true],
      entropy: ['EntropyCalibration', 'saturate', false],
      minmax: ['MinMaxCalibration', null, false],
      percentile: ['LegacyCalibration', 'grow', false],
    });
    for (const c of CALIBRATORS) expect(CALIBRATOR_INFO[c].describe.length).toBeGreaterThan(10);
  });

  it('parseCalibrator: any case; unknown names refused with the list', () => {
    expect(parseCalibrator('MinMax')).toBe('minmax');
    expect(parseCalibrator('entropy2')).toBe('entropy2');
    expect(() => parseCalibrator('kl')).toThrow(UserError);
    expect(() => parseCalibrator('kl')).toThrow('unknown calibrator "kl" (choose entropy2, entropy, minmax, percentile)');
  });

  it('histogramsFor: the distinct histograms the named calibrators need, none for min/max', () => {
    expect(histogramsFor(['minmax'])).toEqual([]);
    expect(histogramsFor(['entropy2', 'percentile'])).toEqual(['grow']);
    expect(histogramsFor(['minmax', 'entropy', 'entropy2'])).toEqual(['saturate', 'grow']);
  });

  it('min/max: amax = max|x|', () => {
    expect(amaxOf('minmax', stats([-3, 1, 2]))).toBe(3);
    // No histogram is needed.
    expect(amaxOf('minmax', stats([-3, 1, 2], []))).toBe(3);
  });

  it('percentile: from the grow histogram, 99.99% by default, the option otherwise', () => {
    // 8 bins over [0, 8]: one value per bin edge 1..8 → 50% → edge 4; 99.99% → 8.
    const s = stats([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(amaxOf('percentile', s)).toBe(8);
    expect(amaxOf('percentile', s, { percentile: 50 })).toBe(4);
    expect(amaxOf('percentile', s, { percentile: 12.5 })).toBe(1);
    // Only the grow histogram is read.
    expect(() => amaxOf('percentile', stats([1, 2], ['saturate']))).toThrow("internal: tensor t has no 'grow' histogram");
  });

  it('entropy variants read their own histogram; an all-zero tensor has none and amax 0', () => {
    expect(() => amaxOf('entropy', stats([1, 2], ['grow']))).toThrow("internal: tensor t has no 'saturate' histogram");
    expect(() => amaxOf('entropy2', stats([1, 2], ['saturate']))).toThrow("internal: tensor t has no 'grow' histogram");
    const zeros = stats([0, 0, 0]);
    for (const c of CALIBRATORS) expect(amaxOf(c, zeros)).toBe(0);
    // One value: every histogram calibrator keeps its bin.
    const one = stats([2, 2, 2, 2]);
    expect(amaxOf('entropy2', one)).toBeGreaterThan(0);
    expect(amaxOf('entropy', one)).toBeGreaterThan(0);
    expect(amaxOf('entropy', one)).toBeLessThanOrEqual(2);
  });

  it('computeAmaxes: every tensor; the scale rules (Concat shares one scale) only for entropy2', () => {
    // y = Concat(a, b): TensorRT gives a, b and y one scale, the largest amax.
    const graph = create(GraphProtoSchema, { node: [create(NodeProtoSchema, { opType: 'Concat', input: ['a', 'b'], output: ['y'] })] });
    const st = new Map([['a', stats([1, 1])], ['b', stats([4, 4])], ['y', stats([4, 1])]]);
    expect(Object.fromEntries(computeAmaxes('minmax', st, graph))).toEqual({ a: 1, b: 4, y: 4 });
    const shared = computeAmaxes('entropy2', st, graph);
    expect(new Set(shared.values()).size).toBe(1);
    expect([...shared.keys()].sort()).toEqual(['a', 'b', 'y']);
    expect(Object.fromEntries(computeAmaxes('percentile', st, graph, { percentile: 100 }))).toEqual({ a: 1, b: 4, y: 4 });
  });

  it('scaleOfAmax: amax / 127', () => {
    expect(scaleOfAmax(127)).toBe(1);
    expect(scaleOfAmax(2.54)).toBeCloseTo(0.02, 15);
  });
});

describe('|x| histogram', () => {
  it('range, bin width and total', () => {
    const h = new AbsHistogram(8, 'grow', 4);
    expect([h.range, h.binWidth, h.total, h.bins, h.mode]).toEqual([8, 2, 0, 4, 'grow']);
    h.add([1, -3, 8, 0], 8);
    expect(Array.from(h.counts)).toEqual([2, 1, 0, 1]);
    expect(h.total).toBe(4);
  });

  it('refuses a range that is not finite and positive, and bin counts that are odd or below 2', () => {
    for (const r of [0, -1, NaN, Infinity]) expect(() => new AbsHistogram(r, 'grow', 4)).toThrow(`histogram range must be finite and > 0, got ${r}`);
    for (const b of [0, 1, 3]) expect(() => new AbsHistogram(1, 'grow', b)).toThrow(`histogram needs an even number of bins ≥ 2, got ${b}`);
    expect(new AbsHistogram(1, 'grow', 2).bins).toBe(2);
    expect(new AbsHistogram(1, 'grow').bins).toBe(2048);
  });

  it('growTo: doubles until the range covers max; equal, smaller, non-finite maxima and saturate mode change nothing', () => {
    const h = new AbsHistogram(4, 'grow', 4);
    h.add([1, 2, 3, 4], 4);
    h.growTo(4);
    expect(h.range).toBe(4);
    h.growTo(Infinity);
    h.growTo(NaN);
    expect(h.range).toBe(4);
    h.growTo(4.5);
    expect(h.range).toBe(8);
    expect(Array.from(h.counts)).toEqual([2, 2, 0, 0]);
    h.growTo(20);
    expect(h.range).toBe(32);
    expect(Array.from(h.counts)).toEqual([4, 0, 0, 0]);
    const s = new AbsHistogram(4, 'saturate', 4);
    s.growTo(100);
    expect(s.range).toBe(4);
  });

  it('add: without absMax the data\'s own finite max|x| grows the range', () => {
    const h = new AbsHistogram(1, 'grow', 4);
    h.add([-3, NaN, 0.5]);
    expect(h.range).toBe(4);
    expect(Array.from(h.counts)).toEqual([1, 0, 1, 0]);
  });

  it('add: counts accumulate over calls; large float32 inputs (the addon\'s pass where built) bin as small ones', () => {
    const h = new AbsHistogram(4, 'saturate', 4);
    h.add([0.5, 1.5], 4);
    h.add([2.5, 9], 4); // 9 saturates into the last bin
    expect(Array.from(h.counts)).toEqual([1, 1, 1, 1]);
    const big = new Float32Array(10000).fill(1.5);
    big[0] = 3.5; big[1] = -0.5; big[2] = NaN; big[3] = 100;
    const g = new AbsHistogram(4, 'saturate', 4);
    g.add(big, 4);
    expect(Array.from(g.counts)).toEqual([1, 9996, 0, 2]);
  });
});
