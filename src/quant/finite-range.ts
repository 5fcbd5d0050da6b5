import { nativeFastPathFor } from '../native/addon.js';

/** Min and max of the finite elements (+Inf / -Inf when there are none) and how many are not finite. */
export interface FiniteRange {
  min: number;
  max: number;
  nonFinite: number;
}

/** One scan of `data`: the addon's for large Float32Arrays (native/calibration_stats.cpp), else this loop. */
export function finiteRange(data: ArrayLike<number>): FiniteRange {
  const native = nativeFastPathFor('finiteRange', data);
  if (native) {
    const r = native(data as Float32Array);
    return { min: r[0]!, max: r[1]!, nonFinite: r[2]! };
  }
  let lo = Infinity, hi = -Infinity, bad = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) { bad++; continue; } // NaN or ±Inf
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { min: lo, max: hi, nonFinite: bad };
}

/** max|x| of a range (0 for the empty range). */
export function absMaxOf(r: { min: number; max: number }): number {
  return Math.max(r.max > 0 ? r.max : 0, r.min < 0 ? -r.min : 0);
}

/** max|x| over the finite elements (0 for an empty or all-non-finite array). */
export function finiteAbsMax(data: ArrayLike<number>): number {
  return absMaxOf(finiteRange(data));
}
