import type { OnnxModel } from '../graph/onnx-model.js';
import { OrtRunner } from './ort-runner.js';
import type { Runner } from './runner.js';

/**
 * The last loader step: a runner for `model` with `mark` tensors exposed (none: the model as
 * deployed, for the perturbation check). The comparison pipeline takes one of these per run;
 * ONNX Runtime (here) and TensorRT (tensorrt-backend.ts) provide them, as composed steps.
 */
export type OpenRunner = (model: OnnxModel, mark: readonly string[], role: 'fp32' | 'int8') => Promise<Runner>;

/** ONNX Runtime on the CPU: the marked tensors become graph outputs of the session. */
export function ortBackend(threads?: number): OpenRunner {
  return (model, mark) => OrtRunner.open(model, { mark, threads });
}
