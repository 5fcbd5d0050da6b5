import type { GraphProto, NodeProto } from 'onnx-buf';
import type { GraphIndex } from './graph-index.js';
import { producerOf } from './graph-index.js';
import { initializerValues } from './initializers.js';
import { isQuantizedPassthrough, outputQParams } from './qoperator.js';
import { at } from '../errors.js';

/**
 * Which float tensor each tensor of a (possibly Q/DQ) graph "stands for".
 *
 * In a Q/DQ model the FP32 tensor X appears as X → QuantizeLinear → DequantizeLinear → X', and
 * consumers read X'. X' (the dequantized value, what the next INT8 layer really sees) is the value
 * to compare with FP32 X, so it claims the logical name X; the float X itself is kept as
 * `preQuant`. Quantizers rename tensors in different ways (ORT: `X_DequantizeLinear_Output`, and
 * `X_QuantizeLinear_Input` when X was a graph output), so candidates are tried against the names
 * of the reference graph.
 */
export interface LogicalTensor {
  /** The name of the float tensor this stands for (the FP32 model's name where one matches). */
  logical: string;
  /** The tensor to fetch from this graph. */
  actual: string;
  /**
   * 'dequantized': a DequantizeLinear output; 'quantized': an integer output of a QOperator op
   * (QLinearConv, QGemm, ...; graph/qoperator.ts), compared after (q − zeroPoint) · scale.
   */
  kind: 'float' | 'dequantized' | 'quantized';
  /** For dequantized tensors: the float tensor that was quantized (fetchable), and its quantizer. */
  preQuant?: string;
  /**
   * For a dequantized tensor of a Q/DQ pair: the integer tensor between Q and DQ. It carries the same
   * value in a quarter of the bytes, and fetching it instead lets ONNX Runtime skip the float copy.
   */
  quantized?: string;
  scale?: number[];
  zeroPoint?: number[];
  /** Node that produces the logical value (for op type and node name in reports). */
  node?: NodeProto;
}

/** The two ops of explicit quantization. */
export const QDQ_OPS: ReadonlySet<string> = new Set(['QuantizeLinear', 'DequantizeLinear']);

/** Ops whose outputs are integer tensors with no scale of their own (accumulators, dynamic quantization). */
const INTEGER_PRODUCERS = new Set(['QuantizeLinear', 'DynamicQuantizeLinear', 'ConvInteger', 'MatMulInteger']);

const SUFFIXES = [
  '_DequantizeLinear_Output', '_QuantizeLinear_Input', '_QuantizeLinear_Output', '_DequantizeLinear',
  '_dequantized', '_quantized', '_dq', '_q',
];

/** @internal */
export function stripQdqSuffix(name: string): string {
  for (const s of SUFFIXES) if (name.endsWith(s)) return name.slice(0, -s.length);
  return name;
}

const parameterMemo = new WeakMap<GraphIndex, Map<string, boolean>>();

/**
 * Tensors that carry no activation worth comparing: constants, quantized ints, dequantized weights,
 * and anything computed from those alone (a bias Reshape, a scale product).
 */
export function isParameterPath(g: GraphIndex, name: string): boolean {
  // Stryker disable all: the memo saves time on deep graphs and stops cycles, which a valid (sorted) graph never has (equivalent)
  let memo = parameterMemo.get(g);
  if (!memo) parameterMemo.set(g, (memo = new Map()));
  const hit = memo.get(name);
  if (hit !== undefined) return hit;
  memo.set(name, false); // cycles (none in a valid graph) end as "not a parameter"
  // Stryker restore all
  const v = parameterUncached(g, name);
  memo.set(name, v);
  return v;
}

function parameterUncached(g: GraphIndex, name: string): boolean {
  if (g.initializers.has(name)) return true;
  const p = producerOf(g, name);
  if (!p) return false;
  if (p.opType === 'Constant') return true;
  const inputs = p.input.filter((i) => i);
  return inputs.length > 0 && inputs.every((i) => isParameterPath(g, i));
}

/**
 * Arithmetic of dynamic quantization (ConvInteger/MatMulInteger with DynamicQuantizeLinear): the
 * int32 accumulator cast to float and multiplied by the scales is a partial value of the op, before
 * its bias; the op's output (paired with FP32) is what follows. Not an activation of its own.
 */
