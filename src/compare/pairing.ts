import type { OnnxModel } from '../graph/onnx-model.js';
import { indexGraph, nodeLabel, type GraphIndex } from '../graph/graph-index.js';
import { producerOf } from '../graph/graph-index.js';
import { logicalTensors, type LogicalTensor } from '../graph/qdq.js';
import { activationChains, resolveFoldedActivations, type ActivationChain } from '../graph/folded-activations.js';
import { claimByNodeName } from '../graph/renamed-tensors.js';
import { graphOf } from '../graph/onnx-model.js';

/** One FP32 tensor and the INT8 tensor that stands for it. */
export interface TensorPair {
  /** The FP32 tensor name (the row's name in every report). */
  name: string;
  ref: LogicalTensor;
  test: LogicalTensor;
  /** Position in the FP32 graph's topological order. */
  order: number;
  opType: string;
  node: string;
  /** Names (FP32) of the paired activations the producing node reads: the tensor's inputs. */
  inputs: string[];
  /**
   * The INT8 op that produced the compared value when it is not the FP32 op: a QOperator op
   * (QLinearConv, QGemm, ...), or the op a Relu/Clip was folded into ("Conv+Relu").
   */
  int8Op?: string;
}

export interface Pairing {
  pairs: TensorPair[];
  /** FP32 tensors with no INT8 counterpart, and INT8 tensors that stand for no FP32 tensor. */
  unmatchedRef: string[];
  unmatchedTest: string[];
  /**
   * FP32 tensors that have no value of their own in the INT8 model because the activation after
   * them was folded into a QOperator op: raw → the activated tensor that stands for it.
   */
  absorbed: Map<string, string>;
  /** FP32 activated tensor → the FP32 Relu/Clip chain the INT8 model folded into its quantization. */
  folded: Map<string, ActivationChain>;
  refGraph: GraphIndex;
  testGraph: GraphIndex;
}

/**
 * Pair tensors of the reference (FP32) and test (INT8) models by name, seeing through Q/DQ
 * (see graph/qdq.ts). Rows follow the FP32 graph's topological order.
 */
export function pairModels(ref: OnnxModel, test: OnnxModel): Pairing {
  const refGraph = indexGraph(graphOf(ref.proto));
  const testGraph = indexGraph(graphOf(test.proto));
  const refLogical = logicalTensors(graphOf(ref.proto), refGraph, new Set());
  const refNames = new Set(refLogical.keys());
  const testLogical = logicalTensors(graphOf(test.proto), testGraph, refNames);
  claimByNodeName(refGraph, refNames, testLogical, testGraph);
  const { absorbed, folded } = resolveFoldedActivations(activationChains(refGraph), testLogical, testGraph);

  const pairs: TensorPair[] = [];
  const unmatchedRef: string[] = [];
  for (const [name, r] of refLogical) {
    const t = testLogical.get(name);
    if (!t) { if (!absorbed.has(name)) unmatchedRef.push(name); continue; }
    const node = r.node;
    const int8Op = int8OpOf(node?.opType, t, folded.get(name));
    pairs.push({
      name, ref: r, test: t,
      order: refGraph.order.get(r.actual) ?? Number.MAX_SAFE_INTEGER,
      opType: node?.opType ?? 'Input',
      node: node ? nodeLabel(node) : name,
      inputs: [],
      ...(int8Op ? { int8Op } : {}),
    });
  }
  const paired = new Set(pairs.map((p) => p.name));
  const logicalOfActual = new Map([...refLogical].map(([k, v]) => [v.actual, k]));
  // An absorbed tensor's inputs stand in for it: the INT8 op computed the activation from them.
  const inputsOf = (node: { input: string[] } | undefined, self: string, seen = new Set<string>()): string[] => (node?.input ?? []).flatMap((i) => {
    const l = refLogical.has(i) ? i : logicalOfActual.get(i);
    if (!l || l === self) return [];
    if (absorbed.has(l) && !seen.has(l)) { seen.add(l); return inputsOf(producerOf(refGraph, l), self, seen); }
    return paired.has(l) ? [l] : [];
  });
  for (const p of pairs) p.inputs = [...new Set(inputsOf(p.ref.node, p.name))];
  pairs.sort((a, b) => a.order - b.order);
  // The float a Q/DQ reads, and the integer tensor a DequantizeLinear reads, carry the same value as
  // the dequantized output, which carries the pairing: not tensors of their own.
  const carried = new Set([...testLogical.values()].filter((t) => t.kind === 'dequantized')
    .flatMap((t) => [t.preQuant, producerOf(testGraph, t.actual)?.input[0]]).filter((x): x is string => !!x));
  const unmatchedTest = [...testLogical].filter(([k, t]) => !refLogical.has(k) && !carried.has(t.actual)).map(([k]) => k);
  return { pairs, unmatchedRef, unmatchedTest, absorbed, folded, refGraph, testGraph };
}

/** "QLinearConv", "Conv+Relu" (Relu folded into the Conv's output Q/DQ), or undefined when INT8 runs the FP32 op. */
function int8OpOf(refOp: string | undefined, t: LogicalTensor, folded: ActivationChain | undefined): string | undefined {
  const op = t.node?.opType;
  if (!op || op === 'DequantizeLinear') return undefined;
  if (folded) return [op, ...folded.nodes.map((n) => n.opType)].join('+');
  return op !== refOp ? op : undefined;
}

