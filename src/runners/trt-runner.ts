import { UserError, errorMessage } from '../errors.js';
import { loadNative, type NativeEngine, type NativeIoTensor, type NativeTensor } from '../native/addon.js';
import { isDType } from '../tensor/dtype.js';
import { type Tensor, tensorBytes, tensorFromBytes } from '../tensor/tensor.js';
import type { RunOptions, Runner, RunnerDescription, TensorInfo } from './runner.js';

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

/**
 * Runner over a serialized TensorRT engine (plain plan or Ultralytics .engine), through the native
 * addon. The tensors it can return are the engine's outputs, which for engines built by trt-diff
 * include every marked layer output, plus the debug tensors the engine reports while running.
 */
export class TrtRunner implements Runner {
  private engine: NativeEngine | undefined;

  private constructor(engine: NativeEngine, private readonly description: RunnerDescription) {
    this.engine = engine;
  }

  static async open(enginePath: string): Promise<TrtRunner> {
    const unavailable = trtUnavailableReason();
    const addon = loadNative().addon;
    if (unavailable !== undefined || !addon?.TrtEngine) {
      throw new UserError(`TensorRT runner not built: ${unavailable ?? 'no TrtEngine export'}`, enginePath);
    }
    let engine: NativeEngine;
    try {
      engine = await addon.TrtEngine.load(enginePath);
    } catch (e) {
      // Includes TensorRT's own text, e.g. a plan serialized by a different TensorRT version.
      throw new UserError(`cannot load TensorRT engine: ${errorMessage(e)}`, enginePath);
    }
    const d = engine.describe();
    const outputs = d.io.filter((t) => t.mode === 'output').map(toTensorInfo);
    return new TrtRunner(engine, {
      backend: `tensorrt-${d.tensorrtVersion}`,
      source: enginePath,
      inputs: d.io.filter((t) => t.mode === 'input').map(toTensorInfo),
      outputs,
      tensors: outputs,
    });
  }

  describe(): RunnerDescription {
    return this.description;
  }

  async *run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): AsyncIterable<Tensor> {
    if (!this.engine) throw new Error('TrtRunner is closed');
    const native: NativeTensor[] = Object.entries(feeds).map(([name, t]) => ({
      name,
      dtype: t.dtype,
      shape: t.shape,
      data: tensorBytes(t),
    }));
    const wanted = options?.fetch ? new Set(options.fetch) : undefined;
    for (const out of await this.engine.infer(native)) {
      if (wanted && !wanted.has(out.name)) continue;
      if (!isDType(out.dtype)) continue;  // fp8/int4 tensors have no host representation
      yield tensorFromBytes(out.name, out.dtype, out.shape, out.data);
    }
  }

  /** Engine inspector JSON; see src/native/engine-layers.ts for mapping layers to ONNX nodes. */
  inspect(): string {
    if (!this.engine) throw new Error('TrtRunner is closed');
    return this.engine.inspect();
  }

  async close(): Promise<void> {
    this.engine?.close();
    this.engine = undefined;
  }
}
