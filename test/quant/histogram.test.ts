import { describe, expect, it } from 'vitest';
import { AbsHistogram } from '../../src/quant/histogram.js';

/** Direct right-closed binning at a given range, the definition the growing histogram must match. */
function directBins(values: number[], range: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  for (const v of values) {
    const k = Math.max(0, Math.ceil((Math.abs(v) * bins) / range) - 1);
    out[Math.min(bins - 1, k)]!++;
  }
  return out;
}

describe('AbsHistogram', () => {
  it('uses right-closed bins: 0 and w go to bin 0, the range itself to the last bin', () => {
    const h = new AbsHistogram(8, 'grow', 8); // w = 1
    h.add(Float32Array.from([0, 1, 1.5, 2, -2, 8, -7.25]));
    expect([...h.counts]).toEqual([2, 3, 0, 0, 0, 0, 0, 2]);
  });

  it('grows by powers of two when a batch max doubles, preserving counts and re-binning exactly', () => {
    const bins = 16;
    const batches = [
      [0.1, 0.5, -0.9, 1],        // first batch: range 1
      [1.9, -0.26, 2],            // max doubles: range 2
      [3.99, 0.0625, -1.5, 4],    // range 4
      [7.9, 0.7, 8, -6.2, 0.001], // range 8
    ];
    const h = new AbsHistogram(1, 'grow', bins);
    const seen: number[] = [];
    for (const b of batches) {
      h.add(Float32Array.from(b));
      seen.push(...Float32Array.from(b));
      // after every batch: the same histogram as binning everything seen at the current range
      expect([...h.counts]).toEqual(directBins(seen, h.range, bins));
      expect(h.total).toBe(seen.length);
    }
    expect(h.range).toBe(8);
  });

  it('merges pairs of bins on growth (bin 2j and 2j+1 → j)', () => {
    const h = new AbsHistogram(4, 'grow', 4); // w = 1
    h.add(Float32Array.from([0.5, 1.5, 2.5, 2.6, 3.5, 3.6, 3.7]));
    expect([...h.counts]).toEqual([1, 1, 2, 3]);
    h.growTo(16); // two doublings: [2, 5, 0, 0] → [7, 0, 0, 0]
    expect([...h.counts]).toEqual([7, 0, 0, 0]);
    expect(h.range).toBe(16);
  });

  it('is independent of arrival order and batch split after the first range', () => {
    const rnd = (() => { let s = 7; return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31); })();
    const values = Array.from({ length: 5000 }, (_, i) => (rnd() - 0.5) * 2 ** (i % 6));
    const a = new AbsHistogram(0.5, 'grow', 64);
    a.add(Float32Array.from(values));
    const b = new AbsHistogram(0.5, 'grow', 64);
    for (let i = values.length - 100; i >= 0; i -= 100) b.add(Float32Array.from(values.slice(i, i + 100)));
    expect([...b.counts]).toEqual([...a.counts]);
    expect(b.range).toBe(a.range);
  });

  it('saturates instead of growing in saturate mode, and skips NaN/Inf', () => {
    const h = new AbsHistogram(2, 'saturate', 4);
    h.add(Float32Array.from([0.2, 5, -9, NaN, Infinity, 1.9]));
    expect(h.range).toBe(2);
    expect([...h.counts]).toEqual([1, 0, 0, 3]);
  });
});
