import { describe, expect, it } from 'vitest';
import {
  accumulateArrays, accumulateTensors, compareTensors, finalize, mergeAccumulators, newAccumulator, sqnrDb,
} from '../../src/compare/metrics.js';
import { NATIVE_MIN_ELEMENTS } from '../../src/native/addon.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/**
 * The metrics of docs/metrics.md on pairs whose every value is known in closed form (the numbers
 * below are worked out by hand from the definitions, not read back from the code). These pin the
 * module for mutation testing (stryker.config.json).
 */
const f32 = (name: string, v: number[]): Tensor => ({ name, dtype: 'float32', shape: [v.length], data: Float32Array.from(v) });
/** docs/metrics.md: the floor of the relative error's denominator. */
const REL_EPS = 1e-6;
const metricsOf = (a: number[], b: number[]) => finalize(accumulateArrays(newAccumulator(), a, b));

describe('metrics: closed-form pairs', () => {
  it('a = [3, 4], b = [3, 0]: every field from the definitions', () => {
    // d = [0, 4]; Σa² = 25, Σb² = 9, Σab = 9, Σd² = 16, Σ|d| = 4.
    const m = metricsOf([3, 4], [3, 0]);
    expect(m.count).toBe(2);
    expect(m.cosine).toBeCloseTo(9 / Math.sqrt(25 * 9), 15); // 0.6
    expect(m.maxAbs).toBe(4);
    expect(m.meanAbs).toBe(2);
    expect(m.rmse).toBe(Math.sqrt(8));
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(25 / 16), 12);
    expect(m.maxRel).toBe(1); // |4 − 0| / |4|
    expect(m.nanCount).toEqual({ ref: 0, test: 0 });
    expect(m.infCount).toEqual({ ref: 0, test: 0 });
    expect(m.refRange).toEqual([3, 4]);
    expect(m.testRange).toEqual([0, 3]);
  });

  it('ranges are min and max of each side, whatever the order of the elements', () => {
    const m = metricsOf([5, -2, 7, 1], [-1, 9, 0, 2]);
    expect(m.refRange).toEqual([-2, 7]);
    expect(m.testRange).toEqual([-1, 9]);
    // d = [6, −11, 7, −1]: max |d| = 11, mean |d| = 25/4; rel: 6/5, 11/2, 7/7, 1/1 → 5.5
    expect(m.maxAbs).toBe(11);
    expect(m.meanAbs).toBe(25 / 4);
    expect(m.maxRel).toBe(5.5);
  });

  it('negative correlation: b = −a gives cosine −1 and SQNR 10·log10(1/4)', () => {
    const m = metricsOf([1, 2, 3], [-1, -2, -3]);
    expect(m.cosine).toBe(-1);
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(1 / 4), 12);
  });

  it('identical tensors: +inf SQNR, cosine 1, no error', () => {
    const m = metricsOf([0.5, -1.5, 2], [0.5, -1.5, 2]);
    expect(m.sqnrDb).toBe(Infinity);
    expect(m.cosine).toBe(1);
    expect([m.maxAbs, m.meanAbs, m.rmse, m.maxRel]).toEqual([0, 0, 0, 0]);
  });

  it('zero vectors: both zero are identical (cosine 1); one zero is orthogonal (cosine 0, −inf SQNR when the reference is zero)', () => {
    expect(metricsOf([0, 0], [0, 0]).cosine).toBe(1);
    const refZero = metricsOf([0, 0], [1, 0]);
    expect(refZero.cosine).toBe(0);
    expect(refZero.sqnrDb).toBe(-Infinity);
    // maxRel divides by max(|a|, REL_EPS): 1 / 1e-6.
    expect(refZero.maxRel).toBe(1 / REL_EPS);
    const testZero = metricsOf([1, 0], [0, 0]);
    expect(testZero.cosine).toBe(0);
    expect(testZero.sqnrDb).toBe(0); // Σa² = Σd² = 1
  });

  it('sqnrDb: +inf without error, −inf with error on a zero reference, else 10·log10(ratio)', () => {
    expect(sqnrDb(0, 0)).toBe(Infinity);
    expect(sqnrDb(5, 0)).toBe(Infinity);
    expect(sqnrDb(0, 5)).toBe(-Infinity);
    expect(sqnrDb(100, 1)).toBe(20);
    expect(sqnrDb(1, 10)).toBe(-10);
  });

  it('REL_EPS floors the denominator: a tiny reference does not explode the relative error', () => {
    const m = metricsOf([1e-9, 2], [1e-9 + 1e-3, 2]);
    expect(m.maxRel).toBeCloseTo(1e-3 / 1e-6, 6);
  });

  it('maxRel keeps the largest ratio, also when a later element has a larger absolute error but a smaller ratio', () => {
    // rel = [0.5, 0.1, 0.25]: the max is the first; absolute errors grow.
    expect(metricsOf([2, 100, 40], [1, 90, 30]).maxRel).toBe(0.5);
    // rel = [0.1, 0.5]: the later one wins.
    expect(metricsOf([10, 2], [9, 1]).maxRel).toBe(0.5);
    // rel exactly equal to the running max, reached by a larger denominator.
    expect(metricsOf([1, 4], [0.5, 2]).maxRel).toBe(0.5);
  });

  it('NaN and ±inf are counted per side and their pairs left out of every sum', () => {
    const m = metricsOf([NaN, 1, Infinity, 2, 3], [1, NaN, 2, -Infinity, 1]);
    // Only the pair (3, 1) is finite.
    expect(m.count).toBe(5);
    expect(m.nanCount).toEqual({ ref: 1, test: 1 });
    expect(m.infCount).toEqual({ ref: 1, test: 1 });
    expect(m.maxAbs).toBe(2);
    expect(m.meanAbs).toBe(2);
    expect(m.rmse).toBe(2);
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(9 / 4), 12);
    expect(m.cosine).toBe(1);
    expect(m.refRange).toEqual([3, 3]);
    expect(m.testRange).toEqual([1, 1]);
    expect(m.maxRel).toBeCloseTo(2 / 3, 15);
  });

  it('−inf on the reference and NaN on both sides of one pair', () => {
    const m = metricsOf([-Infinity, NaN, 4], [NaN, NaN, 2]);
    expect(m.nanCount).toEqual({ ref: 1, test: 2 });
    expect(m.infCount).toEqual({ ref: 1, test: 0 });
    expect(m.maxAbs).toBe(2);
    expect(m.refRange).toEqual([4, 4]);
  });

  it('a pair with no finite element: counts kept, every metric NaN', () => {
    const m = metricsOf([NaN, Infinity], [1, 2]);
    expect(m.count).toBe(2);
    for (const v of [m.cosine, m.maxAbs, m.meanAbs, m.rmse, m.sqnrDb, m.maxRel, ...m.refRange, ...m.testRange]) expect(v).toBeNaN();
    expect(m.nanCount).toEqual({ ref: 1, test: 0 });
    expect(m.infCount).toEqual({ ref: 1, test: 0 });
  });

  it('empty tensors: count 0, metrics NaN', () => {
    const m = metricsOf([], []);
    expect(m.count).toBe(0);
    expect(m.sqnrDb).toBeNaN();
    expect(m.refRange).toEqual([NaN, NaN]);
    expect(m.testRange).toEqual([NaN, NaN]);
  });

  it('finite values too large to square take the careful pass and give the same answers', () => {
    // 1e200² overflows to +inf in the fast pass, which is then redone element by element.
    const m = metricsOf([1e200, 1], [1e200, 0]);
    expect(m.count).toBe(2);
    expect(m.nanCount).toEqual({ ref: 0, test: 0 });
    expect(m.infCount).toEqual({ ref: 0, test: 0 });
    expect(m.maxAbs).toBe(1);
    expect(m.refRange).toEqual([1, 1e200]);
    expect(m.sqnrDb).toBe(Infinity); // Σa² overflows; Σd² = 1: inf / 1
  });

  it('element counts must match', () => {
    expect(() => accumulateArrays(newAccumulator(), [1, 2], [1])).toThrow('element counts differ: 2 vs 1');
    expect(() => compareTensors(f32('a', new Array(NATIVE_MIN_ELEMENTS).fill(1)), f32('b', new Array(NATIVE_MIN_ELEMENTS + 1).fill(1)))).toThrow(/element counts differ/);
  });

  it('chunk boundaries: a long pair (several 16384-element chunks, non-finite in a late chunk) sums every element once', () => {
    const n = 3 * 16384 + 5;
    const a = new Float64Array(n).fill(1), b = new Float64Array(n).fill(0);
    a[n - 1] = 3; b[n - 1] = 1; b[40000] = NaN;
    const m = metricsOf(Array.from(a), Array.from(b));
    expect(m.count).toBe(n);
    expect(m.nanCount.test).toBe(1);
    // n − 1 finite pairs: n − 2 of (1, 0) and one (3, 1).
    expect(m.meanAbs).toBeCloseTo(n / (n - 1), 12);
    expect(m.maxAbs).toBe(2);
    expect(m.refRange).toEqual([1, 3]);
    const clean = metricsOf(Array.from(a), new Array(n).fill(1));
    expect(clean.nanCount.test).toBe(0);
    expect(clean.sqnrDb).toBeCloseTo(10 * Math.log10((n - 1 + 9) / 4), 9);
    expect(clean.testRange).toEqual([1, 1]);
  });

  it('mergeAccumulators pools sums, counts and extrema exactly as one pass over both halves', () => {
    const one = accumulateArrays(newAccumulator(), [1, -2, NaN, 4], [1, -1, 0, Infinity]);
    const a = accumulateArrays(newAccumulator(), [1, -2], [1, -1]);
    const b = accumulateArrays(newAccumulator(), [NaN, 4], [0, Infinity]);
    expect(mergeAccumulators(a, b)).toEqual(one);
    expect(one).toMatchObject({ count: 4, finite: 2, sumRef2: 5, sumTest2: 2, sumDot: 3, sumErr2: 1, sumAbsErr: 1, maxAbs: 1, maxRel: 0.5, refMin: -2, refMax: 1, testMin: -1, testMax: 1, refNan: 1, refInf: 0, testNan: 0, testInf: 1 });
    // Extrema from the second accumulator win where they are larger.
    const c = mergeAccumulators(accumulateArrays(newAccumulator(), [1], [1]), accumulateArrays(newAccumulator(), [-5, 9], [7, -3]));
    expect(c).toMatchObject({ maxAbs: 12, maxRel: 12 / 5, refMin: -5, refMax: 9, testMin: -3, testMax: 7 });
    // Every non-finite count adds up, on both sides.
    const d = mergeAccumulators(accumulateArrays(newAccumulator(), [Infinity, NaN], [NaN, -Infinity]), accumulateArrays(newAccumulator(), [-Infinity, 1, NaN], [NaN, NaN, Infinity]));
    expect(d).toMatchObject({ count: 5, finite: 0, refNan: 2, refInf: 2, testNan: 3, testInf: 2 });
  });

  it('newAccumulator starts empty: zero sums, extrema at ±inf', () => {
    expect(newAccumulator()).toEqual({
      count: 0, finite: 0, sumRef2: 0, sumTest2: 0, sumDot: 0, sumErr2: 0, sumAbsErr: 0, maxAbs: 0, maxRel: 0,
      refMin: Infinity, refMax: -Infinity, testMin: Infinity, testMax: -Infinity, refNan: 0, refInf: 0, testNan: 0, testInf: 0,
    });
  });

  it('cosine is clamped to [−1, 1] against rounding', () => {
    // b = k·a: cosine 1 by definition; unclamped, the FP64 sums of this pair give 1 + 2⁻⁵² (and its negation −1 − 2⁻⁵²).
    const a = [0.08, 3.83, 0.67], b = [0.16907585217853818, 8.094506423047516, 1.4160102619952573];
    expect(metricsOf(a, b).cosine).toBe(1);
    expect(metricsOf(a, b.map((v) => -v)).cosine).toBe(-1);
  });

  it('tensors of any dtype: float16, int64 and int8 widened to numbers; large float32 pairs as the small ones', () => {
    // float16 0x3c00 = 1, 0x4000 = 2, 0xc000 = −2.
    const h: Tensor = { name: 'h', dtype: 'float16', shape: [2], data: Uint16Array.from([0x3c00, 0x4000]) };
    const h2: Tensor = { name: 'h2', dtype: 'float16', shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) };
    expect(compareTensors(h, h2)).toMatchObject({ maxAbs: 4, refRange: [1, 2], testRange: [-2, 1] });
    const bf: Tensor = { name: 'bf', dtype: 'bfloat16', shape: [1], data: Uint16Array.from([0x4040]) }; // 3
    expect(compareTensors(bf, f32('x', [1])).maxAbs).toBe(2);
    const i64: Tensor = { name: 'i', dtype: 'int64', shape: [2], data: BigInt64Array.from([3n, -4n]) };
    const u64: Tensor = { name: 'u', dtype: 'uint64', shape: [2], data: BigUint64Array.from([3n, 4n]) };
    expect(compareTensors(i64, u64)).toMatchObject({ maxAbs: 8, refRange: [-4, 3] });
    const i8: Tensor = { name: 'q', dtype: 'int8', shape: [2], data: Int8Array.from([-3, 4]) };
    expect(compareTensors(i8, f32('y', [-3, 3])).maxAbs).toBe(1);
    // Large float32 (the addon's pass where built): the same closed form.
    const n = NATIVE_MIN_ELEMENTS * 2;
    const a = new Float32Array(n).fill(2), b = new Float32Array(n).fill(1);
    a[7] = NaN;
    const m = compareTensors({ name: 'a', dtype: 'float32', shape: [n], data: a }, { name: 'b', dtype: 'float32', shape: [n], data: b });
    expect(m).toMatchObject({ count: n, maxAbs: 1, meanAbs: 1, rmse: 1, maxRel: 0.5, refRange: [2, 2], testRange: [1, 1], nanCount: { ref: 1, test: 0 } });
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(4), 12);
    // Below the addon's threshold, and a float32 pair against float64.
    const small = accumulateTensors(newAccumulator(), f32('s', [2, 2]), { name: 't', dtype: 'float64', shape: [2], data: Float64Array.from([1, 3]) });
    expect(finalize(small)).toMatchObject({ maxAbs: 1, meanAbs: 1 });
    // Accumulating into a non-empty accumulator adds to it.
    const acc = accumulateTensors(accumulateTensors(newAccumulator(), f32('p', [1]), f32('q', [0])), f32('p', [3]), f32('q', [3]));
    expect(acc).toMatchObject({ count: 2, finite: 2, sumRef2: 10, sumErr2: 1 });
    const big = accumulateTensors(accumulateTensors(newAccumulator(), f32('p', [1]), f32('q', [0])), { name: 'a', dtype: 'float32', shape: [n], data: new Float32Array(n).fill(1) }, { name: 'b', dtype: 'float32', shape: [n], data: new Float32Array(n).fill(1) });
    expect(big).toMatchObject({ count: n + 1, sumErr2: 1, refMin: 1, testMin: 0 });
  });
});
