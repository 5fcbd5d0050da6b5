import * as crypto from 'node:crypto';
import { removeScratch, scratchDir } from '../output/output-session.js';
import * as path from 'node:path';
import type { OnnxModel } from '../graph/onnx-model.js';
import { buildEngine, checkInt8Source, hasQdq } from './engine-build.js';
import type { OpenRunner } from './open-runner.js';
import { TrtRunner } from './trt-runner.js';

export interface TensorRtBackendOptions {
  /** Keep the built engines (and their layer maps) here; default: a temp folder removed when each runner closes. */
  engineDir?: string;
  /** TensorRT 10 implicit INT8: calibration cache for INT8 candidates that have no Q/DQ nodes. */
  calibrationCache?: string;
  /** Shapes for inputs with dynamic dims (--shapes). */
  inputShapes?: Record<string, number[]>;
}

/**
 * One engine file per (model file, role, instrumented or not): the basename plus a hash of the
 * model's absolute path, so two models that share a basename never write the same engine.
 */
function engineFileName(model: OnnxModel, role: 'fp32' | 'int8', marked: boolean): string {
  const id = crypto.createHash('sha256').update(path.resolve(model.path)).digest('hex').slice(0, 8);
  return `${path.basename(model.path, path.extname(model.path))}-${id}-${role}${marked ? '.marked' : ''}.engine`;
}

/**
 * `--backend tensorrt`, as loader steps: check the INT8 source → build the engine (tensors exposed
 * as debug tensors where TensorRT ≥ 10.12 keeps fusion, else as marked outputs; one build at a time
 * per GPU; layer map written beside it) → open a TrtRunner over it, which declares and returns the
 * ONNX tensors the layer map lists. FP32 engines are built with TF32 off; Q/DQ models as explicitly
 * quantized networks (TensorRT 10 and 11); FP32 INT8 candidates with a calibration cache as implicit
 * INT8 (TensorRT 10 only). An FP32 model given as INT8 without a cache is refused, never built as FP32.
 */
export function tensorRtBackend(opt: TensorRtBackendOptions = {}): OpenRunner {
  return async (model, mark, role) => {
    if (role === 'int8') checkInt8Source(model, opt.calibrationCache);
    const dir = opt.engineDir ?? scratchDir(undefined, 'engines');
    try {
      const built = await buildEngine({
        model, enginePath: path.join(dir, engineFileName(model, role, mark.length > 0)),
        int8: role === 'int8', ...(role === 'int8' && !hasQdq(model) && opt.calibrationCache ? { calibrationCache: opt.calibrationCache } : {}),
        expose: mark.length > 0 ? 'all' : 'none', ...(opt.inputShapes ? { inputShapes: opt.inputShapes } : {}),
      });
      const runner = await TrtRunner.open(built.enginePath);
      if (!opt.engineDir) runner.onClose(() => removeScratch(dir));
      return runner;
    } catch (e) {
      if (!opt.engineDir) removeScratch(dir);
      throw e;
    }
  };
}
