import { at } from '../errors.js';
/**
 * Percentile calibration (TensorRT's legacy calibrator: a quantile of |x|, 99.99% by default).
 * amax is the upper edge of the first histogram bin at which the cumulative count reaches
 * `percentile`% of all counted values: with right-closed bins that is the largest value the bin can
 * hold, so 100% gives a threshold ≥ max|x| (never clips what was seen).
 */
export function percentileThreshold(counts: ArrayLike<number>, binWidth: number, percentile: number): number {
  if (!(percentile > 0 && percentile <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${percentile}`);
  let total = 0;
  for (let k = 0; k < counts.length; k++) total += at(counts, k);
  if (total === 0) return 0;
  const target = (percentile / 100) * total;
  let cum = 0;
  // Stryker disable next-line EqualityOperator: counts[length] is undefined, cum NaN, the loop ends (equivalent)
  for (let k = 0; k < counts.length; k++) {
    cum += at(counts, k);
    if (cum >= target) return (k + 1) * binWidth;
  }
  // Stryker disable next-line all: not reached (cum ends at total, summed in the same order, and target ≤ total); kept as the top edge
  return counts.length * binWidth;
}
