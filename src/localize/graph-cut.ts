import { create } from '@bufbuild/protobuf';
import { TypeProtoSchema, TypeProto_TensorSchema, ValueInfoProtoSchema, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from 'onnx-buf';
import type { TensorPair } from '../compare/pairing.js';
import { onnxElemType } from '../tensor/dtype.js';
import { removeDeadCode } from './float-fallback.js';
import { mustGet, at } from '../errors.js';
import { graphOf } from '../graph/onnx-model.js';

/**
 * The INT8 graph cut at every paired activation, so that one run computes every op from FP32
 * inputs at once: each op's output is then its local error.
 *
 * For a paired tensor T whose INT8 side is a Q→DQ chain  X' → Q → DQ → T'  (X' produced by op P):
 *   - P writes `X'__local` and the QuantizeLinear reads it: T's own quantization is part of T's local
 *     computation, so T'__local = DQ(Q(P(FP32 inputs))) — P's weights and T's pair, nothing upstream;
 *   - every reader of T' (and of X' other than the Q) reads a new graph input fed with FP32 T.
 * A float INT8 tensor T' (no Q/DQ) is cut the same way without the pair. Each error source (an
 * activation pair, an op's weights) so lands in exactly one tensor's local error.
 */
export interface CutModel {
  proto: ModelProto;
  /** Cut-model input → the FP32 logical tensor to feed (the model's own inputs map to themselves). */
  feeds: Map<string, string>;
  /** Cut-model output → the logical tensor whose local value it is. */
  fetch: Map<string, string>;
}

const LOCAL_SUFFIX = '__local';

/**
 * @param pairs the FP32↔INT8 pairing of the two models
 * @param only logical tensors whose local value to fetch (a group); default every pair
 */
export function cutModel(int8: ModelProto, pairs: readonly TensorPair[], only?: ReadonlySet<string>): CutModel {
  const graph = graphOf(int8);
  const nodes: NodeProto[] = graph.node.map((n) => ({ ...n, input: [...n.input], output: [...n.output] }));
  const producer = new Map<string, NodeProto>();
  const readers = new Map<string, NodeProto[]>();
  for (const n of nodes) {
    for (const o of n.output) if (o) producer.set(o, n);
    for (const x of n.input) if (x) (readers.get(x) ?? mustGet(readers.set(x, []), x)).push(n);
  }
  const originalInputs = new Set(graph.input.map((i) => i.name));
  const feeds = new Map<string, string>();
  const fetch = new Map<string, string>();
  const rename = (n: NodeProto, from: string, to: string) => { n.output = n.output.map((o) => (o === from ? to : o)); };

  // A Q/DQ whose float input is itself a paired tensor (a Relu/Clip folded into the Q/DQ after a Conv:
  // the Conv's raw output is paired with FP32 Conv, the dequantized value with FP32 Relu) quantizes
  // the FP32 value of that tensor: the Conv's error stays in the Conv row.
  const pairedFloat = new Map(pairs.filter((p) => p.test.kind === 'float').map((p) => [p.test.actual, p.name]));
  for (const p of pairs) {
    const t = p.test;
    if (t.kind === 'float') {
      const x = t.actual;
      const prod = producer.get(x);
      if (!prod) continue; // a graph input: nothing is computed, nothing to cut
      rename(prod, x, x + LOCAL_SUFFIX);
      feeds.set(x, p.name);
      fetch.set(x + LOCAL_SUFFIX, p.name);
      continue;
    }
    const src = t.preQuant;
    if (!src) continue;
    const quantizers = (readers.get(src) ?? []).filter((n) => n.opType === 'QuantizeLinear');
    const prod = producer.get(src);
    const fed = pairedFloat.get(src);
    if (fed !== undefined) {
      feeds.set(src, fed); // the producer is cut there already; the Q reads the fed FP32 value
    } else if (prod) {
      rename(prod, src, src + LOCAL_SUFFIX);
      for (const q of quantizers) q.input = q.input.map((x) => (x === src ? src + LOCAL_SUFFIX : x));
      // Non-quantizing readers of the float source (if any) read FP32 T like everybody else.
      if ((readers.get(src) ?? []).some((n) => n.opType !== 'QuantizeLinear')) feeds.set(src, p.name);
    }
    for (const q of quantizers) {
      for (const dq of readers.get(q.output[0] ?? '') ?? []) {
        if (dq.opType !== 'DequantizeLinear') continue;
        const y = at(dq.output, 0);
        rename(dq, y, y + LOCAL_SUFFIX);
        feeds.set(y, p.name);
        if (y === t.actual) fetch.set(y + LOCAL_SUFFIX, p.name);
      }
    }
  }

  const wanted = [...fetch].filter(([, logical]) => !only || only.has(logical));
  const out: GraphProto = {
    ...graph,
    node: nodes,
    output: wanted.map(([name]) => valueInfo(name)),
    input: [...graph.input, ...[...feeds.keys()].filter((n) => !originalInputs.has(n)).map(valueInfo)],
  };
  removeDeadCode(out);
  const read = new Set(out.node.flatMap((n) => n.input));
  const initNames = new Set(out.initializer.map((i) => i.name));
  out.input = out.input.filter((i) => read.has(i.name) && !initNames.has(i.name));
  const used = new Map<string, string>();
  for (const i of out.input) used.set(i.name, feeds.get(i.name) ?? i.name);
  return { proto: { ...int8, graph: out }, feeds: used, fetch: new Map(wanted) };
}

function valueInfo(name: string): ValueInfoProto {
  // Rank and dims unknown: ONNX Runtime takes the shape of what is fed.
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: onnxElemType('float32') }) } }),
  });
}
