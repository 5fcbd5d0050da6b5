import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareModels } from '../../src/compare/compare-models.js';
import { dequantizeReturned } from '../../src/compare/engine-int8.js';
import { loadModel, saveModel } from '../../src/graph/onnx-model.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import type { OpenRunner } from '../../src/runners/open-runner.js';
import { affineReluModels } from '../helpers/onnx-builder.js';
import { tmpDir } from '../helpers/paths.js';

describe('INT8 tensors returned by an engine layer that fuses the Quantize', () => {
  it('dequantizes (q − zp) × scale, closed form, per-tensor only', () => {
    const t = { name: 'c', dtype: 'int8' as const, shape: [4], data: new Int8Array([-128, 0, 5, 127]) };
    const dq = dequantizeReturned(t, { logical: 'c', actual: 'c_dq', kind: 'dequantized', scale: [0.5], zeroPoint: [3] })!;
    expect(dq.dtype).toBe('float32');
    expect([...dq.data]).toEqual([-65.5, -1.5, 1, 62]);
    const u = { name: 'c', dtype: 'uint8' as const, shape: [2], data: new Uint8Array([0, 255]) };
    expect([...dequantizeReturned(u, { logical: 'c', actual: 'c_dq', kind: 'dequantized', scale: [0.25], zeroPoint: [128] })!.data]).toEqual([-32, 31.75]);
    expect(dequantizeReturned(t, { logical: 'c', actual: 'c', kind: 'float' })).toBeUndefined();
    expect(dequantizeReturned(t, { logical: 'c', actual: 'c_dq', kind: 'dequantized', scale: [0.5, 0.25] })).toBeUndefined();
    const f = { name: 'c', dtype: 'float32' as const, shape: [1], data: new Float32Array([1]) };
    expect(dequantizeReturned(f, { logical: 'c', actual: 'c_dq', kind: 'dequantized', scale: [0.5] })).toBeUndefined();
  });

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
