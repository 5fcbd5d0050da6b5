import { beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { loadModel, parseModel, serializeModel, type OnnxModel } from '../../src/graph/onnx-model.js';
import { indexGraph } from '../../src/graph/graph-index.js';
import { initializerTensor, initializerValues } from '../../src/graph/initializers.js';
import { logicalTensors } from '../../src/graph/qdq.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import { readNpy } from '../../src/inputs/npy.js';
import { buildQdqModel, checkCacheMatchesModel } from '../../src/quant/qdq-emulation.js';
import { upgradeToOpset13, defaultOpset } from '../../src/quant/opset-upgrade.js';
import { quantizeWeightsPerChannel } from '../../src/quant/weight-quantization.js';
import { roundHalfEven } from '../../src/tensor/round.js';
import { int8Inputs } from '../../src/quant/placement.js';
import { UserError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { YOLO, hasShared, sharedReason } from '../helpers/paths.js';

const GOLDENS = path.resolve(__dirname, '../../goldens/quant');

async function runAll(model: OnnxModel, feeds: Record<string, Tensor>, mark: string[] = []): Promise<Map<string, Float32Array>> {
  const r = await OrtRunner.open(model, { mark });
  const out = new Map<string, Float32Array>();
  try {
    for await (const t of r.run(feeds)) out.set(t.name, Float32Array.from(t.data as Float32Array));
  } finally {
    await r.close();
  }
  return out;
}

describe('per-channel weight quantization', () => {
  it('uses max|w_c|/127 per output channel, round-half-even, range [-127, 127]', () => {
    // 2 channels along axis 0, 3 values each
    const w = [0.5, -1, 0.25, 2, 0, -0.03];
    const q = quantizeWeightsPerChannel(w, [2, 3], 0);
    expect([...q.scales]).toEqual([Math.fround(1 / 127), Math.fround(2 / 127)]);
    expect([...q.q]).toEqual([roundHalfEven(0.5 * 127 / 1), -127, roundHalfEven(0.25 * 127), 127, 0, roundHalfEven(-0.03 / Math.fround(2 / 127))]);
    expect(roundHalfEven(2.5)).toBe(2);
    expect(roundHalfEven(-2.5)).toBe(-2);
    expect(roundHalfEven(3.5)).toBe(4);
    // axis 1: channels are columns
    expect([...quantizeWeightsPerChannel([1, 4, -2, 2], [2, 2], 1).scales]).toEqual([Math.fround(2 / 127), Math.fround(4 / 127)]);
  });
});

describe('Q/DQ emulation model', () => {
  const model = loadModel(path.join(GOLDENS, 'two_conv.onnx'));
  const x = readNpy(path.join(GOLDENS, 'inputs/x_1.npy'), 'x');
  const scales = new Map([['x', 0.05], ['conv1', 0.1], ['relu1', 0.12], ['y', 0.2]].map(([k, v]) => [k as string, Math.fround(v as number)]));

  it('quantizes conv inputs per tensor and weights per channel, and ORT runs it', async () => {
    const r = buildQdqModel(model.proto, scales, { placement: 'trt', file: 'two_conv.onnx' });
    expect(r.quantized.map((q) => q.tensor)).toEqual(['x', 'relu1']); // conv inputs; conv1 feeds Relu, y is an output
    expect(r.missing).toEqual([]);
    expect(r.weights.map((w) => [w.tensor, w.axis, w.channels])).toEqual([['w1', 0, 4], ['w2', 0, 2]]);
    const qdq: OnnxModel = { path: 'two_conv.qdq.onnx', proto: parseModel(serializeModel(r.proto)) };
    const g = indexGraph(qdq.proto.graph!);
    // graph/qdq.ts pairs the inserted tensors with the FP32 names
    const logical = logicalTensors(qdq.proto.graph!, g, new Set(['x', 'conv1', 'relu1', 'y']));
    expect(logical.get('relu1')?.actual).toBe('relu1_DequantizeLinear_Output');
    expect(logical.get('relu1')?.kind).toBe('dequantized');

    const out = await runAll(qdq, { x }, ['x_DequantizeLinear_Output', 'relu1', 'relu1_DequantizeLinear_Output']);
    // closed form of Q/DQ: clamp(round_half_even(v / s), -128, 127) · s
    const fq = (v: number, s: number) => Math.max(-128, Math.min(127, roundHalfEven(v / s))) * s;
    const xs = x.data as Float32Array;
    const xdq = out.get('x_DequantizeLinear_Output')!;
    for (let i = 0; i < xs.length; i++) expect(xdq[i]).toBe(Math.fround(fq(xs[i]!, scales.get('x')!)));
    const relu = out.get('relu1')!, rdq = out.get('relu1_DequantizeLinear_Output')!;
    for (let i = 0; i < relu.length; i++) expect(rdq[i]).toBe(Math.fround(fq(relu[i]!, scales.get('relu1')!)));

    // the dequantized weights are q·scale with q within [-127, 127]
    const w1q = initializerTensor(qdq.proto.graph!.initializer.find((t) => t.name === 'w1_quantized')!);
    expect(w1q.dtype).toBe('int8');
    expect(Math.min(...(w1q.data as Int8Array))).toBeGreaterThanOrEqual(-127);
    const s1 = initializerValues(qdq.proto.graph!.initializer.find((t) => t.name === 'w1_scale')!);
    const w1 = initializerTensor({ ...model.proto.graph!.initializer.find((t) => t.name === 'w1')!, rawData: new Uint8Array(model.proto.graph!.initializer.find((t) => t.name === 'w1')!.rawData) });
    const per = (w1.data.length / 4);
    for (let c = 0; c < 4; c++) {
      const slice = Array.from(w1.data as Float32Array).slice(c * per, (c + 1) * per);
      expect(s1[c]).toBe(Math.fround(Math.max(...slice.map(Math.abs)) / 127));
    }
    // INT8 output stays close to FP32
    const ref = await runAll(model, { x });
    const a = ref.get('y')!, b = out.get('y')!;
    let e2 = 0, r2 = 0;
    for (let i = 0; i < a.length; i++) { e2 += (a[i]! - b[i]!) ** 2; r2 += a[i]! ** 2; }
    expect(10 * Math.log10(r2 / e2)).toBeGreaterThan(25);
  });

  it('leaves tensors missing from the cache in float and lists them', () => {
    const r = buildQdqModel(model.proto, new Map([['x', 0.05], ['relu1', 0]]), { placement: 'conv-only', file: 'm' });
    expect(r.quantized.map((q) => q.tensor)).toEqual(['x']);
    expect(r.missing).toEqual([{ tensor: 'relu1', reason: 'scale is 0' }]);
    const r2 = buildQdqModel(model.proto, new Map([['relu1', Infinity]]), { placement: 'conv-only', file: 'm' });
    expect(r2.missing).toEqual([{ tensor: 'x', reason: 'not in the cache' }, { tensor: 'relu1', reason: 'scale is infinite' }]);
  });

  it('refuses a cache that names none of the model tensors, and reports unknown names', () => {
    expect(() => checkCacheMatchesModel(['/model.0/conv/Conv_output_0', 'images'], model.proto.graph!, 'yolo.cache'))
      .toThrow(/^yolo\.cache: none of the cache's 2 tensor names occur in the model/);
    expect(() => checkCacheMatchesModel(['a'], model.proto.graph!, 'c')).toThrow(UserError);
    expect(checkCacheMatchesModel(['x', 'relu1', '(Unnamed Layer* 3) [Scale]_output'], model.proto.graph!, 'c'))
      .toEqual({ matched: 2, unknown: ['(Unnamed Layer* 3) [Scale]_output'] });
  });
});

describe('opset 11 → 13', () => {
  it('converts Split/ReduceSum/Squeeze/Unsqueeze/Softmax and keeps the outputs identical', async () => {
    const m11 = loadModel(path.join(GOLDENS, 'opset11_ops.onnx'));
    const up = upgradeToOpset13(m11.proto, m11.path);
    expect(defaultOpset(up.proto)).toBe(13);
    expect(up.proto.irVersion).toBe(7n);
    expect(up.converted.map((c) => c.op)).toEqual(['Split', 'ReduceSum', 'Squeeze', 'Softmax', 'Unsqueeze']);
    const x = readNpy(path.join(GOLDENS, 'inputs/x_2.npy'), 'x');
    const feeds = { x: { ...x, shape: [1, 3, 8, 8], data: (x.data as Float32Array).slice(0, 192) } };
    const a = (await runAll(m11, feeds)).get('y')!;
    const b = (await runAll({ path: 'up.onnx', proto: up.proto }, feeds)).get('y')!;
    expect(Array.from(b)).toEqual(Array.from(a));
    // and the Q/DQ model built on top runs
    const q = buildQdqModel(m11.proto, new Map([['s0', 0.03]]), { placement: 'trt', file: m11.path });
    expect(q.quantized.map((t) => t.tensor)).toEqual(['s0']);
    expect((await runAll({ path: 'q.onnx', proto: q.proto }, feeds)).get('y')!.length).toBe(64);
  });

  it('keeps Softmax as is when its axis is known to be the last', () => {
    const m11 = loadModel(path.join(GOLDENS, 'opset11_ops.onnx'));
    const up = upgradeToOpset13(m11.proto, m11.path, (t) => (t === 'sq' ? 2 : undefined));
    expect(up.converted.map((c) => c.op)).not.toContain('Softmax');
  });
});

describe.skipIf(!hasShared)(`placement on YOLOv8n${hasShared ? '' : ` — skipped: ${sharedReason}`}`, () => {
  let yolo: OnnxModel;
  let g: ReturnType<typeof indexGraph>;
  beforeAll(() => { yolo = loadModel(YOLO.fp32); g = indexGraph(yolo.proto.graph!); });
  const opOf = (k: number) => g.nodes[k]!.opType;
  it("'trt' quantizes conv/pool inputs and in-network Concat/Add, not SiLU, Resize, the head's float ops or output0", () => {
    const q = int8Inputs(g, 'trt');
    const readers = new Set(q.map((x) => opOf(x.node)));
    expect(readers).toEqual(new Set(['Conv', 'MaxPool', 'Concat', 'Add']));
    const concatOuts = new Set(q.filter((x) => opOf(x.node) === 'Concat').map((x) => g.nodes[x.node]!.output[0]));
    expect(concatOuts.has('/model.2/Concat_output_0')).toBe(true);
    expect(concatOuts.has('/model.9/Concat_output_0')).toBe(true);
    expect(concatOuts.has('output0')).toBe(false);
    expect(concatOuts.has('/model.22/Concat_1_output_0')).toBe(false); // feeds Sigmoid
    expect(q.some((x) => x.tensor === '/model.22/Sigmoid_output_0')).toBe(false);
    const conv = int8Inputs(g, 'conv-only');
    expect(new Set(conv.map((x) => opOf(x.node)))).toEqual(new Set(['Conv']));
    expect(conv.length).toBeLessThan(q.length);
  });

  it('converts the 8 Split nodes when moving YOLOv8n to opset 13', () => {
    const up = upgradeToOpset13(yolo.proto, yolo.path, () => 4);
    expect(up.from).toBe(11);
    expect(up.converted.filter((c) => c.op === 'Split')).toHaveLength(8);
    expect(up.converted.filter((c) => c.op !== 'Split')).toEqual([]);
  });
});
