import type { NodeProto } from 'onnx-buf';
import type { OnnxModel } from '../../graph/onnx-model.js';
import { indexGraph, producerOf, type GraphIndex } from '../../graph/graph-index.js';
import { countActivationQuantizers, isParameterPath } from '../../graph/qdq.js';
import { shapeString } from '../../tensor/tensor.js';
import { buildLogicalGraph } from '../../detect/logical-graph.js';
import { discoverHead } from '../../detect/head-discovery.js';
import { formatLayout } from '../../detect/head-spec.js';
import { termLines } from '../terminal-text.js';
import { graphOf } from '../../graph/onnx-model.js';

/** Ops whose arithmetic INT8 changes (what a quantizer is meant to cover). */
const COMPUTE_OPS = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);
/** Integer-arithmetic ops of ONNX's other quantization styles (operator-oriented, dynamic). */
const INTEGER_OPS = new Set(['QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger', 'QGemm', 'QLinearAdd', 'QLinearMul', 'DynamicQuantizeLinear']);

export interface ModelSummary {
  opCounts: [string, number][];
  quantizeLinear: number;
  dequantizeLinear: number;
  activationQuantizers: number;
  /** Conv/MatMul/Gemm reading a dequantized activation (runs in INT8 under TensorRT), and those reading float. */
  quantizedCompute: string[];
  floatCompute: string[];
  integerOps: number;
  depthwiseConvs: string[];
  head: string | null;
}

function attrInt(n: NodeProto, name: string, dflt: number): number {
  const a = n.attribute.find((x) => x.name === name);
  return a ? Number(a.i) : dflt;
}

/** The weight initializer behind a node input, looking through DequantizeLinear/Identity/Cast. */
function weightDims(m: OnnxModel, g: GraphIndex, name: string): number[] | undefined {
  for (let depth = 0; depth < 4 && name; depth++) {
    const init = graphOf(m.proto).initializer.find((t) => t.name === name);
    if (init) return init.dims.map(Number);
    const p = producerOf(g, name);
    if (!p || !['DequantizeLinear', 'Identity', 'Cast'].includes(p.opType)) return undefined;
    name = p.input[0] ?? '';
  }
  return undefined;
}

function isDequantized(g: GraphIndex, name: string): boolean {
  return producerOf(g, name)?.opType === 'DequantizeLinear' && !isParameterPath(g, name);
}

/** @internal */
export function summarizeModel(m: OnnxModel): ModelSummary {
  const g = indexGraph(graphOf(m.proto));
  const ops = new Map<string, number>();
  for (const n of g.nodes) ops.set(n.opType, (ops.get(n.opType) ?? 0) + 1);
  const label = (n: NodeProto) => n.name || `${n.opType}(${n.output[0]})`;
  const quantizedCompute: string[] = [];
  const floatCompute: string[] = [];
  const depthwiseConvs: string[] = [];
  for (const n of g.nodes) {
    if (COMPUTE_OPS.has(n.opType)) (isDequantized(g, n.input[0] ?? '') ? quantizedCompute : floatCompute).push(label(n));
    if (n.opType === 'Conv') {
      // Depthwise: one input channel per group and more than one group (weight [C_out, 1, kh, kw]).
      const w = weightDims(m, g, n.input[1] ?? '');
      const group = attrInt(n, 'group', 1);
      if (group > 1 && w && w[1] === 1 && w[0] === group) depthwiseConvs.push(label(n));
    }
  }
  let head: string | null = null;
  try {
    const h = discoverHead(buildLogicalGraph(graphOf(m.proto)));
    if (h) head = `${h.layout ? formatLayout(h.layout) : 'layout unknown'}; box branch ends at ${h.boxRoot ?? '?'}, class branch at ${h.classRoot ?? '?'}, merged at ${h.merge ?? '?'}`;
  } catch {
    head = null; // not a detector, or a graph discovery cannot read: nothing to report
  }
  return {
    opCounts: [...ops].sort((a, b) => b[1] - a[1]),
    quantizeLinear: ops.get('QuantizeLinear') ?? 0,
    dequantizeLinear: ops.get('DequantizeLinear') ?? 0,
    activationQuantizers: countActivationQuantizers(g),
    quantizedCompute, floatCompute,
    integerOps: [...ops].filter(([k]) => INTEGER_OPS.has(k)).reduce((s, [, v]) => s + v, 0),
    depthwiseConvs, head,
  };
}

export function renderModelSummary(file: string, m: OnnxModel): string {
  const g = indexGraph(graphOf(m.proto));
  const io = (names: string[]) => names.map((n) => {
    const v = [...graphOf(m.proto).input, ...graphOf(m.proto).output].find((x) => x.name === n);
    const tt = v?.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
    const dims = tt?.shape?.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : '?')) ?? [];
    return `${n} ${g.declaredType.get(n) ?? '?'}${shapeString(dims)}`;
  });
  const s = summarizeModel(m);
  const opset = m.proto.opsetImport.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`).join(', ');
  const compute = s.quantizedCompute.length + s.floatCompute.length;
  const lines = [
    file,
    `  IR ${m.proto.irVersion}, opset ${opset}, producer ${m.proto.producerName} ${m.proto.producerVersion}`,
    `  inputs:  ${io(g.inputs).join('; ')}`,
    `  outputs: ${io(g.outputs).join('; ')}`,
    `  ${g.nodes.length} nodes, ${g.initializers.size} initializers`,
    `  ops: ${s.opCounts.map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  Q/DQ: ${s.quantizeLinear} QuantizeLinear, ${s.dequantizeLinear} DequantizeLinear, ${s.activationQuantizers} on activations${s.integerOps ? `; ${s.integerOps} integer ops (QLinear*/Integer)` : ''}`,
    `  Conv/MatMul/Gemm: ${s.quantizedCompute.length} of ${compute} read a dequantized (INT8) activation, ${s.floatCompute.length} read float`,
  ];
  if (s.quantizedCompute.length && s.floatCompute.length) lines.push(`    float: ${s.floatCompute.slice(0, 8).join(', ')}${s.floatCompute.length > 8 ? `, … (${s.floatCompute.length})` : ''}`);
  lines.push(`  depthwise convs: ${s.depthwiseConvs.length}${s.depthwiseConvs.length ? ` (${s.depthwiseConvs.slice(0, 5).join(', ')}${s.depthwiseConvs.length > 5 ? ', …' : ''}); per-tensor INT8 weights hurt these most` : ''}`);
  lines.push(`  detector head: ${s.head ?? 'none found'}`);
  return termLines(lines);
}
