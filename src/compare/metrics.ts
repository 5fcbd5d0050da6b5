import type { Tensor } from '../tensor/tensor.js';
import { elementReader } from '../tensor/tensor.js';
import { NATIVE_MIN_ELEMENTS, nativeFastPath } from '../native/addon.js';
import type { MetricAccumulator } from './metric-accumulator.js';
import { dequantizeTensor } from '../graph/qoperator.js';

export type { MetricAccumulator };

/**
 * Streaming FP32-vs-INT8 error metrics. The reference ("ref", a) is always the FP32 side, the
 * test ("test", b) the INT8 side. Definitions live in docs/metrics.md; keep the two in step.
 *
 * Accumulation is FP64. An accumulator is mergeable (sums and extrema), so the same code gives
 * per-image metrics and pooled metrics over many images, and the CUDA kernel (cuda/) fills the
 * same fields.
 */

/** Floor of the denominator of the relative error, so that near-zero references do not explode. */
const REL_EPS = 1e-6;

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
  // Almost every tensor is all finite: try loops without per-element finiteness tests first. If any
  // element was NaN/±Inf, its square made Σa² or Σb² non-finite, and the careful loops redo the pass
  // (so do finite values too large to square, where the careful loops give the same sums anyway).
  const p = PASS;
  startPass();
  // Stryker disable all: which pass runs only changes the time taken (the careful pass gives the
  // same fields on finite data), so mutants of the choice are equivalent; the passes' sums are not.
  let allFinite = true;
  for (let s = 0; s < n && allFinite; s += CHUNK) allFinite = finiteChunk(a, b, s, Math.min(n, s + CHUNK));
  if (allFinite) {
    p[P.finite] = n;
  } else {
    startPass();
    for (let s = 0; s < n; s += CHUNK) carefulChunk(a, b, s, Math.min(n, s + CHUNK));
  }
  // Stryker restore all
  acc.count += n; acc.finite += p[P.finite]!;
  acc.sumRef2 += p[P.sa2]!; acc.sumTest2 += p[P.sb2]!; acc.sumDot += p[P.sab]!; acc.sumErr2 += p[P.se2]!; acc.sumAbsErr += p[P.sae]!;
  acc.maxAbs = Math.max(acc.maxAbs, p[P.maxAbs]!); acc.maxRel = Math.max(acc.maxRel, p[P.maxRel]!);
  acc.refMin = Math.min(acc.refMin, p[P.aMin]!); acc.refMax = Math.max(acc.refMax, p[P.aMax]!);
  acc.testMin = Math.min(acc.testMin, p[P.bMin]!); acc.testMax = Math.max(acc.testMax, p[P.bMax]!);
  acc.refNan += p[P.aNan]!; acc.refInf += p[P.aInf]!; acc.testNan += p[P.bNan]!; acc.testInf += p[P.bInf]!;
  return acc;
}

/*
 * The pass is V8-shaped on purpose (bench/metric-pass.ts measures it):
 *  - it walks the tensor in chunks, carrying its running values in one Float64Array. The chunk
 *    function is then called often and compiled as a normal function whose running values are
 *    unboxed doubles; one call looping over a whole large tensor was compiled on-stack, where
 *    V8 kept values boxed (a heap-number allocation per element) and deoptimized at the loop
 *    exit on every call: 3-10x slower. Carrying the values keeps the order of additions, so the
 *    sums are bit-identical to a single loop.
 *  - results do not go through an object literal: its map changed as fields went from small
 *    integers to doubles, another deoptimization per call.
 */
const CHUNK = 1 << 14;
const P = { finite: 0, sa2: 1, sb2: 2, sab: 3, se2: 4, sae: 5, maxAbs: 6, maxRel: 7, aMin: 8, aMax: 9, bMin: 10, bMax: 11, aNan: 12, aInf: 13, bNan: 14, bInf: 15 } as const;
const PASS = new Float64Array(16);

