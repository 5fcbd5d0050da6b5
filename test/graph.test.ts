import { describe, expect, it } from 'vitest';
import { indexGraph, topologicalSort } from '../src/graph/graph-index.js';
import { logicalTensors, stripQdqSuffix } from '../src/graph/qdq.js';
import { markAllOutputs, markOutputs } from '../src/graph/mark-outputs.js';
import { loadModel, parseModel, serializeModel } from '../src/graph/onnx-model.js';
import { pairModels } from '../src/compare/pairing.js';
import { UserError } from '../src/errors.js';
import { affineReluModels, node } from './helpers/onnx-builder.js';
import { YOLO, hasShared } from './helpers/paths.js';

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
