import * as fs from 'node:fs';
import { UserError, errorMessage } from '../errors.js';
import { indexGraph } from '../graph/graph-index.js';
import { fileSha256, type OnnxModel, graphOf } from '../graph/onnx-model.js';
import { writeFileAtomic } from '../output/output-session.js';
import { mapEngineTensors, parseEngineLayers, type FusedTensor, type MappedTensor } from '../native/engine-layers.js';

/**
 * The layer map `trt-diff build` writes beside an engine (<engine>.layers.json): which engine
 * tensor holds which ONNX tensor, which ONNX tensors TensorRT fused away (and into which layer), and
 * for each exposed tensor its ONNX producer (op type, node, inputs) so that an engine compares with
 * the same per-layer table as its ONNX model. It also keeps the engine inspector's JSON as is.
 */
export interface LayerMap {
  format: typeof FORMAT;
  /** SHA-256 of the engine file the map describes: a map beside a rebuilt engine is refused. */
  engineSha256: string;
  tensorrtVersion: string;
  /** The ONNX model the engine was built from. */
  onnx: string;
  capture: 'outputs' | 'debug' | 'none';
  /** Every tensor a run of the engine returns (outputs and, with capture "debug", debug tensors). */
  tensors: (MappedTensor & { opType: string; node: string; inputs: string[] })[];
  fused: FusedTensor[];
  /** Engine layer outputs no ONNX tensor could be found for. */
  unresolved: { engine: string; layer: string }[];
  inspector: unknown;
}

const FORMAT = 'trt-diff-layer-map/1';

function layerMapPath(enginePath: string): string {
  return `${enginePath}.layers.json`;
}

/** What an engine built from `model` exposes, from its inspector JSON and I/O list. */
export function buildLayerMap(args: {
  enginePath: string; model: OnnxModel; capture: LayerMap['capture']; tensorrtVersion: string; inspectorJson: string; outputs: readonly string[];
}): LayerMap {
  const g = indexGraph(graphOf(args.model.proto));
  const mapped = mapEngineTensors(parseEngineLayers(args.inspectorJson), g);
  const outputs = new Set(args.outputs);
  // With output capture only the engine's I/O outputs come back; with debug capture every layer output.
  const returned = mapped.tensors.filter((t) => args.capture === 'debug' || outputs.has(t.engine));
  for (const o of args.outputs) if (!returned.some((t) => t.engine === o)) returned.push({ engine: o, onnx: o, layer: '' });
  const seen = new Set<string>();
  const tensors = returned.filter((t) => !seen.has(t.onnx) && seen.add(t.onnx)).map((t) => {
    const i = g.producer.get(t.onnx);
    const node = i === undefined ? undefined : g.nodes[i];
    return { ...t, opType: node?.opType ?? '', node: node?.name ?? '', inputs: node ? node.input.filter((n) => n && !g.initializers.has(n)) : [] };
  });
  return {
    format: FORMAT, engineSha256: fileSha256(args.enginePath), tensorrtVersion: args.tensorrtVersion, onnx: args.model.path,
    capture: args.capture, tensors, fused: mapped.fused.filter((f) => !seen.has(f.onnx)), unresolved: mapped.unresolved,
    inspector: JSON.parse(args.inspectorJson) as unknown,
  };
}

export function writeLayerMap(enginePath: string, map: LayerMap): string {
  const file = layerMapPath(enginePath);
  writeFileAtomic(file, `${JSON.stringify(map, null, 1)}\n`);
  return file;
}

/** The layer map beside `enginePath`, or undefined when there is none. A stale or broken map is a UserError. */
export function readLayerMap(enginePath: string): LayerMap | undefined {
  const file = layerMapPath(enginePath);
  if (!fs.existsSync(file)) return undefined;
  let map: LayerMap;
  try {
    map = JSON.parse(fs.readFileSync(file, 'utf8')) as LayerMap;
  } catch (e) {
    throw new UserError(`not a trt-diff layer map (${errorMessage(e)})`, file);
  }
  if (map?.format !== FORMAT || !Array.isArray(map.tensors) || !Array.isArray(map.fused)) {
    throw new UserError(`not a ${FORMAT} file`, file);
  }
  if (map.engineSha256 !== fileSha256(enginePath)) {
    throw new UserError(`describes another engine than ${enginePath} (rebuilt since?): run trt-diff build again or delete it`, file);
  }
  return map;
}