function startPass(): void {
  PASS.fill(0);
  PASS[P.aMin] = Infinity; PASS[P.aMax] = -Infinity; PASS[P.bMin] = Infinity; PASS[P.bMax] = -Infinity;
}

/** Elements [start, end) assuming all are finite; false when the sums show they were not. */
// Stryker disable next-line BlockStatement: an empty fast pass returns undefined, so the careful pass redoes it (equivalent)
function finiteChunk(a: NumArray, b: NumArray, start: number, end: number): boolean {
  const p = PASS;
  let sa2 = p[1]!, sb2 = p[2]!, sab = p[3]!, se2 = p[4]!, sae = p[5]!, maxAbs = p[6]!, maxRel = p[7]!;
  let aMin = p[8]!, aMax = p[9]!, bMin = p[10]!, bMax = p[11]!;
  // Stryker disable next-line EqualityOperator: reading one element past the chunk gives NaN sums or the next chunk's element, which the careful pass redoes (equivalent)
  for (let i = start; i < end; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const d = x - y;
    const ad = Math.abs(d);
    sa2 += x * x; sb2 += y * y; sab += x * y; se2 += d * d; sae += ad;
    maxAbs = Math.max(maxAbs, ad);
    const den = Math.max(Math.abs(x), REL_EPS);
    // Divide only when the ratio can beat the running max: fl(ad/den) > maxRel implies
    // ad > maxRel·den exactly, hence fl(maxRel·den) <= ad, so the cheap test never drops a winner.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the guard only skips divisions that cannot win (equivalent)
    if (ad >= maxRel * den) {
      const rel = ad / den;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: past the guard rel ≥ maxRel, so assigning it anyway or on ties is equivalent
      if (rel > maxRel) maxRel = rel;
    }
    aMin = Math.min(aMin, x); aMax = Math.max(aMax, x);
    bMin = Math.min(bMin, y); bMax = Math.max(bMax, y);
  }
  p[1] = sa2; p[2] = sb2; p[3] = sab; p[4] = se2; p[5] = sae; p[6] = maxAbs; p[7] = maxRel;
  p[8] = aMin; p[9] = aMax; p[10] = bMin; p[11] = bMax;
  // Stryker disable next-line all: a false "not finite" only sends the chunk through the careful pass (equivalent)
  return sa2 - sa2 === 0 && sb2 - sb2 === 0;
}

/** The same pass over [start, end), skipping (and counting) pairs where either side is NaN or ±Inf. */
function carefulChunk(a: NumArray, b: NumArray, start: number, end: number): void {
  const p = PASS;
  let finite = p[0]!, sa2 = p[1]!, sb2 = p[2]!, sab = p[3]!, se2 = p[4]!, sae = p[5]!, maxAbs = p[6]!, maxRel = p[7]!;
  let aMin = p[8]!, aMax = p[9]!, bMin = p[10]!, bMax = p[11]!;
  let aNan = p[12]!, aInf = p[13]!, bNan = p[14]!, bInf = p[15]!;
  for (let i = start; i < end; i++) {
    const x = a[i]!;
    const y = b[i]!;
    // x - x is 0 for finite x and NaN for NaN/±Inf: one test covers both cases.
    if (x - x !== 0 || y - y !== 0) {
      // biome-ignore lint/suspicious/noSelfCompare: the NaN test of the hot loop (no call)
      if (x !== x) aNan++; else if (x - x !== 0) aInf++;
      // biome-ignore lint/suspicious/noSelfCompare: the NaN test of the hot loop (no call)
      if (y !== y) bNan++; else if (y - y !== 0) bInf++;
      continue;
    }
    finite++;
    const d = x - y;
    const ad = Math.abs(d);
    sa2 += x * x; sb2 += y * y; sab += x * y; se2 += d * d; sae += ad;
    maxAbs = Math.max(maxAbs, ad);
    const den = Math.max(Math.abs(x), REL_EPS);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the guard only skips divisions that cannot win (equivalent)
    if (ad >= maxRel * den) {
      const rel = ad / den;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: past the guard rel ≥ maxRel, so assigning it anyway or on ties is equivalent
      if (rel > maxRel) maxRel = rel;
    }
    aMin = Math.min(aMin, x); aMax = Math.max(aMax, x);
    bMin = Math.min(bMin, y); bMax = Math.max(bMax, y);
  }
  p[0] = finite; p[1] = sa2; p[2] = sb2; p[3] = sab; p[4] = se2; p[5] = sae; p[6] = maxAbs; p[7] = maxRel;
  p[8] = aMin; p[9] = aMax; p[10] = bMin; p[11] = bMax; p[12] = aNan; p[13] = aInf; p[14] = bNan; p[15] = bInf;
}

