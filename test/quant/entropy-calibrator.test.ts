import { describe, expect, it } from 'vitest';
import { AbsHistogram } from '../../src/quant/histogram.js';
import { entropyThreshold } from '../../src/quant/entropy-calibrator.js';
import { percentileThreshold } from '../../src/quant/percentile-calibrator.js';
import { scaleToHex } from '../../src/quant/calibration-cache.js';
import { amaxOf } from '../../src/quant/calibrators.js';
import type { TensorStats } from '../../src/quant/activation-collector.js';

/**
 * Brute-force KL search written straight from the description (O(i) per candidate, explicit P and Q
 * arrays), as an independent reference for the prefix-sum implementation.
 */
function referenceSearch(h: number[], start: number, end: number): { bins: number; divergence: number } {
  let best = { bins: -1, divergence: Infinity };
  for (let i = start; i <= end; i++) {
    const p = h.slice(0, i);
    p[i - 1]! += h.slice(i).reduce((a, b) => a + b, 0);
    const q = new Array<number>(i).fill(0);
    const levels = Array.from({ length: 128 }, () => [] as number[]);
    for (let j = 0; j < i; j++) levels[Math.floor((j * 128) / i)]!.push(j);
    for (const idx of levels) {
      const nz = idx.filter((j) => h[j]! > 0);
      const mass = idx.reduce((a, j) => a + h[j]!, 0);
      for (const j of nz) q[j] = mass / nz.length;
    }
    const ps = p.reduce((a, b) => a + b, 0), qs = q.reduce((a, b) => a + b, 0);
    let kl = 0;
    for (let j = 0; j < i; j++) {
      if (p[j]! === 0) continue;
      if (q[j]! === 0) { kl = Infinity; break; }
      kl += (p[j]! / ps) * Math.log((p[j]! / ps) / (q[j]! / qs));
    }
    if (kl <= best.divergence + 1e-12) best = { bins: i, divergence: kl };
  }
  return best;
}

function stats(values: Float32Array): TensorStats {
  let absMax = 0;
  for (const v of values) absMax = Math.max(absMax, Math.abs(v));
  const grow = new AbsHistogram(absMax, 'grow');
  grow.add(values);
  return {
    name: 't', shape: [values.length], min: 0, max: absMax, absMax, firstBatchAbsMax: absMax, count: values.length,
    nonFinite: 0, histograms: { grow }, pendingZeros: 0,
  };
}

describe('Entropy2 (KL) threshold', () => {
  it('gives the cache value 3c010a14 for a tensor uniformly filling [0, 1]', () => {
    // 2048·50 + 1 evenly spaced values from 0 to 1: every bin holds 50 (bin 0 also holds 0).
    const n = 2048 * 50 + 1;
    const s = stats(Float32Array.from({ length: n }, (_, i) => i / (n - 1)));
    const amax = amaxOf('entropy2', s);
    expect(amax).toBe(2048.5 / 2048); // i = 2048 (nothing clipped), threshold (i + 0.5)·(1/2048)
    expect(scaleToHex(amax / 127)).toBe('3c010a14');
  });

  it('gives 3c010a14 for random uniform [0, 1] data too', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const v = Float32Array.from({ length: 400_000 }, rnd);
    v[17] = 1; // the first range is the data's max: 1
    expect(scaleToHex(amaxOf('entropy2', stats(v)) / 127)).toBe('3c010a14');
  });

  it('MinMax gives 3c010204 for the same tensor', () => {
    const s = stats(Float32Array.from({ length: 1001 }, (_, i) => i / 1000));
    expect(scaleToHex(amaxOf('minmax', s) / 127)).toBe('3c010204');
  });

  it('matches a brute-force KL search on skewed histograms', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (const shape of [1, 3, 8]) {
      // a long-tailed, bumpy histogram with empty bins, so clipping has a real optimum
      const h = Array.from({ length: 512 }, (_, j) => (rnd() < 0.15 ? 0 : Math.floor(1e4 * Math.exp(-j / (20 * shape)) * (1 + rnd()))));
      const fast = entropyThreshold(h, 1, { startBin: 128 });
      const ref = referenceSearch(h, 128, 512);
      expect(fast.bins).toBe(ref.bins);
      expect(fast.divergence).toBeCloseTo(ref.divergence, 9);
      expect(fast.threshold).toBe(ref.bins + 0.5);
    }
  });

  it('clips a Gaussian with outliers well inside its max', () => {
    let seed = 9;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const v = Float32Array.from({ length: 200_000 }, () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()));
    v[0] = 40; // one outlier sets the range
    const a = amaxOf('entropy2', stats(v));
    expect(a).toBeGreaterThan(2);
    expect(a).toBeLessThan(10);
  });
});

