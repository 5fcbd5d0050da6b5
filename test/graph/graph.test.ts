import { describe, expect, it } from 'vitest';
import { indexGraph, topologicalSort } from '../../src/graph/graph-index.js';
import { logicalTensors, stripQdqSuffix } from '../../src/graph/qdq.js';
import * as path from 'node:path';
import { equals } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { markAllOutputs, markedModelBytes, markOutputs } from '../../src/graph/mark-outputs.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { loadModel, parseModel, serializeModel } from '../../src/graph/onnx-model.js';
import { inlineExternalData } from '../../src/graph/external-data.js';
import { OrtRunner } from '../../src/runners/ort-runner.js';
import { missingExternalDataModel } from '../robustness/fixtures.js';
import { pairModels } from '../../src/compare/pairing.js';
import { UserError } from '../../src/errors.js';
import { affineReluModels, node } from '../helpers/onnx-builder.js';
import { ROOT, YOLO, hasShared } from '../helpers/paths.js';

describe('graph index', () => {
  it('sorts shuffled nodes topologically and keeps file order among ready nodes', () => {
    const nodes = [node('Relu', ['b'], ['c']), node('Neg', ['x'], ['a']), node('Abs', ['a'], ['b']), node('Exp', ['x'], ['e'])];
    const sorted = topologicalSort(nodes, new Set(['x'])).map((n) => n.output[0]);
    expect(sorted).toEqual(['a', 'b', 'c', 'e']);
  });
  it('keeps unreachable nodes (missing inputs) at the end instead of dropping them', () => {
    const sorted = topologicalSort([node('Relu', ['ghost'], ['g']), node('Neg', ['x'], ['a'])], new Set(['x']));
    expect(sorted.map((n) => n.output[0])).toEqual(['a', 'g']);
  });
  it('indexes producers, consumers and order', () => {
    const { fp32 } = affineReluModels();
    const g = indexGraph(fp32.graph!);
    expect(g.inputs).toEqual(['x']);
    expect(g.consumers.get('x')).toEqual([0]);
    expect([...g.order.keys()]).toEqual(['x', 'h', 'a', 'y']);
  });
});

describe('Q/DQ logical mapping and pairing', () => {
  it('strips quantizer suffixes', () => {
    expect(stripQdqSuffix('conv_DequantizeLinear_Output')).toBe('conv');
    expect(stripQdqSuffix('output0_QuantizeLinear_Input')).toBe('output0');
  });
  it('maps each DequantizeLinear output to the float tensor it stands for', () => {
    const { fp32, int8 } = affineReluModels(0.05);
    const gq = indexGraph(int8.graph!);
    const l = logicalTensors(int8.graph!, gq, new Set(['x', 'h', 'a', 'y']));
    expect(l.get('h')).toMatchObject({ actual: 'h_DequantizeLinear_Output', kind: 'dequantized', preQuant: 'h', scale: [Math.fround(0.05)], zeroPoint: [0] });
    expect(l.get('y')).toMatchObject({ actual: 'y', kind: 'float' });
    const p = pairModels({ path: 'a', proto: fp32 }, { path: 'b', proto: int8 });
    expect(p.pairs.map((x) => x.name)).toEqual(['x', 'h', 'a', 'y']);
    expect(p.pairs.find((x) => x.name === 'a')!.inputs).toEqual(['h']);
    expect(p.unmatchedRef).toEqual([]);
  });
  it.skipIf(!hasShared)('pairs every YOLOv8n tensor with the ORT-quantized model, including the renamed output', () => {
    const p = pairModels(loadModel(YOLO.fp32), loadModel(YOLO.collapsed));
    expect(p.pairs.length).toBeGreaterThanOrEqual(240);
    expect(p.unmatchedRef).toEqual([]);
    const out = p.pairs.find((x) => x.name === 'output0')!;
    expect(out.test).toMatchObject({ actual: 'output0', kind: 'dequantized', preQuant: 'output0_QuantizeLinear_Input' });
    expect(out.test.scale![0]).toBeGreaterThan(5);
    expect(out.opType).toBe('Concat');
  });
});

