import { nativeFastPathFor } from '../native/addon.js';
import { finiteAbsMax } from './finite-range.js';

/**
 * Histogram of |x| for histogram-based INT8 calibrators (entropy, percentile).
 *
 * Bins are right-closed: bin 0 = [0, w], bin k = (k·w, (k+1)·w] for k ≥ 1, where w = range/bins.
 * That choice (instead of numpy's left-closed bins) makes range doubling exact: a value in
 * (k·w, (k+1)·w] lies in (⌊k/2⌋·2w, (⌊k/2⌋+1)·2w], so merging bins 2j and 2j+1 gives precisely the
 * histogram that binning every value at width 2w would have given (ceil(y/2) = ceil(ceil(y)/2) for
 * y = x/w, and halving y is exact in floating point). Consequently the final histogram depends only on
 * the first range and on the overall max, never on the order in which values or images arrive, and a
 * value equal to the range still lands in the last bin (no clamp needed, no edge case at the top).
 */
export const DEFAULT_BINS = 2048;

export type HistogramMode =
  /** Range doubles (pairs of bins merged) until it covers a larger value: TensorRT Entropy2 style. */
  | 'grow'
  /** Range fixed at creation; values beyond it are counted in the last bin (saturating). */
  | 'saturate';

export class AbsHistogram {
  readonly counts: Float64Array;
  private rangeValue: number;
  /**
   * bins / range, halved (exactly) at each doubling rather than recomputed: a·inv then halves
   * exactly too, which is what keeps the merged bins identical to direct binning.
   */
  private invWidth: number;
  private readonly scratch: Uint32Array;

  /**
   * @param range the first upper edge (> 0). For 'grow' it is the first batch's max|x|.
   */
  constructor(range: number, readonly mode: HistogramMode, readonly bins = DEFAULT_BINS) {
    if (!(range > 0) || !Number.isFinite(range)) throw new RangeError(`histogram range must be finite and > 0, got ${range}`);
    if (bins < 2 || bins % 2 !== 0) throw new RangeError(`histogram needs an even number of bins ≥ 2, got ${bins}`);
    this.counts = new Float64Array(bins);
    this.scratch = new Uint32Array(bins);
    this.rangeValue = range;
    this.invWidth = bins / range;
  }

  /** Upper edge of the last bin. */
  get range(): number {
    return this.rangeValue;
  }

  get binWidth(): number {
    return this.rangeValue / this.bins;
  }

  get total(): number {
    let s = 0;
    for (const c of this.counts) s += c;
    return s;
  }

  /**
   * Double the range until it is ≥ `max`, merging bins pairwise each time (counts preserved).
   * In 'saturate' mode nothing happens.
   */
  growTo(max: number): void {
    // Stryker disable next-line EqualityOperator: at max = range the loop below does nothing either (equivalent)
    if (this.mode !== 'grow' || !(max > this.rangeValue) || !Number.isFinite(max)) return;
    const c = this.counts;
    const half = this.bins / 2;
    while (this.rangeValue < max) {
      // Stryker disable next-line EqualityOperator: c[half] gets NaN, zeroed by the fill below (equivalent)
      for (let j = 0; j < half; j++) c[j] = c[2 * j]! + c[2 * j + 1]!;
      c.fill(0, half);
      this.rangeValue *= 2;
      this.invWidth /= 2;
    }
  }

  /**
   * Count |x| of every finite element. In 'grow' mode the range first grows to cover the data's
   * max|x| (the caller usually passes `absMax` it already computed; otherwise it is scanned here).
   * NaN and ±Inf are not counted (they have no place in a histogram of a finite range).
   */
  add(data: ArrayLike<number>, absMax?: number): void {
    // Stryker disable next-line ConditionalExpression: growTo itself does nothing in saturate mode (equivalent)
    if (this.mode === 'grow') this.growTo(absMax ?? finiteAbsMax(data));
    // Stryker disable all: the addon's pass (C++, same counts: test/native/native.test.ts), off in the mutation suite
    const native = nativeFastPathFor('calibrationHistogramAdd', data); // same counts as the loop below
    if (native) {
      native(this.counts, this.invWidth, data as Float32Array);
      return;
    }
    // Stryker restore all
    const inv = this.invWidth;
    const last = this.bins - 1;
    // Counted in 32-bit integers per call (fast increments), folded into the float64 totals after.
    const local = this.scratch;
    local.fill(0);
    const n = data.length;
    // Stryker disable next-line EqualityOperator: data[n] is undefined, so y is NaN and skipped (equivalent)
    for (let i = 0; i < n; i++) {
      const v = data[i]!;
      // Stryker disable next-line EqualityOperator: −0 and 0 give the same |v| (equivalent)
      const y = (v < 0 ? -v : v) * inv;
      if (!(y < Infinity)) continue; // NaN, ±Inf
      // Right-closed bin: ceil(y) − 1, i.e. floor(y) except on an exact edge; 0 and y ≤ 1 go to bin 0.
      // Stryker disable next-line EqualityOperator: at y = last both arms give last (equivalent)
      let k = y < last ? y | 0 : last; // only 'saturate' mode meets y beyond the last bin
      if (k === y && k > 0) k--;
      local[k]!++;
    }
    const c = this.counts;
    for (let k = 0; k <= last; k++) c[k] = c[k]! + local[k]!;
  }
}
