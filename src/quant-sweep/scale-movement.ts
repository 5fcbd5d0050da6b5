import { at } from '../errors.js';
/**
 * How far one calibration's scales moved from a reference calibration's: per tensor
 * |log2(scale / reference scale)| (1 = a factor of two, the step at which Entropy2's histogram
 * range doubles), summarised by the median over tensors and the tensor that moved most.
 */
export interface ScaleMovement {
  /** Median |log2 ratio| over the compared tensors; NaN when none. */
  medianAbsLog2: number;
  /** The tensor with the largest |log2 ratio| (first in the given order on ties); null when none. */
  tensor: string | null;
  /** Signed log2(scale / reference scale) of that tensor (> 0: the scale grew). */
  log2: number;
  /** Tensors compared: named in `tensors`, with a positive scale on both sides. */
  compared: number;
}

export function scaleMovement(reference: ReadonlyMap<string, number>, scales: ReadonlyMap<string, number>, tensors: Iterable<string>): ScaleMovement {
  const moves: number[] = [];
  let tensor: string | null = null;
  let log2 = NaN;
  for (const t of tensors) {
    const a = reference.get(t), b = scales.get(t);
    // A zero scale (an all-zero tensor) has no ratio; such tensors are left out (so are missing ones).
    if (a === undefined || b === undefined || !(a > 0) || !(b > 0)) continue;
    const l = Math.log2(b / a);
    moves.push(Math.abs(l));
    if (tensor === null || Math.abs(l) > Math.abs(log2)) { tensor = t; log2 = l; }
  }
  return { medianAbsLog2: median(moves), tensor, log2, compared: moves.length };
}

function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? at(s, m) : (at(s, m - 1) + at(s, m)) / 2;
}
