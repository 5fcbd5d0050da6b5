import { BackendError, UserError, errorMessage } from '../errors.js';
import { loadNative, type NativeEngine, type NativeIoTensor, type NativeTensor } from '../native/addon.js';
import { isDType } from '../tensor/dtype.js';
import { type Tensor, tensorBytes, tensorFromBytes } from '../tensor/tensor.js';
import { BaseRunner } from './base-runner.js';
import { readLayerMap, type LayerMap } from './layer-map.js';
import type { RunnerDescription, TensorInfo } from './runner.js';

/** File names trt-diff treats as serialized TensorRT engines rather than ONNX models. */
export function isEnginePath(p: string): boolean {
  return /\.(engine|plan|trt)$/i.test(p);
}

function toTensorInfo(t: NativeIoTensor): TensorInfo {
  return { name: t.name, dtype: isDType(t.dtype) ? t.dtype : 'unknown', shape: t.shape };
}

/** The reason the TensorRT runner is unavailable, as one line; undefined when it is available. */
export function trtUnavailableReason(): string | undefined {
  const { addon, errors } = loadNative();
  if (!addon) {
    const why = errors.length > 0 ? errors.join('; ') : 'no addon candidates';
    return `native addon not loaded (${why.replace(/\s*\n\s*/g, ' ')})`;
  }
  if (!addon.TrtEngine) {
    return 'the native addon was compiled without TensorRT (set TensorRT_ROOT and run npm run build:native)';
  }
  return undefined;
}

/** Opens a serialized engine through the addon; one UserError line when it cannot. */
export async function loadEngine(enginePath: string): Promise<NativeEngine> {
  const unavailable = trtUnavailableReason();
  const addon = loadNative().addon;
  if (unavailable !== undefined || !addon?.TrtEngine) {
    throw new UserError(`TensorRT runner not built: ${unavailable ?? 'no TrtEngine export'}`, enginePath);
  }
  try {
    return await addon.TrtEngine.load(enginePath);
  } catch (e) {
    // Includes TensorRT's own text, e.g. a plan serialized by a different TensorRT version.
    throw new UserError(`cannot load TensorRT engine: ${errorMessage(e).replace(/\s*\n\s*/g, ' ')}`, enginePath);
  }
}

/**
 * Runner over a serialized TensorRT engine (plain plan or Ultralytics .engine), through the native
 * addon. It declares and returns the engine's outputs and, when `trt-diff build` left a layer map
 * beside the engine (layer-map.ts), every tensor the map lists — debug tensors reported under
 * TensorRT's internal names are returned under their ONNX names — and declares what TensorRT fused.
 * Without a map, debug tensors keep the engine's names and only the outputs are declared.
 */
export class TrtRunner extends BaseRunner {
  private constructor(
    private readonly engine: NativeEngine,
    private readonly description: RunnerDescription,
    /** Engine tensor name → ONNX tensor name. */
    private readonly onnxName: ReadonlyMap<string, string>,
    readonly layerMap: LayerMap | undefined,
    /** Ultralytics metadata header (JSON) of the .engine file, parsed; undefined when absent or not JSON. */
    readonly metadata: Record<string, unknown> | undefined,
  ) {
    super();
  }

  static async open(enginePath: string): Promise<TrtRunner> {
    const engine = await loadEngine(enginePath);
    let map: LayerMap | undefined;
    try {
      map = readLayerMap(enginePath);
    } catch (e) {
      engine.close();
      throw e;
    }
    const d = engine.describe();
    const onnxName = new Map((map?.tensors ?? []).map((t) => [t.engine, t.onnx]));
    const inputs = d.io.filter((t) => t.mode === 'input').map(toTensorInfo);
    const outputs = d.io.filter((t) => t.mode === 'output').map((t) => ({ ...toTensorInfo(t), name: onnxName.get(t.name) ?? t.name }));
    // Declared: inputs (returned as fed), outputs, then every tensor of the layer map, once each.
    const declared = new Map([...inputs, ...outputs].map((i) => [i.name, i]));
    for (const t of map?.tensors ?? []) if (!declared.has(t.onnx)) declared.set(t.onnx, { name: t.onnx, dtype: 'unknown', shape: [] });
    return new TrtRunner(engine, {
      backend: `tensorrt-${d.tensorrtVersion}`,
      source: enginePath,
      inputs,
      outputs,
      tensors: [...declared.values()],
      ...(map ? { fused: map.fused.map((f) => ({ name: f.onnx, layer: f.layer })) } : {}),
    }, onnxName, map, parseMetadata(d.metadata));
  }

  describe(): RunnerDescription {
    return this.description;
  }

  protected async *infer(feeds: Readonly<Record<string, Tensor>>, fetch: readonly string[] | undefined): AsyncIterable<Tensor> {
    const native: NativeTensor[] = Object.entries(feeds).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: tensorBytes(t) }));
    let results: NativeTensor[];
    try {
      results = await this.engine.infer(native);
    } catch (e) {
      throw new BackendError(`TensorRT inference failed: ${errorMessage(e).replace(/\s*\n\s*/g, ' ')}`, this.description.source);
    }
    const wanted = fetch ? new Set(fetch) : undefined;
    // An engine never returns its inputs; asked for one, the runner returns it as fed (its value).
    for (const name of fetch ?? []) if (feeds[name]) yield feeds[name];
    for (const out of results) {
      const name = this.onnxName.get(out.name) ?? out.name;
      if (wanted && !wanted.has(name)) continue;
      if (!isDType(out.dtype)) continue; // fp8/int4 tensors have no host representation
      yield tensorFromBytes(name, out.dtype, out.shape, out.data);
    }
  }

  /** Engine inspector JSON; see src/native/engine-layers.ts for mapping layers to ONNX nodes. */
  inspect(): string {
    if (this.isClosed) throw new Error(`${this.description.source}: TensorRT runner used after close()`);
    return this.engine.inspect();
  }

  protected async release(): Promise<void> {
    this.engine.close();
  }
}

function parseMetadata(text: string): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // a header that is not JSON is not Ultralytics metadata
  }
}
