import type { GraphIndex } from '../graph/graph-index.js';
import { QDQ_OPS } from '../graph/qdq.js';
import { at } from '../errors.js';

/**
 * Maps the layers of a built TensorRT engine back to the ONNX graph, using the engine inspector's
 * JSON (engine.inspect()). With ProfilingVerbosity::kDETAILED each layer has a "Metadata" string
 * holding one "[ONNX Layer: <node name>]" entry per fused ONNX node; entries are separated by the
 * ASCII record and unit separators \x1E and \x1F (both occur; NVIDIA's trex splits on both).
 */

export interface EngineLayer {
  /** TensorRT's layer name (fused layers get names like "node_a + node_b"). */
  name: string;
  /** ONNX node names this layer implements, in the order TensorRT lists them. */
  onnxNodes: string[];
  /** Names of the layer's output tensors, when the inspector lists them. */
  outputs: string[];
}

const ONNX_LAYER = /^\[ONNX Layer: (.*)\]$/s;

/** ONNX node names in one layer's Metadata string. @internal */
export function onnxNodesOfMetadata(metadata: string): string[] {
  const nodes: string[] = [];
  for (const entry of metadata.split(/[\x1E\x1F]/)) {
    const m = ONNX_LAYER.exec(entry.trim());
    if (m) nodes.push(at(m, 1));
  }
  return nodes;
}

interface InspectorLayer {
  Name?: unknown;
  Metadata?: unknown;
  Outputs?: unknown;
}

/**
 * Layers of an inspector JSON document. Layers given as bare strings (engines built without
 * kDETAILED) yield a name and no ONNX nodes. Throws on text that is not JSON.
 */
export function parseEngineLayers(inspectorJson: string): EngineLayer[] {
  const doc = JSON.parse(inspectorJson) as { Layers?: unknown };
  if (!Array.isArray(doc.Layers)) return [];
  return doc.Layers.map((raw: unknown): EngineLayer => {
    if (typeof raw === 'string') return { name: raw, onnxNodes: [], outputs: [] };
    const layer = raw as InspectorLayer;
    const outputs = Array.isArray(layer.Outputs)
      ? layer.Outputs.map((o: unknown) => (o as { Name?: unknown }).Name).filter((n): n is string => typeof n === 'string')
      : [];
    return {
      name: typeof layer.Name === 'string' ? layer.Name : '',
      onnxNodes: typeof layer.Metadata === 'string' ? onnxNodesOfMetadata(layer.Metadata) : [],
      outputs,
    };
  });
}

/** One engine tensor and the ONNX tensor it holds. */
export interface MappedTensor {
  /** The name the engine (outputs, debug listener) uses. */
  engine: string;
  /** The ONNX tensor name; the engine name when it is one, else resolved through the layer's nodes. */
  onnx: string;
  layer: string;
}

/** An ONNX tensor computed inside a fused layer: it never exists in the engine. */
export interface FusedTensor {
  onnx: string;
  layer: string;
}

export interface EngineTensorMap {
  tensors: MappedTensor[];
  fused: FusedTensor[];
  /** Layer outputs whose ONNX tensor could not be determined (named, never dropped silently). */
  unresolved: { engine: string; layer: string }[];
}

/**
 * Engine tensor names → ONNX tensor names. Marked outputs keep their ONNX names; debug tensors from
 * markUnfusedTensorsAsDebugTensors carry internal names that match the inspector's layer outputs
 * (NvInfer.h). Such a name resolves through its layer: the layer's k-th "exit" tensor (an output of
 * one of the layer's compute nodes that leaves the layer, in graph order; Q/DQ nodes fused into
 * the layer are transparent) gives the k-th output. The other compute outputs are fused: computed
 * inside the layer, never visible.
 */
export function mapEngineTensors(layers: readonly EngineLayer[], graph: GraphIndex): EngineTensorMap {
  const nodeIndex = new Map(graph.nodes.map((n, i) => [n.name, i]));
  const known = (t: string) => graph.producer.has(t) || graph.inputs.includes(t);
  const out: EngineTensorMap = { tensors: [], fused: [], unresolved: [] };
  for (const layer of layers) {
    const members = layer.onnxNodes.map((n) => nodeIndex.get(n)).filter((i): i is number => i !== undefined).sort((a, b) => a - b);
    // Q/DQ nodes fused into a compute layer are transparent: the layer stands for its compute nodes'
    // tensors (the float tensor a Quantize reads is what the comparison pairs). A layer of Q/DQ only
    // stands for their outputs.
    const compute = members.filter((i) => !QDQ_OPS.has(at(graph.nodes, i).opType));
    const own = compute.length > 0 ? compute : members;
    const inLayer = new Set(own);
    const exits: string[] = [];
    for (const i of own) {
      for (const t of at(graph.nodes, i).output) {
        if (!t) continue;
        const consumers = graph.consumers.get(t) ?? [];
        const leaves = graph.outputs.includes(t) || consumers.length === 0 || consumers.some((c) => !inLayer.has(c));
        if (leaves) exits.push(t); else out.fused.push({ onnx: t, layer: layer.name });
      }
    }
    layer.outputs.forEach((engineName, k) => {
      const onnx = known(engineName) ? engineName : exits[k];
      if (onnx === undefined) out.unresolved.push({ engine: engineName, layer: layer.name });
      else out.tensors.push({ engine: engineName, onnx, layer: layer.name });
    });
  }
  return out;
}