describe('ONNX load and output marking', () => {
  it('round-trips through onnx-buf and marks outputs without touching the original', () => {
    const { fp32 } = affineReluModels();
    const marked = markOutputs(fp32, ['h', 'a', 'y']);
    expect(marked.graph!.output.map((o) => o.name)).toEqual(['y', 'h', 'a']);
    expect(fp32.graph!.output.map((o) => o.name)).toEqual(['y']);
    const back = parseModel(serializeModel(marked));
    expect(back.graph!.output.length).toBe(3);
  });
  it('marks a loaded model by appending outputs to its file bytes, parsing to exactly markOutputs', () => {
    const m = loadModel(path.join(ROOT, 'fixtures/yolov8n_fp32.onnx'));
    expect(m.bytes).toBeDefined();
    const nodes = m.proto.graph!.node;
    // An existing output and a repeated name must not be duplicated.
    const names = [nodes[0]!.output[0]!, nodes[50]!.output[0]!, 'output0', nodes[0]!.output[0]!, nodes[200]!.output[0]!];
    const appended = markedModelBytes(m, names);
    expect(Buffer.from(appended.subarray(0, m.bytes!.byteLength)).equals(Buffer.from(m.bytes!))).toBe(true);
    const parsed = parseModel(appended);
    expect(equals(ModelProtoSchema, parsed, markOutputs(m.proto, names))).toBe(true);
    expect(parsed.graph!.output.map((o) => o.name)).toEqual(['output0', names[0], names[1], names[4]]);
    // Without file bytes (a proto built in memory) the model is serialized; unmarked, the bytes are the file's.
    expect(equals(ModelProtoSchema, parseModel(markedModelBytes({ path: m.path, proto: m.proto }, names)), parsed)).toBe(true);
    expect(markedModelBytes(m, [])).toBe(m.bytes);
  });
  it('a model with external data runs once inlined: the file bytes, which lack the data, are dropped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'extdata-'));
    const { model: file, dataFile, values } = missingExternalDataModel(dir);
    fs.writeFileSync(dataFile, new Uint8Array(new Float32Array(values).buffer));
    const m = loadModel(file);
    inlineExternalData(m);
    expect(m.bytes).toBeUndefined();
    const { fp32 } = affineReluModels(0.05);
    const outputs = async (model: Parameters<typeof OrtRunner.open>[0]) => {
      const r = await OrtRunner.open(model, { mark: ['h'] });
      const x = new Float32Array([0.1, -0.4, 1.3, 0.05]);
      const got: Record<string, number[]> = {};
      for await (const t of r.run({ x: { name: 'x', dtype: 'float32', shape: [1, 4], data: x } })) got[t.name] = [...(t.data as Float32Array)];
      await r.close();
      return got;
    };
    expect(await outputs(m)).toEqual(await outputs({ path: 'inline.onnx', proto: fp32 }));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  it('rejects bytes that are not ONNX with a UserError naming the file', () => {
    expect(() => parseModel(new TextEncoder().encode('hello world, not a model'), 'x.onnx')).toThrow(UserError);
    expect(() => parseModel(new TextEncoder().encode('hello world, not a model'), 'x.onnx')).toThrow(/^x\.onnx: /);
  });
  it.skipIf(!hasShared)('markAllOutputs exposes every activation of YOLOv8n and skips nothing there', () => {
    const m = loadModel(YOLO.fp32);
    const r = markAllOutputs(m.proto, indexGraph(m.proto.graph!));
    // Every output of every node (Split nodes have two), none of them constant, integer or weight.
    const outputs = m.proto.graph!.node.flatMap((n) => n.output).filter((o) => o !== '');
    expect(outputs.length).toBeGreaterThan(m.proto.graph!.node.length);
    expect(r.marked).toEqual(outputs);
  });
  it.skipIf(!hasShared)('markAllOutputs on a Q/DQ model skips integer tensors and weight paths', () => {
    const m = loadModel(YOLO.entropy);
    const r = markAllOutputs(m.proto, indexGraph(m.proto.graph!));
    const reasons = new Set(r.skipped.map((s) => s.reason));
    expect(reasons).toContain('quantized integer tensor');
    expect(reasons).toContain('weight path');
    expect(r.marked.every((n) => !n.endsWith('_QuantizeLinear_Output'))).toBe(true);
  });
});
