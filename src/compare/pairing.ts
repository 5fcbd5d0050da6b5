import type { OnnxModel } from '../graph/onnx-model.js';
import { indexGraph, nodeLabel, type GraphIndex } from '../graph/graph-index.js';
import { logicalTensors, type LogicalTensor } from '../graph/qdq.js';

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
}

export interface Pairing {
  pairs: TensorPair[];
  /** FP32 tensors with no INT8 counterpart, and INT8 tensors that stand for no FP32 tensor. */
  unmatchedRef: string[];
  unmatchedTest: string[];
  refGraph: GraphIndex;
  testGraph: GraphIndex;
}

/**
 * Pair tensors of the reference (FP32) and test (INT8) models by name, seeing through Q/DQ
 * (see graph/qdq.ts). Rows follow the FP32 graph's topological order.
 */
export function pairModels(ref: OnnxModel, test: OnnxModel): Pairing {
  const refGraph = indexGraph(ref.proto.graph!);
  const testGraph = indexGraph(test.proto.graph!);
  const refLogical = logicalTensors(ref.proto.graph!, refGraph, new Set());
  const testLogical = logicalTensors(test.proto.graph!, testGraph, new Set(refLogical.keys()));

  const pairs: TensorPair[] = [];
  const unmatchedRef: string[] = [];
  for (const [name, r] of refLogical) {
    const t = testLogical.get(name);
    if (!t) { unmatchedRef.push(name); continue; }
    const node = r.node;
    pairs.push({
      name, ref: r, test: t,
      order: refGraph.order.get(r.actual) ?? Number.MAX_SAFE_INTEGER,
      opType: node?.opType ?? 'Input',
      node: node ? nodeLabel(node) : name,
      inputs: [],
    });
  }
  const paired = new Set(pairs.map((p) => p.name));
  const logicalOfActual = new Map([...refLogical].map(([k, v]) => [v.actual, k]));
  for (const p of pairs) {
    p.inputs = (p.ref.node?.input ?? []).map((i) => (refLogical.has(i) ? i : logicalOfActual.get(i))).filter((i): i is string => !!i && paired.has(i) && i !== p.name);
  }
  pairs.sort((a, b) => a.order - b.order);
  const unmatchedTest = [...testLogical.keys()].filter((k) => !refLogical.has(k));
  return { pairs, unmatchedRef, unmatchedTest, refGraph, testGraph };
}

