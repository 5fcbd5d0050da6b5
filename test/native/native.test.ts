import { mulberry32 } from '../../src/inputs/random.js';
import { describe, it, expect } from 'vitest';
import { accumulateArrays, newAccumulator, type MetricAccumulator } from '../../src/compare/metrics.js';
import { UserError } from '../../src/errors.js';
import { AbsHistogram } from '../../src/quant/histogram.js';
import { foldMinMax } from '../../src/quant/activation-collector.js';
import { loadNative, nativeCapabilities } from '../../src/native/addon.js';
import { TrtRunner, isEnginePath, trtUnavailableReason } from '../../src/runners/trt-runner.js';
import { missing } from '../helpers/paths.js';

const loaded = loadNative();
// TRTDIFF_NO_NATIVE=1: as on a clone where the addon was never built (test/helpers/paths.ts).
const addon = process.env.TRTDIFF_NO_NATIVE ? undefined : loaded.addon;
const notBuilt = addon === undefined;
if (notBuilt) missing('native', process.env.TRTDIFF_NO_NATIVE ? 'native addon hidden (TRTDIFF_NO_NATIVE is set)' : `native addon not built: ${loaded.errors.join('; ')}`);
const trtReason = trtUnavailableReason();
if (trtReason) console.log(`TensorRT tests skipped: ${trtReason}`);
const testEngine = process.env['TRT_DIFF_TEST_ENGINE'];
if (!trtReason && !testEngine) console.log('TensorRT engine test skipped: set TRT_DIFF_TEST_ENGINE to a .engine file');

const ADVERSARIAL = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 1e-40, -1.4e-45, 1e-7, 3.4e38];

function makePair(n: number, seed: number, adversarial: boolean): [Float32Array, Float32Array] {
  const r = mulberry32(seed); // deterministic, so a failure reproduces
  const ref = new Float32Array(n);
  const test = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ref[i] = adversarial && r() < 0.3 ? ADVERSARIAL[Math.floor(r() * ADVERSARIAL.length)]! : (r() * 2 - 1) * 3;
    test[i] = adversarial && r() < 0.3 ? ADVERSARIAL[Math.floor(r() * ADVERSARIAL.length)]! : ref[i]! + (r() - 0.5) * 0.02;
  }
  return [ref, test];
}

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Counts and extrema exactly (+0 and -0 alike: which zero is the min depends on order); sums to FP64 reordering error. */
function expectSameAccumulator(got: MetricAccumulator, want: MetricAccumulator): void {
  for (const k of ['count', 'finite', 'refNan', 'refInf', 'testNan', 'testInf', 'maxAbs', 'maxRel',
    'refMin', 'refMax', 'testMin', 'testMax'] as const) {
    expect(same(got[k], want[k]), `${k}: ${got[k]} vs ${want[k]}`).toBe(true);
  }
  const magnitude = {
    sumRef2: want.sumRef2, sumTest2: want.sumTest2, sumErr2: want.sumErr2, sumAbsErr: want.sumAbsErr,
    sumDot: Math.sqrt(want.sumRef2 * want.sumTest2),
  };
  for (const [k, mag] of Object.entries(magnitude) as [keyof typeof magnitude, number][]) {
    // Reordering error of an FP64 sum grows with its length (the TS pass is one running sum).
    const rel = 1e-12 * Math.max(1, want.count / 65_536);
    expect(Math.abs(got[k] - want[k]), `${k}: ${got[k]} vs ${want[k]}`).toBeLessThanOrEqual(rel * mag);
  }
}

