import type { TensorObserver } from '../compare/compare-models.js';
import type { TensorPair } from '../compare/pairing.js';
import type { Sample } from '../inputs/input-source.js';
import { elementReader, type Tensor } from '../tensor/tensor.js';

export const HIST_BINS = 64;

/** What the HTML report draws for one tensor: FP32 and INT8 counts over the same bins. */
export interface HistogramData {
  tensor: string;
  lo: number;
  hi: number;
  ref: number[];
  test: number[];
  /** Non-finite values left out of the bins. */
  nonFinite: { ref: number; test: number };
}

type Values = ArrayLike<number>;

function valuesOf(t: Tensor): Values {
  if (t.dtype === 'float32' || t.dtype === 'float64') return t.data as Float32Array;
  // float16/bfloat16 (rare for activations): widen once, the histogram reads each value twice.
  const read = elementReader(t);
  return Float64Array.from({ length: t.data.length }, (_, i) => read(i));
}

function finiteRange(v: Values, lo: number, hi: number): [number, number] {
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/**
 * FP32 and INT8 values of one tensor in fixed uniform bins shared by both sides, over every sample.
 * The range is set by the first sample; when a later value falls outside, the bin width doubles
 * (pairs of bins merge, so counts stay exact) anchored on the side that still covers, until it fits.
 * Memory: 2 × HIST_BINS numbers per tensor, whatever the number of images.
 */
export class PairHistogram {
  lo = NaN;
  hi = NaN;
  readonly ref = new Float64Array(HIST_BINS);
  readonly test = new Float64Array(HIST_BINS);
  nonFiniteRef = 0;
  nonFiniteTest = 0;

  add(ref: Values, test: Values): void {
    // Infinity/NaN fail every comparison in finiteRange except x < lo for -Inf; filter them there.
    let [lo, hi] = finiteRange(ref, Infinity, -Infinity);
    [lo, hi] = finiteRange(test, lo, hi);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = finiteOnlyRange(ref, test);
    if (!Number.isFinite(lo)) {
      this.countNonFinite(ref, test);
      return;
    }
    this.cover(lo, hi);
    this.nonFiniteRef += this.bin(ref, this.ref);
    this.nonFiniteTest += this.bin(test, this.test);
  }

  private countNonFinite(ref: Values, test: Values): void {
    this.nonFiniteRef += ref.length;
    this.nonFiniteTest += test.length;
  }

  /**
   * Bins are left-closed, [lo + k·w, lo + (k+1)·w), so that merging pairs after doubling gives the
   * bins that binning at the doubled width would have given. The upper edge is kept strictly above
   * every value (the first range gets one spare bin's width; growth triggers on x ≥ hi): a value
   * on the top edge, clamped into the last bin, would otherwise land one bin off after a merge.
   */
  private cover(lo: number, hi: number): void {
    if (Number.isNaN(this.lo)) {
      // Degenerate (constant) tensors get a unit-wide range around the value.
      if (hi - lo <= 0) { const pad = Math.max(Math.abs(lo) * 0.5, 0.5); lo -= pad; hi += pad; }
      this.lo = lo; this.hi = hi + (hi - lo) / (HIST_BINS - 1);
      return;
    }
    while (lo < this.lo || hi >= this.hi) {
      const width = this.hi - this.lo;
      const keepLow = hi >= this.hi;
      for (const c of [this.ref, this.test]) {
        const merged = new Float64Array(HIST_BINS);
        const base = keepLow ? 0 : HIST_BINS / 2;
        for (let k = 0; k < HIST_BINS / 2; k++) merged[base + k] = c[2 * k]! + c[2 * k + 1]!;
        c.set(merged);
      }
      if (keepLow) this.hi = this.lo + 2 * width; else this.lo = this.hi - 2 * width;
    }
  }

  /** Adds finite values to counts; returns how many were not finite. */
  private bin(v: Values, counts: Float64Array): number {
    const scale = HIST_BINS / (this.hi - this.lo);
    const lo = this.lo;
    let bad = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x - x !== 0) { bad++; continue; }
      let b = Math.floor((x - lo) * scale);
      // Only floating-point rounding at the edges can get here.
      if (b >= HIST_BINS) b = HIST_BINS - 1;
      else if (b < 0) b = 0;
      counts[b]!++; // b is clamped to [0, HIST_BINS) above
    }
    return bad;
  }

  toData(tensor: string): HistogramData {
    return { tensor, lo: this.lo, hi: this.hi, ref: Array.from(this.ref), test: Array.from(this.test), nonFinite: { ref: this.nonFiniteRef, test: this.nonFiniteTest } };
  }
}

function finiteOnlyRange(a: Values, b: Values): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of [a, b]) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x - x !== 0) continue;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  return [lo, hi];
}

/** A TensorObserver keeping one PairHistogram per (candidate, tensor): the report picks the worst later. */
export class HistogramCollector implements TensorObserver {
  readonly byCandidate: Map<string, PairHistogram>[] = [];

  observeTensor(pair: TensorPair, candidate: number, _sample: Sample, ref: Tensor, test: Tensor): void {
    const m = (this.byCandidate[candidate] ??= new Map());
    let h = m.get(pair.name);
    if (!h) { h = new PairHistogram(); m.set(pair.name, h); }
    h.add(valuesOf(ref), valuesOf(test));
  }
}
