import type { GraphProto, NodeProto } from 'onnx-buf';
import { indexGraph, nodeLabel, type GraphIndex } from '../graph/graph-index.js';
import { isParameterPath } from '../graph/qdq.js';
import { isQLinearOp } from '../graph/qoperator.js';
import { UserError, mustGet, at } from '../errors.js';

/**
 * The quantization structure of a Q/DQ graph, in the units that float fallback and sensitivity
 * act on: activation Q→DQ pairs (with every edge from a DequantizeLinear to a consumer) and the
 * compute ops they surround.
 *
 * Everything is addressed by the node's position in `graph.node` (file order), so that rewrites
 * of a shallow copy of the graph (same positions) can use the same indices.
 */
export interface ActivationPair {
  /** The float tensor that is quantized (the QuantizeLinear input). */
  source: string;
  /** graph.node index of the QuantizeLinear. */
  q: number;
  /** graph.node indices of the DequantizeLinear nodes reading the Q output. */
  dqs: number[];
  /** graph.node index of the compute node producing `source`; undefined for graph inputs. */
  producer?: number;
  /** Every read of a dequantized value: consumer node index (undefined: a graph output) and DQ. */
  edges: { dq: number; consumer: number | undefined }[];
}

export interface QuantOp {
  /** graph.node index. */
  index: number;
  /** ONNX node name (what --nodes_to_exclude / --layerPrecisions refer to). */
  name: string;
  opType: string;
  /** Pairs whose dequantized value this op reads. */
  inputPairs: ActivationPair[];
  /** Pairs that quantize this op's outputs. */
  outputPairs: ActivationPair[];
  /** Input positions fed by dequantized parameters (weights, biases, quantized constants). */
  weightInputs: number[];
}

export interface QdqStructure {
  pairs: ActivationPair[];
  /** Compute nodes touched by at least one pair or dequantized parameter, in topological order. */
  ops: QuantOp[];
  /** graph.node index → op. */
  opAt: Map<number, QuantOp>;
  /** tensor name → graph.node index of its producer. */
  producerIndex: Map<string, number>;
  index: GraphIndex;
}

const QDQ = new Set(['QuantizeLinear', 'DequantizeLinear']);

function isComputeNode(n: NodeProto): boolean {
  return !QDQ.has(n.opType) && n.opType !== 'Constant';
}

/** @internal */
export function qdqStructure(graph: GraphProto): QdqStructure {
  const g = indexGraph(graph);
  const position = new Map(graph.node.map((n, i) => [n, i]));
  const producerIdx = new Map<string, number>();
  const consumersIdx = new Map<string, number[]>();
  graph.node.forEach((n, i) => {
    for (const o of n.output) if (o) producerIdx.set(o, i);
    for (const x of n.input) {
      if (!x) continue;
      const l = consumersIdx.get(x);
      if (l) { if (l[l.length - 1] !== i) l.push(i); } else consumersIdx.set(x, [i]);
    }
  });
  const outputs = new Set(graph.output.map((o) => o.name));

  const pairs: ActivationPair[] = [];
  const pairsOfDqOutput = new Map<string, ActivationPair>();
  for (const node of g.nodes) {
    if (node.opType !== 'QuantizeLinear') continue;
    const source = node.input[0];
    if (!source || isParameterPath(g, source)) continue;
    const q = mustGet(position, node);
    const dqs = (consumersIdx.get(node.output[0] ?? '') ?? []).filter((i) => at(graph.node, i).opType === 'DequantizeLinear');
    if (dqs.length === 0) continue;
    const p = producerIdx.get(source);
    const pair: ActivationPair = {
      source, q, dqs,
      producer: p !== undefined && isComputeNode(at(graph.node, p)) ? p : undefined,
      edges: [],
    };
    for (const dq of dqs) {
      const y = at(at(graph.node, dq).output, 0);
      pairsOfDqOutput.set(y, pair);
      for (const c of consumersIdx.get(y) ?? []) pair.edges.push({ dq, consumer: c });
      if (outputs.has(y)) pair.edges.push({ dq, consumer: undefined });
    }
    pairs.push(pair);
  }

  const ops: QuantOp[] = [];
  const opAt = new Map<number, QuantOp>();
  const opOf = (i: number): QuantOp => {
    let op = opAt.get(i);
    if (!op) {
      const n = at(graph.node, i);
      op = { index: i, name: nodeLabel(n), opType: n.opType, inputPairs: [], outputPairs: [], weightInputs: [] };
      opAt.set(i, op);
    }
    return op;
  };
  for (const pair of pairs) {
    if (pair.producer !== undefined) opOf(pair.producer).outputPairs.push(pair);
    for (const e of pair.edges) {
      if (e.consumer === undefined || !isComputeNode(at(graph.node, e.consumer))) continue;
      const op = opOf(e.consumer);
      if (!op.inputPairs.includes(pair)) op.inputPairs.push(pair);
    }
  }
  graph.node.forEach((n, i) => {
    if (!isComputeNode(n)) return;
    n.input.forEach((x, j) => {
      if (!x || pairsOfDqOutput.has(x)) return;
      const p = producerIdx.get(x);
      if (p !== undefined && at(graph.node, p).opType === 'DequantizeLinear' && isParameterPath(g, x)) opOf(i).weightInputs.push(j);
    });
  });
  for (const n of g.nodes) {
    const op = opAt.get(mustGet(position, n));
    if (op) ops.push(op);
  }
  return { pairs, ops, opAt, producerIndex: producerIdx, index: g };
}

/**
 * The Q/DQ structure of a model that float fallback can rewrite. A QOperator model (QLinearConv,
 * QGemm, ...) has no Q/DQ pairs to remove: refused with a clear message instead of "0 quantized ops".
 */
export function rewritableQdqStructure(graph: GraphProto, file: string, command: string): QdqStructure {
  const s = qdqStructure(graph);
  if (s.pairs.length === 0) {
    const qlinear = [...new Set(graph.node.filter((n) => isQLinearOp(n.opType)).map((n) => n.opType))];
    if (qlinear.length > 0) {
      throw new UserError(`QOperator model (${qlinear.slice(0, 4).join(', ')}${qlinear.length > 4 ? ', …' : ''}): ${command} keeps ops in float by removing Q/DQ pairs, and this model has none; quantize it in QDQ format (onnxruntime quantize_static(quant_format=QuantFormat.QDQ)) for ${command}, while \`run\` compares it as it is`, file);
    }
  }
  return s;
}