describe('native addon', () => {
  it('reports capabilities without crashing', () => {
    const caps = nativeCapabilities();
    console.log(`native capabilities: ${JSON.stringify(caps)}`);
    expect(typeof caps.cuda.available).toBe('boolean');
    expect(caps.cuda.available).toBe(caps.cuda.devices > 0);
    if (!caps.cuda.available) expect(caps.cuda.error).toBeTruthy();
    expect(typeof caps.tensorrt.built).toBe('boolean');
  });

  it.skipIf(notBuilt)('compareF32 equals accumulateArrays on random and adversarial data', () => {
    // Past 2^20 pairs the addon splits the work over threads (native/cpu_compare.cpp).
    const sizes = [0, 1, 2, 3, 7, 8, 9, 15, 17, 31, 33, 1000, 8191, 8192, 8193, 65_537, (1 << 20) + 1, 3_000_017];
    let seed = 1;
    for (const n of sizes) {
      for (const adversarial of [false, true]) {
        const [ref, test] = makePair(n, seed++, adversarial);
        const got = addon!.compareF32(ref, test);
        const want = accumulateArrays(newAccumulator(), ref, test);
        expectSameAccumulator(got, want);
      }
    }
  });

  it.skipIf(notBuilt)('compareF32 covers every non-finite combination and rejects length mismatches', () => {
    const values = [NaN, Infinity, -Infinity, 0, -0, 1e30, 1e-40, 2.5];
    const ref = new Float32Array(values.length ** 2);
    const test = new Float32Array(values.length ** 2);
    values.forEach((a, i) => values.forEach((b, j) => { ref[i * values.length + j] = a; test[i * values.length + j] = b; }));
    expectSameAccumulator(addon!.compareF32(ref, test), accumulateArrays(newAccumulator(), ref, test));
    expect(() => addon!.compareF32(new Float32Array(3), new Float32Array(4))).toThrow(/element counts differ/);
    expect(() => addon!.compareF32(new Float64Array(3) as unknown as Float32Array, new Float32Array(3))).toThrow(/Float32Array/);
  });

  it.skipIf(notBuilt)('calibrationHistogramAdd puts bin edges, overflow and non-finite values where the TS histogram does', () => {
    // 8 bins over [0, 8]: width 1. Right-closed bins: 1 → bin 0, 1.5 and 2 → bin 1, 8 → bin 7;
    // 20 (beyond the range, 'saturate' mode) → the last bin; NaN and ±Inf are not counted.
    const counts = new Float64Array(8);
    addon!.calibrationHistogramAdd(counts, 1, new Float32Array([0, -0.5, 1, 1.5, -2, 7.25, 8, 20, NaN, Infinity, -Infinity, 1e-45]));
    expect([...counts]).toEqual([4, 2, 0, 0, 0, 0, 0, 3]);
  });

  it.skipIf(notBuilt)('calibrationHistogramAdd equals AbsHistogram.add in TypeScript on large data (threaded path)', () => {
    for (const mode of ['grow', 'saturate'] as const) {
      const n = (1 << 20) + 12_345;
      const r = mulberry32(7);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = i % 1000 === 0 ? ADVERSARIAL[(i / 1000) % ADVERSARIAL.length]! : (r() - 0.3) * 6;
      data[5] = 3; data[6] = 3 * (1 - 2 ** -24); // a value exactly on a bin edge, and its neighbour
      const nat = new AbsHistogram(3, mode), ts = new AbsHistogram(3, mode);
      nat.add(data); // Float32Array ≥ 4096 elements: the addon
      ts.add(Float64Array.from(data)); // any other array: the TypeScript loop
      expect(nat.range).toBe(ts.range);
      expect([...nat.counts]).toEqual([...ts.counts]);
    }
  });

  it.skipIf(notBuilt)('finiteRange gives the min, max and non-finite count that foldMinMax computes in TypeScript', () => {
    expect([...addon!.finiteRange(new Float32Array([NaN, -3, Infinity, 2.5, -Infinity, 0]))]).toEqual([-3, 2.5, 3]);
    expect([...addon!.finiteRange(new Float32Array([NaN, Infinity]))]).toEqual([Infinity, -Infinity, 2]);
    expect([...addon!.finiteRange(new Float32Array(0))]).toEqual([Infinity, -Infinity, 0]);
    for (const n of [4096, (1 << 20) + 777]) {
      const r = mulberry32(n);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = i % 997 === 0 ? ADVERSARIAL[(i / 997) % ADVERSARIAL.length]! : (r() - 0.5) * 100;
      const stats = () => ({ name: 't', shape: [n], min: Infinity, max: -Infinity, absMax: 0, firstBatchAbsMax: 0, count: 0, nonFinite: 0, histograms: {}, pendingZeros: 0 });
      const nat = stats(), ts = stats();
      expect(foldMinMax(nat, data)).toBe(foldMinMax(ts, Float64Array.from(data))); // addon vs TypeScript loop
      expect(nat).toEqual(ts);
      expect(ts.nonFinite).toBe(data.filter((v) => !Number.isFinite(v)).length);
    }
  });

  it.skipIf(notBuilt)('retainFreedMemory applies the glibc thresholds, or says why not', () => {
    const header = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header;
    const r = addon!.retainFreedMemory();
    if (header.glibcVersionRuntime) expect(r).toBeNull();
    else expect(r).toMatch(/not glibc/);
  });
  it.skipIf(notBuilt)('histogramUpdate doubles the range and merges bin pairs', () => {
    const counts = new Float64Array(addon!.histogramBins);
    let range = addon!.histogramUpdate(counts, 0, new Float32Array([0.5, -1, NaN, Infinity]));
    expect(range).toBe(1);
    expect([counts[1024], counts[2047]]).toEqual([1, 1]);
    range = addon!.histogramUpdate(counts, range, new Float32Array([3]));
    expect(range).toBe(4);  // 1 → 2 → 4: two doublings, each merging adjacent bins
    expect([counts[256], counts[511], counts[1536]]).toEqual([1, 1, 1]);
    expect(counts.reduce((s, c) => s + c, 0)).toBe(3);
  });

  it.skipIf(notBuilt || addon?.compareF32Cuda === undefined)('compareF32Cuda matches the CPU path, or rejects with the CUDA error', async () => {
    const [ref, test] = makePair(100_003, 42, true);
    const caps = addon!.capabilities();
    if (!caps.cuda.available) {
      await expect(addon!.compareF32Cuda!(ref, test)).rejects.toThrow(caps.cuda.error!);
      return;
    }
    expectSameAccumulator(await addon!.compareF32Cuda!(ref, test), accumulateArrays(newAccumulator(), ref, test));
  });
});

describe('TensorRT runner', () => {
  it('recognises engine file names', () => {
    expect(['m.engine', 'm.plan', 'M.TRT'].map(isEnginePath)).toEqual([true, true, true]);
    expect(['m.onnx', 'engine', 'm.engine.json'].map(isEnginePath)).toEqual([false, false, false]);
  });

  it.skipIf(!trtReason)('open() fails with one UserError line when TensorRT is not built', async () => {
    const err = await TrtRunner.open('model.engine').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/^model\.engine: TensorRT runner not built: /);
    expect((err as UserError).message).not.toContain('\n');
  });

  it.skipIf(trtReason !== undefined || !testEngine)('opens and describes a real engine', async () => {
    const runner = await TrtRunner.open(testEngine!);
    const d = runner.describe();
    expect(d.backend).toMatch(/^tensorrt-\d+\.\d+/);
    expect(d.inputs.length).toBeGreaterThan(0);
    await runner.close();
  });

});
