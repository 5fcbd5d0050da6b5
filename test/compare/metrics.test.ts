import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { accumulateArrays, compareTensors, finalize, mergeAccumulators, newAccumulator, type TensorMetrics } from '../../src/compare/metrics.js';
import { readNpy } from '../../src/inputs/npy.js';
import { ROOT } from '../helpers/paths.js';

const GOLDEN = path.join(ROOT, 'goldens/metrics');
const f32 = (a: number[]) => ({ name: 't', dtype: 'float32' as const, shape: [a.length], data: Float32Array.from(a) });

function close(actual: number, expected: number | string, rel = 1e-6, abs = 1e-12): void {
  if (typeof expected === 'string') {
    const want = expected === 'inf' ? Infinity : expected === '-inf' ? -Infinity : NaN;
    if (Number.isNaN(want)) expect(actual).toBeNaN(); else expect(actual).toBe(want);
    return;
  }
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(expected)));
}

describe('metrics: closed-form cases', () => {
  it('identical tensors: cosine 1, zero error, infinite SQNR', () => {
    const m = compareTensors(f32([1, -2, 3]), f32([1, -2, 3]));
    expect(m.cosine).toBe(1);
    expect(m.maxAbs).toBe(0);
    expect(m.sqnrDb).toBe(Infinity);
  });
  it('known error: a=[3,4], b=[3,3] → SQNR = 10·log10(25/1), cosine = 21/(5·√18)', () => {
    const m = compareTensors(f32([3, 4]), f32([3, 3]));
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(25), 12);
    expect(m.cosine).toBeCloseTo(21 / (5 * Math.sqrt(18)), 12);
    expect(m.maxAbs).toBe(1);
    expect(m.meanAbs).toBe(0.5);
    expect(m.rmse).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(m.maxRel).toBeCloseTo(0.25, 12);
  });
  it('all-zero tensors are identical, not NaN', () => {
    const m = compareTensors(f32([0, 0, 0]), f32([0, 0, 0]));
    expect(m.cosine).toBe(1);
    expect(m.sqnrDb).toBe(Infinity);
    expect(m.maxRel).toBe(0);
  });
  it('zero reference with a non-zero test: cosine 0, SQNR -inf, relative error uses the epsilon floor', () => {
    const m = compareTensors(f32([0, 0]), f32([0, 1e-3]));
    expect(m.cosine).toBe(0);
    expect(m.sqnrDb).toBe(-Infinity);
    expect(m.maxRel).toBeCloseTo(Math.fround(1e-3) / 1e-6, 6);
  });
  it('constant offset: SQNR = 10·log10(Σa²/(n·c²))', () => {
    const a = Array.from({ length: 100 }, (_, i) => i / 10);
    const m = compareTensors(f32(a), f32(a.map((x) => x + 0.5)));
    const sa2 = a.reduce((s, x) => s + Math.fround(x) ** 2, 0);
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(sa2 / (100 * 0.25)), 4);
  });
  it('NaN and Inf are counted per side and excluded from the sums', () => {
    const m = compareTensors(f32([NaN, 1, Infinity, 2]), f32([1, 1, 1, -Infinity]));
    expect(m.nanCount).toEqual({ ref: 1, test: 0 });
    expect(m.infCount).toEqual({ ref: 1, test: 1 });
    expect(m.count).toBe(4);
    expect(m.sqnrDb).toBe(Infinity); // only the pair (1, 1) is finite on both sides
  });
  it('an empty comparison gives NaN metrics, not a crash', () => {
    const m = compareTensors(f32([NaN]), f32([NaN]));
    expect(m.cosine).toBeNaN();
    expect(m.count).toBe(1);
  });
  it('merging accumulators equals accumulating the concatenation (pooled multi-image metrics)', () => {
    const a = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i));
    const b = Float32Array.from(a, (x, i) => x + 0.01 * Math.cos(3 * i));
    const whole = finalize(accumulateArrays(newAccumulator(), a, b));
    const parts = mergeAccumulators(accumulateArrays(newAccumulator(), a.subarray(0, 400), b.subarray(0, 400)),
      accumulateArrays(newAccumulator(), a.subarray(400), b.subarray(400)));
    const merged = finalize(parts);
    for (const k of ['cosine', 'maxAbs', 'meanAbs', 'rmse', 'sqnrDb', 'maxRel'] as const) close(merged[k], whole[k], 1e-12);
  });
  it('float16, int64 inputs are widened exactly', () => {
    const half = { name: 'h', dtype: 'float16' as const, shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) }; // 1, -2
    const m = compareTensors(half, f32([1, -2]));
    expect(m.maxAbs).toBe(0);
    const i64 = { name: 'i', dtype: 'int64' as const, shape: [2], data: BigInt64Array.from([3n, 4n]) };
    expect(compareTensors(i64, f32([3, 3])).sqnrDb).toBeCloseTo(10 * Math.log10(25), 12);
  });
});

describe('metrics: numpy goldens (goldens/metrics/make_goldens.py)', () => {
  const expected = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'expected.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  for (const [name, want] of Object.entries(expected)) {
    it(`${name} matches numpy to 1e-6 relative`, () => {
      const a = readNpy(path.join(GOLDEN, 'cases', `${name}_ref.npy`), 'a');
      const b = readNpy(path.join(GOLDEN, 'cases', `${name}_test.npy`), 'b');
      const got: TensorMetrics = compareTensors(a, b);
      expect(got.count).toBe(want.count);
      for (const k of ['cosine', 'maxAbs', 'meanAbs', 'rmse', 'sqnrDb', 'maxRel'] as const) close(got[k], want[k] as number | string);
      expect(got.nanCount).toEqual(want.nanCount);
      expect(got.infCount).toEqual(want.infCount);
      for (const k of ['refRange', 'testRange'] as const) {
        const [lo, hi] = want[k] as (number | string)[];
        close(got[k][0], lo!); close(got[k][1], hi!);
      }
    });
  }
});
