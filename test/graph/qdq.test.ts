import { describe, expect, it } from 'vitest';
import type { NodeProto, TensorProto } from 'onnx-buf';
import { indexGraph } from '../../src/graph/graph-index.js';
import { QDQ_OPS, countActivationQuantizers, isParameterPath, logicalTensors, stripQdqSuffix, type LogicalTensor } from '../../src/graph/qdq.js';
import { floatTensor, int8Tensor, model, node, valueInfo } from '../helpers/onnx-builder.js';

/**
 * Q/DQ handling (graph/qdq.ts, docs/quantizers.md) on hand-built graphs: which tensor of an INT8
 * graph stands for which FP32 tensor, with what scale, and what is a parameter rather than an
 * activation. Every expectation follows from the graph drawn in the test's comment.
 */
function graphOf(nodes: NodeProto[], initializers: TensorProto[] = [], inputs = ['x']) {
  const m = model({ nodes, inputs: inputs.map((n) => valueInfo(n, [1, 4])), outputs: [valueInfo('y', [1, 4])], initializers });
  const graph = m.graph!;
  return { graph, g: indexGraph(graph) };
}
const summary = (m: Map<string, LogicalTensor>) =>
  Object.fromEntries([...m].map(([k, v]) => [k, [v.actual, v.kind, v.preQuant ?? null, v.scale ?? null, v.zeroPoint ?? null, v.node?.name ?? null]]));
const qparams = [floatTensor('s', [], [0.5]), int8Tensor('z', [], [3])];

