import { create } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema, AttributeProto_AttributeType, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema,
  TensorProtoSchema, TensorShapeProtoSchema, TensorShapeProto_DimensionSchema, TypeProtoSchema, TypeProto_TensorSchema,
  ValueInfoProtoSchema, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from 'onnx-buf';

/** Tiny ONNX model builder for tests (the test suite builds its own models instead of committing binaries). */
export function valueInfo(name: string, shape: (number | string)[], elemType = 1): ValueInfoProto {
  const dims = shape.map((d) => create(TensorShapeProto_DimensionSchema, { value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d } }));
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType, shape: create(TensorShapeProtoSchema, { dim: dims }) }) } }),
  });
}

export function floatTensor(name: string, dims: number[], values: number[]): TensorProto {
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: 1, floatData: values });
}

export function int8Tensor(name: string, dims: number[], values: number[], unsigned = false): TensorProto {
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: unsigned ? 2 : 3, int32Data: values });
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, number | number[]> = {}, name = ''): NodeProto {
  const attribute = Object.entries(attrs).map(([k, v]) =>
    Array.isArray(v)
      ? create(AttributeProtoSchema, { name: k, type: AttributeProto_AttributeType.INTS, ints: v.map(BigInt) })
      : Number.isInteger(v)
        ? create(AttributeProtoSchema, { name: k, type: AttributeProto_AttributeType.INT, i: BigInt(v) })
        : create(AttributeProtoSchema, { name: k, type: AttributeProto_AttributeType.FLOAT, f: v }));
  return create(NodeProtoSchema, { opType, input: inputs, output: outputs, attribute, name: name || `${opType}_${outputs[0]}` });
}

export function model(opts: { nodes: NodeProto[]; inputs: ValueInfoProto[]; outputs: ValueInfoProto[]; initializers?: TensorProto[]; opset?: number }): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'trt-diff-tests',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opts.opset ?? 13) })],
    graph: create(GraphProtoSchema, { name: 'g', node: opts.nodes, input: opts.inputs, output: opts.outputs, initializer: opts.initializers ?? [] }),
  });
}

/**
 * y = Relu(x·2 + 1) with an optional INT8 Q/DQ version (quantizer-style names), small enough to
 * reason about by hand: the FP32 / INT8 pair used by graph and pipeline tests.
 */
export function affineReluModels(scale = 0.05): { fp32: ModelProto; int8: ModelProto } {
  const inputs = [valueInfo('x', [1, 4])];
  const outputs = [valueInfo('y', [1, 4])];
  const inits = [floatTensor('two', [], [2]), floatTensor('one', [], [1])];
  const fp32 = model({
    nodes: [node('Mul', ['x', 'two'], ['h']), node('Add', ['h', 'one'], ['a']), node('Relu', ['a'], ['y'])],
    inputs, outputs, initializers: inits,
  });
  const q = (t: string) => [
    node('QuantizeLinear', [t, 's', 'zp'], [`${t}_QuantizeLinear_Output`]),
    node('DequantizeLinear', [`${t}_QuantizeLinear_Output`, 's', 'zp'], [`${t}_DequantizeLinear_Output`]),
  ];
  const int8 = model({
    nodes: [
      ...q('x'),
      node('Mul', ['x_DequantizeLinear_Output', 'two'], ['h']), ...q('h'),
      node('Add', ['h_DequantizeLinear_Output', 'one'], ['a']), ...q('a'),
      node('Relu', ['a_DequantizeLinear_Output'], ['y']),
    ],
    inputs, outputs, initializers: [...inits, floatTensor('s', [], [scale]), int8Tensor('zp', [], [0])],
  });
  return { fp32, int8 };
}
