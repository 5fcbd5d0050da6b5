import type { Tensor } from '../tensor/tensor.js';
import { elementReader } from '../tensor/tensor.js';

/**
 * Streaming FP32-vs-INT8 error metrics. The reference ("ref", a) is always the FP32 side, the
 * test ("test", b) the INT8 side. Definitions live in docs/metrics.md; keep the two in step.
 *
 * Accumulation is FP64. An accumulator is mergeable (sums and extrema), so the same code gives
 * per-image metrics and pooled metrics over many images, and the CUDA kernel (cuda/) fills the
 * same fields.
 */
export interface MetricAccumulator {
  count: number;      // element pairs seen
  finite: number;     // pairs where both sides are finite (the sums below run over these)
  sumRef2: number;    // Σ a²
  sumTest2: number;   // Σ b²
  sumDot: number;     // Σ a·b
  sumErr2: number;    // Σ (a−b)²
  sumAbsErr: number;  // Σ |a−b|
  maxAbs: number;     // max |a−b|
  maxRel: number;     // max |a−b| / max(|a|, REL_EPS)
  refMin: number; refMax: number;
  testMin: number; testMax: number;
  refNan: number; refInf: number;
  testNan: number; testInf: number;
}

/** Floor of the denominator of the relative error, so that near-zero references do not explode. */
export const REL_EPS = 1e-6;

export interface TensorMetrics {
  count: number;
  cosine: number;
  maxAbs: number;
  meanAbs: number;
  rmse: number;
  /** 10·log10(Σa² / Σ(a−b)²); +Infinity when identical, −Infinity when the reference is all zero but the test is not. */
  sqnrDb: number;
  maxRel: number;
  nanCount: { ref: number; test: number };
  infCount: { ref: number; test: number };
  refRange: [number, number];
  testRange: [number, number];
}

export function newAccumulator(): MetricAccumulator {
  return {
    count: 0, finite: 0, sumRef2: 0, sumTest2: 0, sumDot: 0, sumErr2: 0, sumAbsErr: 0,
    maxAbs: 0, maxRel: 0,
    refMin: Infinity, refMax: -Infinity, testMin: Infinity, testMax: -Infinity,
    refNan: 0, refInf: 0, testNan: 0, testInf: 0,
  };
}

type NumArray = ArrayLike<number>;

/** Fast path: both sides already plain number arrays (Float32Array/Float64Array/int arrays). */
export function accumulateArrays(acc: MetricAccumulator, a: NumArray, b: NumArray): MetricAccumulator {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`element counts differ: ${n} vs ${b.length}`);
  let finite = 0, sa2 = 0, sb2 = 0, sab = 0, se2 = 0, sae = 0, maxAbs = acc.maxAbs, maxRel = acc.maxRel;
  let aMin = acc.refMin, aMax = acc.refMax, bMin = acc.testMin, bMax = acc.testMax;
  let aNan = 0, aInf = 0, bNan = 0, bInf = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    // x - x is 0 for finite x and NaN for NaN/±Inf: one test covers both cases.
    if (x - x !== 0 || y - y !== 0) {
      if (x !== x) aNan++; else if (x - x !== 0) aInf++;
      if (y !== y) bNan++; else if (y - y !== 0) bInf++;
      continue;
    }
    finite++;
    const d = x - y;
    const ad = d < 0 ? -d : d;
    sa2 += x * x; sb2 += y * y; sab += x * y; se2 += d * d; sae += ad;
    if (ad > maxAbs) maxAbs = ad;
    const ax = x < 0 ? -x : x;
    const rel = ad / (ax > REL_EPS ? ax : REL_EPS);
    if (rel > maxRel) maxRel = rel;
    if (x < aMin) aMin = x;
    if (x > aMax) aMax = x;
    if (y < bMin) bMin = y;
    if (y > bMax) bMax = y;
  }
  acc.count += n; acc.finite += finite;
  acc.sumRef2 += sa2; acc.sumTest2 += sb2; acc.sumDot += sab; acc.sumErr2 += se2; acc.sumAbsErr += sae;
  acc.maxAbs = maxAbs; acc.maxRel = maxRel;
  acc.refMin = aMin; acc.refMax = aMax; acc.testMin = bMin; acc.testMax = bMax;
  acc.refNan += aNan; acc.refInf += aInf; acc.testNan += bNan; acc.testInf += bInf;
  return acc;
}

