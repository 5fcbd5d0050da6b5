import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, TensorShapeProtoSchema, TensorShapeProto_DimensionSchema, TypeProtoSchema,
  TypeProto_TensorSchema, ValueInfoProtoSchema, type ValueInfoProto,
} from 'onnx-buf';
import type { OnnxModel } from '../graph/onnx-model.js';
import { onnxElemType } from '../tensor/dtype.js';
import type { LayerMap } from './layer-map.js';
import type { TensorInfo } from './runner.js';
import { TrtRunner } from './trt-runner.js';

/**
 * A serialized engine seen as a model the comparison can pair: a graph whose nodes are the tensors
 * the engine returns. With a layer map (`trt-diff build`), each node carries its ONNX tensor name,
 * op type, node name and inputs, so the engine gets the same per-layer table as its ONNX model;
 * without one, the nodes are the engine's outputs only (a plain prebuilt engine).
 */
export interface EngineModel {
  model: OnnxModel;
  enginePath: string;
  /** The engine exposes its layers (a layer map is beside it). */
  layered: boolean;
  /** Ultralytics metadata header of the .engine file, parsed, or undefined. */
  metadata: Record<string, unknown> | undefined;
  fused: number;
}

function valueInfo(t: TensorInfo): ValueInfoProto {
  const dim = t.shape.map((d) => create(TensorShapeProto_DimensionSchema, typeof d === 'number' && d >= 0 ? { value: { case: 'dimValue', value: BigInt(d) } } : { value: { case: 'dimParam', value: String(d) } }));
  const elemType = t.dtype === 'unknown' ? 0 : onnxElemType(t.dtype);
  return create(ValueInfoProtoSchema, { name: t.name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType, shape: create(TensorShapeProtoSchema, { dim }) }) } }) });
}

/** The graph an engine exposes: its inputs, one node per returned tensor, its outputs. */
function engineGraph(enginePath: string, inputs: readonly TensorInfo[], outputs: readonly TensorInfo[], map: LayerMap | undefined): OnnxModel {
  const inputNames = inputs.map((i) => i.name);
  const produced = new Set(inputNames);
  const entries = map
    ? map.tensors.filter((t) => !produced.has(t.onnx))
    : outputs.map((o) => ({ onnx: o.name, opType: '', node: '', layer: '', inputs: inputNames }));
  const node = entries.map((t) => {
    // Inputs the engine does not return (fused, constants) are left out: rows pair through what exists.
    const input = t.inputs.filter((i) => produced.has(i) || entries.some((e) => e.onnx === i));
    produced.add(t.onnx);
    return create(NodeProtoSchema, { opType: t.opType || 'TensorRT', name: t.node || t.layer || t.onnx, input, output: [t.onnx] });
  });
  // Tensors TensorRT fused away stay in the view, so that their rows say "fused" instead of vanishing.
  for (const f of map?.fused ?? []) {
    if (!produced.has(f.onnx)) node.push(create(NodeProtoSchema, { opType: 'TensorRT (fused)', name: f.layer, input: [], output: [f.onnx] }));
    produced.add(f.onnx);
  }
  const proto = create(ModelProtoSchema, {
    irVersion: 8n, producerName: 'trt-diff (engine view)',
    graph: create(GraphProtoSchema, { name: enginePath, node, input: inputs.map(valueInfo), output: outputs.map(valueInfo) }),
  });
  return { path: enginePath, proto };
}

export async function loadEngineModel(enginePath: string): Promise<EngineModel> {
  const runner = await TrtRunner.open(enginePath);
  try {
    const d = runner.describe();
    const map = runner.layerMap;
    return {
      model: engineGraph(enginePath, d.inputs, d.outputs, map),
      enginePath,
      layered: map !== undefined && map.capture !== 'none',
      metadata: runner.metadata,
      fused: map?.fused.length ?? 0,
    };
  } finally {
    await runner.close();
  }
}
