import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelProto } from 'onnx-buf';
import { loadModel, saveModel } from '../../src/graph/onnx-model.js';
import { lintModel } from '../../src/lint/hazard-lint.js';
import { layerwiseSensitivity } from '../../src/localize/sensitivity.js';
import { searchFallbackSet } from '../../src/localize/fallback-search.js';
import { parseMetric, parseTarget } from '../../src/localize/targets.js';
import { encodeNpy } from '../../src/inputs/npy.js';
import { floatTensor, model, node, valueInfo } from '../helpers/onnx-builder.js';
import { runCli } from '../helpers/cli.js';
import { ROOT, tmpDir } from '../helpers/paths.js';

const MODELS = path.join(ROOT, 'goldens/quantizers/models');
const m = (f: string) => loadModel(path.join(MODELS, f));

describe('lint: depthwise advice only where weights are per-tensor', () => {
  // relu6.onnx has one depthwise Conv (group 8, weight [8,1,3,3]); its variants say which scales they use.
  const depthwise = (f: string) => lintModel(m(f)).filter((x) => x.rule === 'depthwise').map((x) => x.severity);
  it('per-tensor Q/DQ and QOperator: a warning', () => {
    expect(depthwise('relu6_qdq_u8_tensor.onnx')).toEqual(['warning']);
    expect(depthwise('relu6_qop_u8_tensor.onnx')).toEqual(['warning']);
  });
  it('per-channel Q/DQ and QOperator: no advice to do what is already done', () => {
    expect(depthwise('relu6_qdq_u8_channel.onnx')).toEqual([]);
    expect(depthwise('relu6_qdq_s8_sym.onnx')).toEqual([]);
    expect(depthwise('relu6_qop_u8_channel.onnx')).toEqual([]);
  });
  it('FP32: info (quantize it per channel)', () => {
    expect(depthwise('relu6.onnx')).toEqual(['info']);
  });
});

describe('calibrate --qdq on a model it cannot convert', () => {
  it('fails with exit 2 before writing the cache', () => {
    const dir = tmpDir();
    const op9 = model({
      nodes: [node('Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }, 'conv'), node('Relu', ['c'], ['y'], {}, 'relu')],
      inputs: [valueInfo('x', [1, 1, 4, 4])], outputs: [valueInfo('y', [1, 2, 4, 4])],
      initializers: [floatTensor('w', [2, 1, 3, 3], Array.from({ length: 18 }, (_, i) => (i % 5) / 5 - 0.4))], opset: 9,
    });
    saveModel(op9, path.join(dir, 'm.onnx'));
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy({ name: 'x', dtype: 'float32', shape: [1, 1, 4, 4], data: Float32Array.from({ length: 16 }, (_, i) => i / 16) }));
    const r = runCli(['calibrate', '--model', path.join(dir, 'm.onnx'), '--images', path.join(dir, 'x.npy'), '--cache', path.join(dir, 'c.cache'), '--qdq', path.join(dir, 'q.onnx')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/m\.onnx: model is opset 9/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(fs.readdirSync(dir).sort()).toEqual(['m.onnx', 'x.npy']);
  });
});

/** The same model with every initializer also declared as a graph input (older exporters do this). */
function initializersAsInputs(p: ModelProto): ModelProto {
  const g = p.graph!;
  const declared = new Set(g.input.map((i) => i.name));
  const extra = g.initializer.filter((t) => !declared.has(t.name)).map((t) => valueInfo(t.name, t.dims.map(Number), t.dataType));
  return { ...p, graph: { ...g, input: [...g.input, ...extra] } };
}

describe('sensitivity and bisect on models that list initializers as graph inputs', () => {
  it('run, and "nothing quantized" is still FP32', async () => {
    const dir = tmpDir();
    saveModel(initializersAsInputs(m('mixed.onnx').proto), path.join(dir, 'f.onnx'));
    saveModel(initializersAsInputs(m('mixed_qdq_u8_tensor.onnx').proto), path.join(dir, 'q.onnx'));
    const fp32 = loadModel(path.join(dir, 'f.onnx')), int8 = loadModel(path.join(dir, 'q.onnx'));
    const sens = await layerwiseSensitivity({ fp32, int8, inputs: ['random:3'], metric: parseMetric('sqnr@score') });
    expect(sens.ops.length).toBe(6); // five Conv and one Gemm
    expect(sens.float).toBeGreaterThanOrEqual(60);
    const { result } = await searchFallbackSet({ fp32, int8, inputs: ['random:3'], target: parseTarget('sqnr>=60@score') });
    expect(result.allFloat).toBeGreaterThanOrEqual(60);
    expect(result.met).toBe(true);
  });
});