/** Accumulate one tensor pair of any numeric dtypes (float16/int64 are widened element by element). */
export function accumulateTensors(acc: MetricAccumulator, ref: Tensor, test: Tensor): MetricAccumulator {
  return accumulateArrays(acc, asNumbers(ref), asNumbers(test));
}

function asNumbers(t: Tensor): NumArray {
  switch (t.dtype) {
    case 'float16': case 'bfloat16': case 'int64': case 'uint64': {
      const read = elementReader(t);
      const out = new Float64Array(t.data.length);
      for (let i = 0; i < out.length; i++) out[i] = read(i);
      return out;
    }
    default:
      return t.data as NumArray;
  }
}

export function mergeAccumulators(into: MetricAccumulator, from: MetricAccumulator): MetricAccumulator {
  into.count += from.count; into.finite += from.finite;
  into.sumRef2 += from.sumRef2; into.sumTest2 += from.sumTest2; into.sumDot += from.sumDot;
  into.sumErr2 += from.sumErr2; into.sumAbsErr += from.sumAbsErr;
  into.maxAbs = Math.max(into.maxAbs, from.maxAbs); into.maxRel = Math.max(into.maxRel, from.maxRel);
  into.refMin = Math.min(into.refMin, from.refMin); into.refMax = Math.max(into.refMax, from.refMax);
  into.testMin = Math.min(into.testMin, from.testMin); into.testMax = Math.max(into.testMax, from.testMax);
  into.refNan += from.refNan; into.refInf += from.refInf; into.testNan += from.testNan; into.testInf += from.testInf;
  return into;
}

/** cosine of two vectors given their sums; two zero vectors are identical (1), one zero vector is orthogonal (0). */
function cosineOf(sumDot: number, sumA2: number, sumB2: number): number {
  if (sumA2 === 0 && sumB2 === 0) return 1;
  if (sumA2 === 0 || sumB2 === 0) return 0;
  const c = sumDot / Math.sqrt(sumA2 * sumB2);
  return c > 1 ? 1 : c < -1 ? -1 : c;
}

export function sqnrDb(sumRef2: number, sumErr2: number): number {
  if (sumErr2 === 0) return Infinity;
  if (sumRef2 === 0) return -Infinity;
  return 10 * Math.log10(sumRef2 / sumErr2);
}

export function finalize(acc: MetricAccumulator): TensorMetrics {
  const n = acc.finite;
  const empty = acc.finite === 0;
  return {
    count: acc.count,
    cosine: empty ? NaN : cosineOf(acc.sumDot, acc.sumRef2, acc.sumTest2),
    maxAbs: empty ? NaN : acc.maxAbs,
    meanAbs: empty ? NaN : acc.sumAbsErr / n,
    rmse: empty ? NaN : Math.sqrt(acc.sumErr2 / n),
    sqnrDb: empty ? NaN : sqnrDb(acc.sumRef2, acc.sumErr2),
    maxRel: empty ? NaN : acc.maxRel,
    nanCount: { ref: acc.refNan, test: acc.testNan },
    infCount: { ref: acc.refInf, test: acc.testInf },
    refRange: empty ? [NaN, NaN] : [acc.refMin, acc.refMax],
    testRange: empty ? [NaN, NaN] : [acc.testMin, acc.testMax],
  };
}

/** One-shot convenience: metrics of one tensor pair. */
export function compareTensors(ref: Tensor, test: Tensor): TensorMetrics {
  return finalize(accumulateTensors(newAccumulator(), ref, test));
}