/**
 * Accumulate one tensor pair of any numeric dtypes (float16/int64 are widened element by element).
 * Large float32 pairs go through the addon's CPU pass when it is built (native/cpu_compare.cpp:
 * same fields, same FP64 sums; bench/README.md §2); TRTDIFF_NO_NATIVE=1 forces the TypeScript pass.
 */
export function accumulateTensors(acc: MetricAccumulator, ref: Tensor, test: Tensor): MetricAccumulator {
  // Stryker disable all: the addon's pass (C++, test/native/native.test.ts checks it equal to this module's),
  // off in the mutation suite (TRTDIFF_NO_NATIVE=1): which pass runs is not what these tests judge.
  const native = nativeFastPath('compareF32');
  if (native && ref.dtype === 'float32' && test.dtype === 'float32' && ref.data.length >= NATIVE_MIN_ELEMENTS) {
    const a = ref.data as Float32Array, b = test.data as Float32Array;
    if (a.length !== b.length) throw new RangeError(`element counts differ: ${a.length} vs ${b.length}`);
    return mergeAccumulators(acc, native(a, b));
  }
  // Stryker restore all
  return accumulateArrays(acc, asNumbers(ref), asNumbers(test));
}

/**
 * Accumulate a float reference against an integer tensor standing for DequantizeLinear's output,
 * (q − zeroPoint) · scale with one scale: the same sums as accumulateTensors over the dequantized
 * copy, without making it. 8-bit tensors go through the addon's pass (native/cpu_compare.cpp) when
 * it is built; anything else is dequantized first.
 */
export function accumulateDequantized(acc: MetricAccumulator, ref: Tensor, test: Tensor, scale64: number, zeroPoint: number): MetricAccumulator {
  const scale = Math.fround(scale64); // DequantizeLinear's scale is a float32 (here and in the addon alike)
  // Stryker disable all: the addon's pass (test/native/compare-q8.test.ts checks it bit for bit against
  // the pass over the dequantized copy), off in the mutation suite (TRTDIFF_NO_NATIVE=1).
  const native = nativeFastPath('compareQ8');
  if (native && ref.dtype === 'float32' && (test.dtype === 'int8' || test.dtype === 'uint8') && ref.data.length >= NATIVE_MIN_ELEMENTS) {
    if (ref.data.length !== test.data.length) throw new RangeError(`element counts differ: ${ref.data.length} vs ${test.data.length}`);
    return mergeAccumulators(acc, native(ref.data as Float32Array, test.data as Int8Array | Uint8Array, scale, zeroPoint));
  }
  // Stryker restore all
  return accumulateTensors(acc, ref, dequantizeTensor(test, [scale], [zeroPoint]));
}

function asNumbers(t: Tensor): NumArray {
  switch (t.dtype) {
    case 'float16': case 'bfloat16': case 'int64': case 'uint64': {
      const read = elementReader(t);
      const out = new Float64Array(t.data.length);
      // Stryker disable next-line EqualityOperator: a typed array ignores the write past its end (equivalent)
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
  // Stryker disable next-line ConditionalExpression: 10·log10(0) is −inf too; the line says it (equivalent)
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
