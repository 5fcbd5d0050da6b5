import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../src/graph/onnx-model.js';
import { collectActivations } from '../../src/quant/activation-collector.js';
import { computeAmaxes } from '../../src/quant/calibrators.js';
import { cacheOf } from '../../src/quant/calibration-pipeline.js';
import { hexToScale, scaleToHex } from '../../src/quant/calibration-cache.js';

const GOLDENS = path.resolve(__dirname, '../../goldens/quant');
const golden = JSON.parse(fs.readFileSync(path.join(GOLDENS, 'minmax_ort.json'), 'utf8')) as {
  meta: { inputs: string[] };
  tensors: Record<string, { min: number; max: number; amax: number; hex: string }>;
};

describe('MinMax against onnxruntime-python (goldens/quant/make_goldens.py)', () => {
  it('finds the same ranges and cache scales as onnxruntime.quantization MinMax', async () => {
    const model = loadModel(path.join(GOLDENS, 'two_conv.onnx'));
    const inputs = golden.meta.inputs.map((f) => `x=${path.join(GOLDENS, f)}`);
    // batch 3 over 4 inputs: two batches, so the "first batch" path and the rest both count
    const collected = await collectActivations(model, inputs, { batch: 3, histograms: ['grow'] });
    expect(collected.images).toBe(4);
    const amax = computeAmaxes('minmax', collected.stats, model.proto.graph!);
    const cache = cacheOf('minmax', amax, '100300');
    // The graph input is data, so it must match to the bit. Conv outputs are computed by two
    // builds of ONNX Runtime (node vs python, with python's calibrator adding ReduceMin/ReduceMax
    // nodes that change how the graph is partitioned), whose kernels may sum in different orders:
    // those agree to float32 rounding (a few ulp), not necessarily to the bit.
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(4 * 2 ** -23 * Math.abs(b));
    for (const [name, g] of Object.entries(golden.tensors)) {
      const s = collected.stats.get(name)!;
      expect(s, name).toBeDefined();
      if (name === 'x') {
        expect([s.min, s.max, amax.get(name)]).toEqual([g.min, g.max, g.amax]);
        expect(scaleToHex(cache.scales.get(name)!)).toBe(g.hex);
      } else {
        close(s.min, g.min);
        close(s.max, g.max);
        close(amax.get(name)!, g.amax);
        close(cache.scales.get(name)!, hexToScale(g.hex));
      }
    }
    expect(new Set(collected.stats.keys())).toEqual(new Set(Object.keys(golden.tensors)));
  });
});
