import { create } from '@bufbuild/protobuf';
import { AttributeProto_AttributeType, AttributeProtoSchema, NodeProtoSchema, type AttributeProto, type NodeProto } from 'onnx-buf';

/** Helpers for the nodes trt-diff adds to graphs (Q/DQ emulation, opset upgrade, in-graph reductions). */
export function makeNode(opType: string, name: string, input: string[], output: string[], attribute: AttributeProto[] = []): NodeProto {
  return create(NodeProtoSchema, { opType, name, input, output, attribute });
}

export function intAttr(name: string, i: number): AttributeProto {
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(i) });
}
