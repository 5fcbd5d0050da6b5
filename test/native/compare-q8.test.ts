import { describe, expect, it } from 'vitest';
import { accumulateArrays, accumulateDequantized, newAccumulator } from '../../src/compare/metrics.js';
import { mulberry32 } from '../../src/inputs/random.js';
import { nativeFastPath } from '../../src/native/addon.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { missing } from '../helpers/paths.js';

// compareQ8 compares float32 against 8-bit integers taken as DequantizeLinear's (q − zp) · scale, so
// that the comparison can fetch the integer tensor of a Q/DQ pair instead of its float copy.
const q8 = nativeFastPath('compareQ8');
const f32 = nativeFastPath('compareF32');
const why = q8 ? '' : missing('native', process.env.TRTDIFF_NO_NATIVE ? 'native addon hidden (TRTDIFF_NO_NATIVE is set)' : 'native addon not built');
if (!q8) console.log(`native compareQ8 not tested: ${why}`);

/** DequantizeLinear in float32, written out independently: Math.fround of the exact product. */
const dequant = (q: ArrayLike<number>, scale: number, zp: number) => Float32Array.from(q, (v) => Math.fround((v - zp) * scale));

function data(n: number, seed: number, signed: boolean): { ref: Float32Array; q: Int8Array | Uint8Array } {
  const r = mulberry32(seed);
  const q = signed ? new Int8Array(n) : new Uint8Array(n);
  const ref = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    q[i] = signed ? Math.floor(r() * 256) - 128 : Math.floor(r() * 256);
    ref[i] = r() < 0.01 ? [NaN, Infinity, -Infinity][i % 3]! : (r() * 2 - 1) * 3;
  }
  return { ref, q };
}

describe.skipIf(!q8)(`native compareQ8${why ? ` — skipped: ${why}` : ''}`, () => {
  // Sizes: below one 8-lane chunk, odd tails, one block (8192), and past the threading threshold (2^20).
  for (const [n, signed, scale, zp] of [[5, true, 0.0125, 0], [8193, false, 0.03125, 128], [100_003, true, 0.007843138, -3], [(1 << 20) + 7, false, 1.1920929e-7, 17]] as const) {
    it(`${signed ? 'int8' : 'uint8'} × ${n}, scale ${scale}, zero point ${zp}: bit for bit compareF32 over the dequantized copy, and the TypeScript pass`, () => {
      const { ref, q } = data(n, n, signed);
      const s = Math.fround(scale);
      const copy = dequant(q, s, zp);
      const got = q8!(ref, q, s, zp);
      expect(got).toEqual(f32!(ref, copy)); // same blocks, same lanes, same values: identical sums
      const ts = accumulateArrays(newAccumulator(), ref, copy);
      for (const k of ['count', 'finite', 'refNan', 'refInf', 'maxAbs', 'maxRel', 'refMin', 'refMax', 'testMin', 'testMax'] as const) expect(got[k]).toBe(ts[k]);
      for (const k of ['sumRef2', 'sumTest2', 'sumErr2', 'sumAbsErr'] as const) expect(Math.abs(got[k] - ts[k])).toBeLessThanOrEqual(1e-12 * Math.max(1, n / 65_536) * ts[k]);
    });
  }

  it('closed form: a reference equal to the dequantized values has zero error; one LSB everywhere gives sumErr2 = n·scale²', () => {
    const q = Uint8Array.from({ length: 4099 }, (_, i) => i % 251);
    const scale = 0.5, zp = 100; // exact in binary: every product is exact
    const exact = dequant(q, scale, zp);
    expect(q8!(exact, q, scale, zp)).toMatchObject({ sumErr2: 0, maxAbs: 0, finite: 4099 });
    const off = exact.map((v) => v + scale);
    expect(q8!(off, q, scale, zp)).toMatchObject({ sumErr2: 4099 * scale * scale, maxAbs: scale });
  });

  it('accumulateDequantized takes the native pass for 8-bit tensors and the dequantized copy otherwise (int16), with the same result', () => {
    const n = 9000;
    const ref = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const q16 = Int16Array.from({ length: n }, (_, i) => (i % 200) - 100);
    const q8t = Int8Array.from(q16);
    const t = (dtype: 'int8' | 'int16', data: Int8Array | Int16Array): Tensor => ({ name: 't', dtype, shape: [n], data });
    const a = accumulateDequantized(newAccumulator(), { name: 'r', dtype: 'float32', shape: [n], data: ref }, t('int8', q8t), 0.01, 0);
    const b = accumulateDequantized(newAccumulator(), { name: 'r', dtype: 'float32', shape: [n], data: ref }, t('int16', q16), 0.01, 0);
    for (const k of ['count', 'finite', 'maxAbs', 'maxRel', 'testMin', 'testMax'] as const) expect(a[k]).toBe(b[k]);
    expect(Math.abs(a.sumErr2 - b.sumErr2)).toBeLessThanOrEqual(1e-12 * b.sumErr2);
  });

  it('refuses mismatched lengths and non-8-bit arrays with a clear error', () => {
    expect(() => q8!(new Float32Array(3), new Int8Array(4), 1, 0)).toThrow(/element counts differ: 3 vs 4/);
    expect(() => q8!(new Float32Array(3), new Int16Array(3) as unknown as Int8Array, 1, 0)).toThrow(/Int8Array or Uint8Array/);
  });
});