describe('Q/DQ logical tensors', () => {
  it('QDQ_OPS: the two ops of explicit quantization', () => {
    expect([...QDQ_OPS].sort()).toEqual(['DequantizeLinear', 'QuantizeLinear']);
  });

  it('stripQdqSuffix: the quantizers\' renamings, longest first; other names untouched', () => {
    expect(['a_DequantizeLinear_Output', 'a_QuantizeLinear_Input', 'a_QuantizeLinear_Output', 'a_DequantizeLinear', 'a_dequantized', 'a_quantized', 'a_dq', 'a_q'].map(stripQdqSuffix))
      .toEqual(['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a']);
    expect(stripQdqSuffix('conv_out')).toBe('conv_out');
    expect(stripQdqSuffix('_q')).toBe('');
    // Only one suffix comes off.
    expect(stripQdqSuffix('a_q_dq')).toBe('a_q');
  });

  it('x → Q → DQ → Relu: the DQ output stands for x (dequantized, with its quantizer); Relu stands for itself', () => {
    // x → QuantizeLinear(s, z) → xq → DequantizeLinear(s, z) → x_dq → Relu → y
    const { graph, g } = graphOf([
      node('QuantizeLinear', ['x', 's', 'z'], ['xq'], {}, 'q'),
      node('DequantizeLinear', ['xq', 's', 'z'], ['x_dq'], {}, 'dq'),
      node('Relu', ['x_dq'], ['y'], {}, 'relu'),
    ], qparams);
    expect(summary(logicalTensors(graph, g, new Set(['x', 'y'])))).toEqual({
      x: ['x_dq', 'dequantized', 'x', [0.5], [3], 'dq'],
      y: ['y', 'float', null, null, null, 'relu'],
    });
  });

  it('a graph input keeps its own entry until a DQ claims its name', () => {
    const { graph, g } = graphOf([node('Relu', ['x'], ['y'], {}, 'relu')]);
    expect(summary(logicalTensors(graph, g, new Set()))).toEqual({
      x: ['x', 'float', null, null, null, null],
      y: ['y', 'float', null, null, null, 'relu'],
    });
  });

  it('the producer of the quantized float names the dequantized tensor (op type and node in reports)', () => {
    // x → Conv-like Mul(x, w) → h → Q → DQ → h_DequantizeLinear_Output → Relu → y
    const { graph, g } = graphOf([
      node('Mul', ['x', 'w'], ['h'], {}, 'mul'),
      node('QuantizeLinear', ['h', 's', 'z'], ['h_QuantizeLinear_Output'], {}, 'q'),
      node('DequantizeLinear', ['h_QuantizeLinear_Output', 's', 'z'], ['h_DequantizeLinear_Output'], {}, 'dq'),
      node('Relu', ['h_DequantizeLinear_Output'], ['y'], {}, 'relu'),
    ], [...qparams, floatTensor('w', [4], [1, 2, 3, 4])]);
    const l = logicalTensors(graph, g, new Set(['x', 'h', 'y']));
    expect(summary(l).h).toEqual(['h_DequantizeLinear_Output', 'dequantized', 'h', [0.5], [3], 'mul']);
    // Without reference names the suffix is stripped the same way; the float h stays behind the DQ value.
    expect(logicalTensors(graph, g, new Set()).get('h')!.actual).toBe('h_DequantizeLinear_Output');
    // Quantized ints are not activations; the Q output has no entry.
    expect([...l.keys()].sort()).toEqual(['h', 'x', 'y']);
  });

  it('renaming candidates: the reference graph\'s name wins; else the DQ output itself', () => {
    // x → Q → xq → DQ → "x_DequantizeLinear" (ORT-style)
    const nodes = [node('QuantizeLinear', ['x', 's', 'z'], ['xq'], {}, 'q'), node('DequantizeLinear', ['xq', 's', 'z'], ['x_DequantizeLinear'], {}, 'dq'), node('Relu', ['x_DequantizeLinear'], ['y'], {}, 'relu')];
    const { graph, g } = graphOf(nodes, qparams);
    expect(logicalTensors(graph, g, new Set(['x_DequantizeLinear'])).get('x_DequantizeLinear')!.kind).toBe('dequantized');
    expect(logicalTensors(graph, g, new Set(['x'])).get('x')!.actual).toBe('x_DequantizeLinear');
    // No reference names: the last candidate (the stripped pre-quant name).
    expect(logicalTensors(graph, g, new Set()).get('x')!.actual).toBe('x_DequantizeLinear');
  });

  it('a DQ of a weight is a parameter: no entry; a DQ with no Q before it strips its suffix', () => {
    // w (int8 initializer) → DQ → w_dq (a parameter); a → DQ → a_dequantized (an integer graph input)
    const { graph, g } = graphOf([
      node('DequantizeLinear', ['wq', 's', 'z'], ['w_dq'], {}, 'dqw'),
      node('DequantizeLinear', ['a', 's', 'z'], ['a_dequantized'], {}, 'dqa'),
      node('Mul', ['a_dequantized', 'w_dq'], ['y'], {}, 'mul'),
    ], [...qparams, int8Tensor('wq', [4], [1, 2, 3, 4])], ['a']);
    const l = logicalTensors(graph, g, new Set(['a', 'y']));
    expect(l.has('w_dq')).toBe(false);
    expect(l.has('w')).toBe(false);
    expect(summary(l).a).toEqual(['a_dequantized', 'dequantized', null, [0.5], [3], 'dqa']);
  });

  it('two DQs of one Q: the first keeps the name (same values)', () => {
    const { graph, g } = graphOf([
      node('QuantizeLinear', ['x', 's', 'z'], ['xq'], {}, 'q'),
      node('DequantizeLinear', ['xq', 's', 'z'], ['d1'], {}, 'dq1'),
      node('DequantizeLinear', ['xq', 's', 'z'], ['d2'], {}, 'dq2'),
      node('Add', ['d1', 'd2'], ['y'], {}, 'add'),
    ], qparams);
    expect(logicalTensors(graph, g, new Set(['x', 'y'])).get('x')!.actual).toBe('d1');
  });

  it('a dequantized value wins over the float of the same name; an exact name over a renamed one', () => {
    // h (float, Relu) and h's DQ: the DQ is compared. Then a float output named exactly "k" beats "k_q" renamed to k.
    const { graph, g } = graphOf([
      node('Relu', ['x'], ['h'], {}, 'relu'),
      node('QuantizeLinear', ['h', 's', 'z'], ['hq'], {}, 'q'),
      node('DequantizeLinear', ['hq', 's', 'z'], ['h_dq'], {}, 'dq'),
      node('Neg', ['h_dq'], ['k'], {}, 'neg'),
      node('Abs', ['k'], ['k_q'], {}, 'abs'),
      node('Sigmoid', ['h_dq'], ['m_q'], {}, 'sig1'),
      node('Tanh', ['m_q'], ['m'], {}, 'tanh'),
      node('Add', ['k_q', 'm'], ['y'], {}, 'add'),
    ], qparams);
    const l = logicalTensors(graph, g, new Set(['x', 'h', 'y']));
    expect(l.get('h')!.kind).toBe('dequantized');
    expect(l.get('k')!.actual).toBe('k');
    // "m_q" claimed m first; the exact "m" replaces it.
    expect(l.get('m')!.actual).toBe('m');
    // A DQ after a float of the same logical name replaces it.
    const after = graphOf([
      node('Relu', ['x'], ['h'], {}, 'relu'),
      node('Identity', ['h'], ['h_q'], {}, 'id'),
      node('QuantizeLinear', ['h', 's', 'z'], ['hq'], {}, 'q'),
      node('DequantizeLinear', ['hq', 's', 'z'], ['h_dq'], {}, 'dq'),
      node('Add', ['h_dq', 'h_q'], ['y'], {}, 'add'),
    ], qparams);
    expect(logicalTensors(after.graph, after.g, new Set()).get('h')!.kind).toBe('dequantized');
  });

  it('QOperator ops: the integer output stands for the float tensor, with its output scale; passthrough ops carry the scale on', () => {
    // x → QuantizeLinear → xq → QLinearConv(..., ys, yz) → c_quantized → MaxPool → p (ints, same scale) → DQ → y
    const { graph, g } = graphOf([
      node('QuantizeLinear', ['x', 's', 'z'], ['xq'], {}, 'q'),
      node('QLinearConv', ['xq', 's', 'z', 'wq', 's', 'z', 'ys', 'yz'], ['c_quantized'], {}, 'qconv'),
      node('MaxPool', ['c_quantized'], ['p'], {}, 'pool'),
      node('Reshape', ['p', 'shape'], ['r'], {}, 'reshape'),
      node('DequantizeLinear', ['r', 'ys', 'yz'], ['y'], {}, 'dq'),
    ], [...qparams, int8Tensor('wq', [4], [1, 1, 1, 1]), floatTensor('ys', [], [0.25]), int8Tensor('yz', [], [-1]), int8Tensor('shape', [2], [1, 4])]);
    const s = summary(logicalTensors(graph, g, new Set(['x', 'c', 'p', 'y'])));
    expect(s.c).toEqual(['c_quantized', 'quantized', null, [0.25], [-1], 'qconv']);
    // MaxPool's int output: quantized, scale carried from the conv (the row is the pool's own).
    expect(s.p).toEqual(['p', 'quantized', null, [0.25], [-1], 'pool']);
    expect(s.r).toEqual(['r', 'quantized', null, [0.25], [-1], 'reshape']);
    // The DQ of a QOperator int: dequantized, named after the op that made the value.
    expect(s.y).toEqual(['y', 'dequantized', null, [0.25], [-1], 'qconv']);
    // The QuantizeLinear output stands for x, which is compared as itself.
    expect(s.x).toEqual(['x', 'float', null, null, null, null]);
  });

  it('a QOperator scale computed at run time is not dequantizable: no entry; a passthrough of a float is a float', () => {
    const { graph, g } = graphOf([
      node('Mul', ['x', 'x'], ['dyn_scale'], {}, 'mul'),
      node('QuantizeLinear', ['x', 's', 'z'], ['xq'], {}, 'q'),
      node('QLinearSigmoid', ['xq', 's', 'z', 'dyn_scale', 'z'], ['sq'], {}, 'qsig'),
      node('MaxPool', ['x'], ['mp'], {}, 'pool'),
      node('Add', ['mp', 'dyn_scale'], ['y'], {}, 'add'),
    ], qparams);
    const l = logicalTensors(graph, g, new Set());
    expect(l.has('sq')).toBe(false);
    expect(summary(l).mp).toEqual(['mp', 'float', null, null, null, 'pool']);
  });

  it('two QOperator outputs standing for one float tensor: the first keeps it; empty output names get no entry', () => {
    const { graph, g } = graphOf([
      node('QuantizeLinear', ['x', 's', 'z'], ['xq'], {}, 'q'),
      node('QLinearSigmoid', ['xq', 's', 'z', 's', 'z'], ['c_quantized'], {}, 'first'),
      node('QLinearSigmoid', ['c_quantized', 's', 'z', 's', 'z'], ['c_q'], {}, 'second'),
      node('Split', ['x'], ['p', '', 'r'], {}, 'split'),
      node('Add', ['p', 'r'], ['y'], {}, 'add'),
    ], qparams);
    const l = logicalTensors(graph, g, new Set());
    expect(l.get('c')!.actual).toBe('c_quantized');
    expect(l.has('')).toBe(false);
    expect(l.get('r')!.node!.name).toBe('split');
  });

  it('a renamed float copy of a dequantized tensor does not replace it', () => {
    const { graph, g } = graphOf([
      node('Relu', ['x'], ['h'], {}, 'relu'),
      node('QuantizeLinear', ['h', 's', 'z'], ['hq'], {}, 'q'),
      node('DequantizeLinear', ['hq', 's', 'z'], ['h_dq'], {}, 'dq'),
      node('Identity', ['h_dq'], ['h_quantized'], {}, 'copy'),
      node('Relu', ['h_quantized'], ['y'], {}, 'relu2'),
    ], qparams);
    expect(logicalTensors(graph, g, new Set(['h'])).get('h')).toMatchObject({ actual: 'h_dq', kind: 'dequantized' });
  });

  it('QLinear op without a zero point: scale only', () => {
    const { graph, g } = graphOf([
      node('QuantizeLinear', ['x', 's'], ['xq'], {}, 'q'),
      node('QLinearSigmoid', ['xq', 's', '', 's'], ['y'], {}, 'qsig'),
    ], qparams);
    expect(summary(logicalTensors(graph, g, new Set(['y']))).y).toEqual(['y', 'quantized', null, [0.5], null, 'qsig']);
  });

  it('dynamic quantization: the integer accumulator and its scaled partial values are not activations; the op output is', () => {
    // x → DynamicQuantizeLinear → (xq, xs, xz); MatMulInteger(xq, wq) → acc (int32) → Cast → accf → Mul(accf, xs) → part → Mul(part, ws) → y
    const { graph, g } = graphOf([
      node('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz'], {}, 'dql'),
      node('MatMulInteger', ['xq', 'wq'], ['acc'], {}, 'mmi'),
      node('Cast', ['acc'], ['accf'], { to: 1 }, 'cast'),
      node('Mul', ['accf', 'xs'], ['part'], {}, 'mul1'),
      node('Mul', ['part', 'ws'], ['y'], {}, 'mul2'),
    ], [int8Tensor('wq', [4, 4], new Array(16).fill(1)), floatTensor('ws', [], [0.1])]);
    expect([...logicalTensors(graph, g, new Set(['x', 'y'])).keys()].sort()).toEqual(['x', 'y']);
    // Without y in the reference, y is the same dequant arithmetic: left out too.
    expect([...logicalTensors(graph, g, new Set(['x'])).keys()]).toEqual(['x']);
    // A Mul of an activation that is not an integer product is an activation.
    const plain = graphOf([node('Relu', ['x'], ['r'], {}, 'relu'), node('Mul', ['r', 'ws'], ['y'], {}, 'mul')], [floatTensor('ws', [], [2])]);
    expect([...logicalTensors(plain.graph, plain.g, new Set()).keys()].sort()).toEqual(['r', 'x', 'y']);
    // An omitted input of the partial-value Mul changes nothing.
    const gap = graphOf([
      node('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz'], {}, 'dql'),
      node('ConvInteger', ['xq', 'wq'], ['acc'], {}, 'convi'),
      node('Cast', ['acc'], ['accf'], { to: 1 }, 'cast'),
      node('Mul', ['accf', 'xs', ''], ['y'], {}, 'mul'),
    ], [int8Tensor('wq', [4, 4], new Array(16).fill(1))]);
    expect([...logicalTensors(gap.graph, gap.g, new Set(['x'])).keys()]).toEqual(['x']);
    // A hand-written dequantization of a QuantizeLinear output (Cast, then Mul by the scale) is arithmetic too.
    const manual = graphOf([
      node('QuantizeLinear', ['x', 's', 'z'], ['xq'], {}, 'q'),
      node('Cast', ['xq'], ['xf'], { to: 1 }, 'cast'),
      node('Mul', ['xf', 's'], ['y'], {}, 'mul'),
    ], qparams);
    expect([...logicalTensors(manual.graph, manual.g, new Set(['x'])).keys()]).toEqual(['x']);
    // Cast of a graph input (no producer) is an activation.
    const cast = graphOf([node('Cast', ['x'], ['y'], { to: 1 }, 'cast')]);
    expect(logicalTensors(cast.graph, cast.g, new Set()).has('y')).toBe(true);
  });

  it('isParameterPath: initializers, Constants and what is computed from them alone; activations and graph inputs are not', () => {
    const { g } = graphOf([
      node('Constant', [], ['c'], {}, 'const'),
      node('Reshape', ['w', 'c'], ['wr'], {}, 'reshape'),
      node('Mul', ['wr', 'x'], ['h'], {}, 'mul'),
      node('Shape', [], ['noinputs'], {}, 'shape'),
      node('Add', ['h', ''], ['y'], {}, 'add'),
    ], [floatTensor('w', [4], [1, 2, 3, 4])]);
    expect(['w', 'c', 'wr', 'h', 'x', 'y', 'noinputs', 'unknown'].map((n) => isParameterPath(g, n))).toEqual([true, true, true, false, false, false, false, false]);
    // An empty (omitted optional) input does not make a parameter computation an activation.
    const clip = graphOf([node('Clip', ['w', '', 'm'], ['wc'], {}, 'clip'), node('Mul', ['x', 'wc'], ['y'], {}, 'mul')], [floatTensor('w', [4], [1, 2, 3, 4]), floatTensor('m', [], [6])]);
    expect(isParameterPath(clip.g, 'wc')).toBe(true);
    expect(logicalTensors(clip.graph, clip.g, new Set()).has('wc')).toBe(false);
    // Memoised: asking twice gives the same answer.
    expect(isParameterPath(g, 'wr')).toBe(true);
  });

  it('countActivationQuantizers: QuantizeLinear on activations only', () => {
    const { g } = graphOf([
      node('QuantizeLinear', ['x', 's', 'z'], ['xq'], {}, 'q1'),
      node('Relu', ['x'], ['r'], {}, 'relu'),
      node('QuantizeLinear', ['r', 's', 'z'], ['rq'], {}, 'q3'),
      node('QuantizeLinear', ['w', 's', 'z'], ['wq'], {}, 'q2'),
      node('DequantizeLinear', ['xq', 's', 'z'], ['y'], {}, 'dq'),
    ], [...qparams, floatTensor('w', [4], [1, 2, 3, 4])]);
    expect(countActivationQuantizers(g)).toBe(2);
  });
});
