/**
 * KL-divergence threshold search over an |x| histogram (Migacz, "8-bit Inference with TensorRT",
 * GTC 2017; TensorRT developer guide, INT8 calibration). docs/calibration.md lists every choice.
 *
 * For each candidate i (number of bins kept):
 *   P = h[0..i-1] with the outlier mass Σ h[i..] added to P[i-1]      (what clipping at i does)
 *   Q = h[0..i-1] merged into `levels` groups (bin j → level ⌊j·levels/i⌋), each group's mass
 *       spread evenly over the group's non-empty bins                 (what 8-bit quantization keeps)
 *   KL(P‖Q) after normalising both; a bin with p > 0 and q = 0 makes the divergence infinite
 *   (it can only happen at bin i-1, when it is empty but outliers were folded into it).
 * The i with the smallest divergence wins (the largest i among exact ties) and the threshold is
 * (i + 0.5)·bin_width: the middle of the last kept bin's upper neighbour, as in the talk.
 */
export interface EntropySearchOptions {
  /** First candidate i (default 128 = the number of positive int8 levels). */
  startBin?: number;
  /** Last candidate i, inclusive (default: the number of bins, so no clipping is a candidate). */
  endBin?: number;
  /** Quantization levels Q is merged into (default 128). */
  levels?: number;
  /**
   * 'count': bin 0 is used as is. 'like-next': bin 0 takes bin 1's count before the search, so that
   * a spike of exact zeros (ReLU outputs, padding) does not decide the threshold.
   */
  zeroBin?: 'count' | 'like-next';
}

export interface EntropySearchResult {
  /** Bins kept (the argmin i). */
  bins: number;
  threshold: number;
  divergence: number;
}

export function entropyThreshold(counts: ArrayLike<number>, binWidth: number, opt: EntropySearchOptions = {}): EntropySearchResult {
  const n = counts.length;
  const levels = opt.levels ?? 128;
  const start = Math.max(1, opt.startBin ?? 128);
  const end = Math.min(n, opt.endBin ?? n);
  const h = Float64Array.from(counts);
  // Stryker disable next-line EqualityOperator: with n = 1 there is no candidate (start ≥ 1 = end) and bin 0 is unused
  if (opt.zeroBin === 'like-next' && n > 1) h[0] = h[1]!;

  // Prefix sums make each candidate O(levels) instead of O(i):
  //   mass[j] = Σ_{k<j} h_k,  hlogh[j] = Σ_{k<j} h_k·ln h_k,  nonzero[j] = #{k<j : h_k > 0}.
  const mass = new Float64Array(n + 1);
  const hlogh = new Float64Array(n + 1);
  const nonzero = new Int32Array(n + 1);
  // Stryker disable next-line EqualityOperator: k = n reads past the typed arrays, whose writes there are dropped
  for (let k = 0; k < n; k++) {
    const v = h[k]!;
    mass[k + 1] = mass[k]! + v;
    hlogh[k + 1] = hlogh[k]! + (v > 0 ? v * Math.log(v) : 0);
    nonzero[k + 1] = nonzero[k]! + (v > 0 ? 1 : 0);
  }
  const total = mass[n]!;
  let best: EntropySearchResult = { bins: end, threshold: (end + 0.5) * binWidth, divergence: Infinity };
  if (total === 0) return { bins: 0, threshold: 0, divergence: 0 };

  for (let i = start; i <= end; i++) {
    const d = divergenceAt(h, mass, hlogh, nonzero, i, levels, total);
    if (d <= best.divergence) best = { bins: i, threshold: (i + 0.5) * binWidth, divergence: d };
  }
  return best;
}

/** KL(P‖Q) for keeping i bins, both distributions normalised. */
function divergenceAt(h: Float64Array, mass: Float64Array, hlogh: Float64Array, nonzero: Int32Array, i: number, levels: number, total: number): number {
  const kept = mass[i]!; // Q's total: the kept bins without the outliers
  // Stryker disable next-line ConditionalExpression: without it every level is empty and the p > 0 = q test below gives Infinity too
  if (kept === 0) return Infinity;
  const last = h[i - 1]!;
  const pLastCount = last + (total - kept); // P[i-1] with the outliers folded in
  // Σ over bins j < i-1 with h_j > 0 of h_j·ln(h_j / total / q_j), accumulated per level.
  let sum = hlogh[i - 1]! - mass[i - 1]! * Math.log(total);
  let lastLogQ = NaN;
  for (let l = 0; l < levels; l++) {
    const a = Math.ceil((l * i) / levels);
    const b = Math.ceil(((l + 1) * i) / levels);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: an empty level has nz = 0 and is skipped below anyway
    if (b <= a) continue;
    const levelMass = mass[b]! - mass[a]!;
    const nz = nonzero[b]! - nonzero[a]!;
    // Stryker disable next-line ConditionalExpression: a level with no non-empty bin has no mass and leaves lastLogQ NaN either way
    if (nz === 0) continue;
    const logQ = Math.log(levelMass / nz / kept);
    // mass of this level's bins that are below i-1 (bin i-1 is handled with its outliers below)
    const below = b === i ? levelMass - last : levelMass;
    // Stryker disable next-line EqualityOperator: below = 0 subtracts nothing
    if (below > 0) sum -= below * logQ;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the level of bin i-1 is the last non-empty one when last > 0, and lastLogQ is read only then
    if (b === i) lastLogQ = last > 0 ? logQ : NaN;
  }
  let kl = sum / total;
  if (pLastCount > 0) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: NaN instead of Infinity loses every comparison, and an all-Infinity search ends on the same i
    if (!(last > 0)) return Infinity; // p > 0 where q = 0
    const p = pLastCount / total;
    kl += p * (Math.log(p) - lastLogQ);
  }
  // Rounding can leave a tiny negative value for identical distributions.
  return kl < 0 ? 0 : kl;
}
