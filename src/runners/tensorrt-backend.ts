import * as fs from 'node:fs';
import { removeScratch, scratchDir } from '../output/output-session.js';
import * as path from 'node:path';
import type { OpenRunner } from '../compare/compare-models.js';
import { UserError, errorMessage } from '../errors.js';
import type { OnnxModel } from '../graph/onnx-model.js';
import { loadNative } from '../native/addon.js';
import type { Tensor } from '../tensor/tensor.js';
import type { RunOptions, Runner, RunnerDescription } from './runner.js';
import { TrtRunner, trtUnavailableReason } from './trt-runner.js';

export interface TensorRtBackendOptions {
  /** Keep the built engines here; default: a temp folder removed when each runner closes. */
  engineDir?: string;
  /** TensorRT 10 implicit INT8: calibration cache for INT8 candidates that have no Q/DQ nodes. */
  calibrationCache?: string;
}

/** A runner over an engine trt-diff built, which deletes its temp folder when closed (unless kept). */
class BuiltEngineRunner implements Runner {
  constructor(private readonly inner: TrtRunner, private readonly tempDir: string | undefined) {}
  describe(): RunnerDescription { return this.inner.describe(); }
  run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): AsyncIterable<Tensor> { return this.inner.run(feeds, options); }
  async close(): Promise<void> {
    await this.inner.close();
    if (this.tempDir) removeScratch(this.tempDir);
  }
}

function hasQdq(model: OnnxModel): boolean {
  return model.proto.graph!.node.some((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear');
}

/**
 * `--backend tensorrt`: every ONNX model is built into a TensorRT engine by the native addon with
 * the requested tensors marked as outputs (or as debug tensors where TensorRT ≥ 10.12 can keep
 * fusion), then run by TrtRunner. Pairing and analyses keep using the ONNX graphs, whose tensor
 * names the engine's marked outputs carry. FP32 engines are built with TF32 off; Q/DQ models as
 * explicitly quantized networks (TensorRT 10 and 11); FP32 INT8 candidates with a calibration
 * cache as implicit INT8 (TensorRT 10 only: TensorRT 11 removed it and the builder says so).
 */
export function tensorRtBackend(opt: TensorRtBackendOptions = {}): OpenRunner {
  return async (model, mark, role) => {
    const why = trtUnavailableReason();
    const addon = loadNative().addon;
    if (why || !addon?.buildEngine) throw new UserError(`TensorRT backend not available: ${why ?? 'the addon has no engine builder'}`, model.path);
    const dir = opt.engineDir ?? scratchDir(undefined, 'engines');
    fs.mkdirSync(dir, { recursive: true });
    const enginePath = path.join(dir, `${path.basename(model.path, '.onnx')}${mark.length > 0 ? '.marked' : ''}.engine`);
    const int8 = role === 'int8' && (hasQdq(model) || !!opt.calibrationCache);
    try {
      await addon.buildEngine({
        onnxPath: model.path, enginePath, int8,
        ...(int8 && !hasQdq(model) && opt.calibrationCache ? { calibrationCache: opt.calibrationCache } : {}),
        capture: mark.length > 0 ? 'auto' : 'none',
      });
    } catch (e) {
      throw new UserError(`TensorRT could not build an engine: ${errorMessage(e).replace(/\s*\n\s*/g, ' ')}`, model.path);
    }
    return new BuiltEngineRunner(await TrtRunner.open(enginePath), opt.engineDir ? undefined : dir);
  };
}
