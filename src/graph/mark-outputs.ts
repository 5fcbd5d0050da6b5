import { create } from '@bufbuild/protobuf';
import { ValueInfoProtoSchema, type ModelProto } from 'onnx-buf';
import type { GraphIndex } from './graph-index.js';
import { isParameterPath } from './qdq.js';

export interface MarkResult {
  /** A shallow copy of the model whose graph outputs include `marked`; the input model is untouched. */
  proto: ModelProto;
  marked: string[];
  skipped: { name: string; reason: string }[];
}

/**
 * Make the given tensors graph outputs. Only the name is given: ONNX Runtime infers type and shape
 * from the graph. Tensors that are already outputs are not duplicated.
 */
export function markOutputs(proto: ModelProto, names: readonly string[]): ModelProto {
  const graph = proto.graph!;
  const existing = new Set(graph.output.map((o) => o.name));
  const extra = names.filter((n) => !existing.has(n)).map((name) => create(ValueInfoProtoSchema, { name }));
  return { ...proto, graph: { ...graph, output: [...graph.output, ...extra] } };
}

/**
 * Every intermediate activation of the main graph, in topological order, except what carries no
 * activation: constants, integer tensors of Q/DQ pairs, dequantized weights, and tensors whose
 * declared type is not floating point (shape arithmetic). Subgraphs (If/Loop bodies) are not
 * entered: their tensors are not addressable from the outside.
 */
export function markAllOutputs(proto: ModelProto, g: GraphIndex): MarkResult {
  const marked: string[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const node of g.nodes) {
    for (const o of node.output) {
      if (!o) continue;
      if (node.opType === 'Constant') skipped.push({ name: o, reason: 'constant' });
      else if (node.opType === 'QuantizeLinear') skipped.push({ name: o, reason: 'quantized integer tensor' });
      else if (isParameterPath(g, o)) skipped.push({ name: o, reason: 'weight path' });
      else {
        const t = g.declaredType.get(o);
        if (t && !['float32', 'float16', 'float64', 'bfloat16'].includes(t)) skipped.push({ name: o, reason: `${t} tensor` });
        else marked.push(o);
      }
    }
  }
  return { proto: markOutputs(proto, marked), marked, skipped };
}