describe('Entropy2 search: defaults, ties and edges (closed form or brute force)', () => {
  it('searches i from 128 by default: a steep decay whose best cut moves with the first candidate', () => {
    // h_j = round(1e8·e^(-j/7)) over 2048 bins: the brute-force search's best i is the first candidate
    // for starts 127, 128 and 129, so the default start is observable to the bin.
    const h = Array.from({ length: 2048 }, (_, j) => Math.round(1e8 * Math.exp(-j / 7)));
    expect(referenceSearch(h, 127, 2048).bins).toBe(127);
    expect(referenceSearch(h, 128, 2048).bins).toBe(128);
    expect(referenceSearch(h, 129, 2048).bins).toBe(129);
    const r = entropyThreshold(h, 0.01);
    expect(r.bins).toBe(128);
    expect(r.threshold).toBeCloseTo(128.5 * 0.01, 12);
    expect(r.divergence).toBeCloseTo(referenceSearch(h, 128, 2048).divergence, 9);
  });

  it('breaks exact ties towards the largest i: one non-empty bin gives KL = 0 for every candidate', () => {
    // All mass in bin 0: P and Q are both [1, 0, ...] for every i, so every divergence is exactly 0.
    const h = new Float64Array(2048);
    h[0] = 12345;
    expect(entropyThreshold(h, 0.5)).toEqual({ bins: 2048, threshold: 2048.5 * 0.5, divergence: 0 });
    expect(entropyThreshold(h, 0.5, { startBin: 300, endBin: 700 })).toEqual({ bins: 700, threshold: 700.5 * 0.5, divergence: 0 });
  });

  it('never searches past endBin, nor past the histogram', () => {
    const h = Array.from({ length: 600 }, (_, j) => Math.round(1e5 * Math.exp(-j / 90)) + (j % 7));
    const ref = referenceSearch(h, 128, 400);
    expect(entropyThreshold(h, 1, { endBin: 400 }).bins).toBe(ref.bins);
    expect(entropyThreshold(h, 1, { endBin: 5000 }).bins).toBe(referenceSearch(h, 128, 600).bins);
  });

  it('an empty histogram keeps nothing: bins 0, threshold 0', () => {
    expect(entropyThreshold(new Float64Array(2048), 0.25)).toEqual({ bins: 0, threshold: 0, divergence: 0 });
  });

  it('fewer bins than the first candidate: no cut is searched, everything is kept', () => {
    expect(entropyThreshold(new Float64Array(100).fill(3), 0.25)).toEqual({ bins: 100, threshold: 100.5 * 0.25, divergence: Infinity });
  });

  it('folding outliers into an empty last bin is infinitely bad (p > 0 where q = 0)', () => {
    // Mass at bins 0 and 300: every cut 128..300 folds bin 300 into an empty bin i-1.
    const h = new Float64Array(512);
    h[0] = 1000;
    h[300] = 7;
    expect(entropyThreshold(h, 1, { endBin: 300 }).divergence).toBe(Infinity);
    // from i = 301 nothing is clipped and both non-empty bins are levels of their own: KL = 0
    expect(entropyThreshold(h, 1)).toEqual({ bins: 512, threshold: 512.5, divergence: 0 });
  });

  it("zeroBin 'like-next' gives bin 0 the count of bin 1 before the search", () => {
    const h = Array.from({ length: 1024 }, (_, j) => Math.round(5e4 * Math.exp(-j / 60)) + 3);
    const spiked = [...h];
    spiked[0] = 1e9; // a spike of exact zeros
    const likeNext = [...h];
    likeNext[0] = h[1]!;
    expect(entropyThreshold(spiked, 1, { zeroBin: 'like-next' })).toEqual(entropyThreshold(likeNext, 1));
    expect(entropyThreshold(spiked, 1, { zeroBin: 'like-next' }).bins).toBe(referenceSearch(likeNext, 128, 1024).bins);
    expect(entropyThreshold(spiked, 1).bins).toBe(referenceSearch(spiked, 128, 1024).bins);
    expect(entropyThreshold(spiked, 1).bins).not.toBe(entropyThreshold(likeNext, 1).bins);
  });
});

describe('percentile threshold', () => {
  it('is the upper edge of the bin where the cumulative count reaches the percentile', () => {
    const counts = [10, 20, 30, 40]; // total 100, width 0.5
    expect(percentileThreshold(counts, 0.5, 30)).toBe(1); // cum 30 at bin 1
    expect(percentileThreshold(counts, 0.5, 31)).toBe(1.5);
    expect(percentileThreshold(counts, 0.5, 100)).toBe(2);
    expect(() => percentileThreshold(counts, 0.5, 0)).toThrow();
  });
});
