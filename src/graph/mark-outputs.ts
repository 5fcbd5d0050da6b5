import { create, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, ValueInfoProtoSchema, type ModelProto } from 'onnx-buf';
import type { GraphIndex } from './graph-index.js';
import { serializeModel, type OnnxModel, graphOf } from './onnx-model.js';
import { isParameterPath } from './qdq.js';
import { isFloatDType } from '../tensor/dtype.js';

export interface MarkResult {
  /** A shallow copy of the model whose graph outputs include `marked`; the input model is untouched. */
  proto: ModelProto;
  marked: string[];
  skipped: { name: string; reason: string }[];
}

/**
 * Make the given tensors graph outputs. Only the name is given: ONNX Runtime infers type and shape
 * from the graph. Tensors that are already outputs are not duplicated.
 * @internal
 */
export function markOutputs(proto: ModelProto, names: readonly string[]): ModelProto {
  const graph = graphOf(proto);
  const extra = extraOutputs(proto, names);
  return { ...proto, graph: { ...graph, output: [...graph.output, ...extra] } };
}

function extraOutputs(proto: ModelProto, names: readonly string[]) {
  const existing = new Set(graphOf(proto).output.map((o) => o.name));
  return [...new Set(names)].filter((n) => !existing.has(n)).map((name) => create(ValueInfoProtoSchema, { name }));
}

/**
 * The model's bytes with `names` marked as outputs, for a runtime. A model that still holds its
 * file's bytes is not re-serialized (~100 ms for YOLOv8n's 12 MB): a ModelProto carrying only the
 * extra graph outputs is appended to them. Protobuf parsers merge concatenated messages (the
 * embedded graph merges, its repeated `output` field appends), so the result parses to exactly
 * markOutputs(proto, names); test/graph/graph.test.ts checks that.
 */
export function markedModelBytes(model: OnnxModel, names: readonly string[]): Uint8Array {
  if (!model.bytes) return serializeModel(names.length > 0 ? markOutputs(model.proto, names) : model.proto);
  if (names.length === 0) return model.bytes;
  const delta = toBinary(ModelProtoSchema, create(ModelProtoSchema, { graph: { output: extraOutputs(model.proto, names) } }));
  const out = new Uint8Array(model.bytes.byteLength + delta.byteLength);
  out.set(model.bytes, 0);
  out.set(delta, model.bytes.byteLength);
  return out;
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
        if (t && !isFloatDType(t)) skipped.push({ name: o, reason: `${t} tensor` });
        else marked.push(o);
      }
    }
  }
  return { proto: markOutputs(proto, marked), marked, skipped };
}