function isDequantArithmetic(g: GraphIndex, node: NodeProto): boolean {
  if (node.opType !== 'Cast' && node.opType !== 'Mul') return false;
  return node.input.filter((i) => i).every((i) => {
    if (isParameterPath(g, i)) return true;
    const p = producerOf(g, i);
    return !!p && (INTEGER_PRODUCERS.has(p.opType) || isDequantArithmetic(g, p));
  });
}

/**
 * Map every activation of `graph` to the logical tensor it stands for.
 * `referenceNames`: tensor names of the model to pair with (usually the FP32 model's), used to
 * pick among renaming candidates; pass an empty set to map a graph on its own.
 */
export function logicalTensors(graph: GraphProto, g: GraphIndex, referenceNames: ReadonlySet<string>): Map<string, LogicalTensor> {
  const init = new Map(graph.initializer.map((t) => [t.name, t]));
  const scalarOf = (name: string | undefined): number[] | undefined => {
    const t = name ? init.get(name) : undefined;
    return t ? Array.from(initializerValues(t)) : undefined;
  };
  const pick = (cands: string[]): string => cands.find((c) => referenceNames.has(c)) ?? at(cands, cands.length - 1);

  const out = new Map<string, LogicalTensor>();
  // Graph inputs stand for themselves.
  for (const name of g.inputs) out.set(name, { logical: name, actual: name, kind: 'float' });
  // Integer tensors of QOperator models → their scale and zero point (passed through MaxPool, Reshape, ...).
  const qparams = new Map<string, { scale: number[]; zeroPoint?: number[]; node: NodeProto }>();

  for (const node of g.nodes) {
    const y = node.output[0];
    if (!y || isParameterPath(g, y)) continue;
    const qp = outputQParams(node);
    const carried = isQuantizedPassthrough(node) ? qparams.get(node.input[0] ?? '') : undefined;
    if (qp || carried) {
      const scale = qp ? scalarOf(qp.scale) : carried!.scale;
      if (!scale) continue; // a scale computed at run time: not dequantizable from the graph
      const q = { scale, zeroPoint: qp ? scalarOf(qp.zeroPoint) : carried!.zeroPoint, node: qp ? node : carried!.node };
      qparams.set(y, q);
      if (node.opType === 'QuantizeLinear') continue; // stands for its float input, which is compared as such
      const logical = pick([y, stripQdqSuffix(y)]);
      if (!out.has(logical)) out.set(logical, { logical, actual: y, kind: 'quantized', scale: q.scale, ...(q.zeroPoint ? { zeroPoint: q.zeroPoint } : {}), node });
      continue;
    }
    if (INTEGER_PRODUCERS.has(node.opType)) continue; // integer tensors; a DequantizeLinear carries the value
    // Dynamic quantization's partial values, unless the op's output itself (no bias: the scaled accumulator is the output).
    if (!referenceNames.has(y) && isDequantArithmetic(g, node)) continue;
    if (node.opType === 'DequantizeLinear') {
      const q = producerOf(g, node.input[0] ?? '');
      const pre = q?.opType === 'QuantizeLinear' ? q.input[0] : undefined;
      const logical = pre
        ? pick([y, pre, stripQdqSuffix(y), stripQdqSuffix(pre)])
        : pick([stripQdqSuffix(y), y]);
      const existing = out.get(logical);
      if (existing?.kind === 'dequantized') continue; // duplicated DQ of one Q: identical values
      out.set(logical, {
        logical, actual: y, kind: 'dequantized', preQuant: pre, ...(pre ? { quantized: node.input[0] } : {}),
        scale: scalarOf(node.input[1]), zeroPoint: scalarOf(node.input[2]),
        node: (pre ? producerOf(g, pre) : qparams.get(node.input[0] ?? '')?.node) ?? node,
      });
      continue;
    }
    for (const o of node.output) {
      if (!o) continue;
      const logical = referenceNames.has(o) ? o : pick([o, stripQdqSuffix(o)]);
      const existing = out.get(logical);
      // A dequantized value wins over the float it came from; an exact name wins over a renamed one.
      if (existing?.kind === 'dequantized' || (existing && existing.actual === logical)) continue;
      out.set(logical, { logical, actual: o, kind: 'float', node });
    }
  }
  return out;
}

/** Count of QuantizeLinear nodes acting on activations (not weights). */
export function countActivationQuantizers(g: GraphIndex): number {
  return g.nodes.filter((n) => n.opType === 'QuantizeLinear' && !isParameterPath(g, n.input[0] ?? '')).length;
}
