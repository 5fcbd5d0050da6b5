import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { loadModel, saveModel } from '../../src/graph/onnx-model.js';
import { floatTensor, model, node, valueInfo } from '../helpers/onnx-builder.js';
import { writeNpy } from '../robustness/fixtures.js';
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
  // With histograms, min/max of the later images are folded in JavaScript; without (MinMax alone),
  // every image's min/max come from ReduceMin/ReduceMax inside ONNX Runtime (minmax-reduction.ts).
  it.each([[['grow'] as const, 'full tensors after the first batch', 3], [[] as const, 'in-runtime reductions throughout', 4]])('finds the same ranges and cache scales as onnxruntime.quantization MinMax (histograms %j: %s)', async (histograms, _, reduced) => {
    const model = loadModel(path.join(GOLDENS, 'two_conv.onnx'));
    const inputs = golden.meta.inputs.map((f) => `x=${path.join(GOLDENS, f)}`);
    // batch 3 over 4 inputs: two batches, so the "first batch" path and the rest both count
    const collected = await collectActivations(model, inputs, { batch: 3, histograms: [...histograms] });
    expect(collected.images).toBe(4);
    expect(collected.reducedImages).toBe(reduced);
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

describe('min/max with non-finite activations', () => {
  // y = Log(x): a sample with x ≤ 0 makes NaN and -Inf, which the in-runtime reductions cannot
  // skip; that sample is folded from its full tensors instead. Expected values are closed-form.
  it.each([13, 18])('skips and counts NaN/-Inf, and folds finite samples from reductions (opset %i)', async (opset) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minmax-nan-'));
    const file = path.join(dir, 'log.onnx');
    saveModel(model({ nodes: [node('Log', ['x'], ['l']), node('Mul', ['l', 'two'], ['y'])], inputs: [valueInfo('x', [1, 4])], outputs: [valueInfo('y', [1, 4])], initializers: [floatTensor('two', [], [2])], opset }), file);
    const a = writeNpy(path.join(dir, 'a.npy'), [1, 4], [0.5, -1, 0, 4]);
    const b = writeNpy(path.join(dir, 'b.npy'), [1, 4], [1, 2, 3, 8]);
    const collected = await collectActivations(loadModel(file), [`x=${a}`, `x=${b}`, `x=${b}`], { batch: 1, histograms: [] });
    const l = collected.stats.get('l')!, y = collected.stats.get('y')!;
    const f = Math.fround;
    expect([l.min, l.max, l.count, l.nonFinite]).toEqual([f(Math.log(0.5)), f(Math.log(8)), 12, 2]);
    expect([y.min, y.max, y.count, y.nonFinite]).toEqual([f(2 * f(Math.log(0.5))), f(2 * f(Math.log(8))), 12, 2]);
    expect(l.absMax).toBe(f(Math.log(8)));
    expect(collected.stats.get('x')!.nonFinite).toBe(0);
    expect(collected.reducedImages).toBe(2); // a fell back to full tensors
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
