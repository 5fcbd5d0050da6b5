/**
 * Maps the layers of a built TensorRT engine back to the ONNX nodes they came from, using the
 * engine inspector's JSON (engine.inspect()). With ProfilingVerbosity::kDETAILED each layer has a
 * "Metadata" string holding one "[ONNX Layer: <node name>]" entry per fused ONNX node, the entries
 * joined by the ASCII record separator \x1E.
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

/** ONNX node names in one layer's Metadata string. */
export function onnxNodesOfMetadata(metadata: string): string[] {
  const nodes: string[] = [];
  for (const entry of metadata.split('\x1E')) {
    const m = ONNX_LAYER.exec(entry.trim());
    if (m) nodes.push(m[1]!);
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
 * kDETAILED) yield a name and no ONNX nodes.
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

/** ONNX node name → the engine layer that computes it (several nodes can share one fused layer). */
export function layerOfOnnxNode(layers: readonly EngineLayer[]): Map<string, EngineLayer> {
  const byNode = new Map<string, EngineLayer>();
  for (const layer of layers) for (const node of layer.onnxNodes) byNode.set(node, layer);
  return byNode;
}
