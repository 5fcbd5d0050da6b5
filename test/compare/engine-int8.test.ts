import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareModels } from '../../src/compare/compare-models.js';
import { loadModel, saveModel } from '../../src/graph/onnx-model.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import type { OpenRunner } from '../../src/runners/open-runner.js';
import { affineReluModels } from '../helpers/onnx-builder.js';
import { tmpDir } from '../helpers/paths.js';

describe('INT8 tensors returned by an engine layer that fuses the Quantize', () => {
  it('a pair whose INT8 side arrives quantized gives the same metrics as ONNX Runtime\'s DequantizeLinear output', async () => {
    const dir = tmpDir('engine-int8-');
    const { fp32, int8 } = affineReluModels(0.07);
    const f = path.join(dir, 'f.onnx');
    const q = path.join(dir, 'q.onnx');
    saveModel(fp32, f);
    saveModel(int8, q);
    // As a Conv+Q engine layer would: asked for h, the runner returns the (int8) QuantizeLinear output under the name h.
    const fusedQ: OpenRunner = async (model, mark, role) => {
      if (role === 'fp32') return OrtRunner.open(model, { mark });
      const inner = await OrtRunner.open(model, { mark: [...mark, 'h_QuantizeLinear_Output'] });
      const d = inner.describe();
      const tensors = [...d.tensors.filter((t) => t.name !== 'h_DequantizeLinear_Output' && t.name !== 'h_QuantizeLinear_Output'), { name: 'h', dtype: 'int8' as const, shape: [1, 4] }];
      return {
        describe: () => ({ ...d, tensors }),
        async *run(feeds, o) {
          const fetch = (o?.fetch ?? []).map((n) => (n === 'h' ? 'h_QuantizeLinear_Output' : n));
          for await (const t of inner.run(feeds, { fetch })) yield t.name === 'h_QuantizeLinear_Output' ? { ...t, name: 'h' } : t;
        },
        close: () => inner.close(),
      };
    };
    const inputs = ['random:4', 'random:5'];
    const ref = (await compareModels(loadModel(f), [loadModel(q)], { inputs, noPerturbationCheck: true })).candidates[0]!;
    const viaQ = (await compareModels(loadModel(f), [loadModel(q)], { inputs, noPerturbationCheck: true, openRunner: fusedQ })).candidates[0]!;
    expect(viaQ.coverage.missing).toEqual([]);
    const h = viaQ.records.find((r) => r.name === 'h')!;
    expect(h.int8Name).toBe('h');
    expect(h.metrics).toEqual(ref.records.find((r) => r.name === 'h')!.metrics);
  });
});
