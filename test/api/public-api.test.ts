import { describe, expect, expectTypeOf, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/paths.js';
import * as api from '../../src/index.js';
import type { Report, TensorMetrics, Runner, MetricAccumulator } from '../../src/index.js';

/** The library entry point (package.json main/types → dist/index.js / dist/index.d.ts). */
describe('public library API', () => {
  it('package.json main and types point at the built entry point of src/index.ts', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; types: string; exports?: unknown };
    expect(pkg.main).toBe('dist/index.js');
    expect(pkg.types).toBe('dist/index.d.ts');
  });

  it('compareTensors, firstDivergence and cocoIou compute from their definitions', () => {
    // a = [1, 2, 3, 4], b = a + [0, 0, 0, 1]: Σa² = 30, Σ(a−b)² = 1 → SQNR = 10·log10(30) dB
    const t = (data: number[]): api.Tensor => ({ name: 't', dtype: 'float32', shape: [data.length], data: Float32Array.from(data) });
    const m = api.compareTensors(t([1, 2, 3, 4]), t([1, 2, 3, 5]));
    expect(m.sqnrDb).toBeCloseTo(10 * Math.log10(30), 12);
    expect(m.maxAbs).toBe(1);
    expect(m.testRange).toEqual([1, 5]);
    // two 10×10 boxes overlapping by half: IoU = 50 / 150
    expect(api.cocoIou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(1 / 3, 12);
    expect(api.firstDivergence([])).toBeNull();
  });

  it('exposes typed building blocks', () => {
    expectTypeOf(api.compareModels).returns.resolves.toHaveProperty('candidates');
    expectTypeOf(api.buildReport).returns.toEqualTypeOf<Report>();
    expectTypeOf(api.finalize).parameter(0).toEqualTypeOf<MetricAccumulator>();
    expectTypeOf(api.finalize).returns.toEqualTypeOf<TensorMetrics>();
    expectTypeOf<api.OrtRunner>().toMatchTypeOf<Runner>();
  });
});
