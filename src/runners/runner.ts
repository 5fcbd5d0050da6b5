import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/** Static description of one model input or output; symbolic dims are strings, unknown dims -1. */
export interface TensorInfo {
  name: string;
  dtype: DType | 'unknown';
  shape: (number | string)[];
}

export interface RunnerDescription {
  /** Backend label shown in reports: "onnxruntime-cpu", "tensorrt-10.3" ... */
  backend: string;
  /** The file the runner was built from. */
  source: string;
  inputs: TensorInfo[];
  /** Final outputs of the original model (before instrumentation). */
  outputs: TensorInfo[];
  /** Every tensor the runner can be asked for (the instrumented outputs), in topological order. */
  tensors: TensorInfo[];
  /** Tensors of the source model the backend fused away (never returned), with where they went. */
  fused?: { name: string; layer: string }[];
  /**
   * Every tensor `run` yields owns its ArrayBuffer, which nothing else references: the consumer may
   * free it as soon as it is done (tensor/release.ts). Runners that reuse buffers leave it unset.
   */
  yieldsOwnBuffers?: boolean;
}

export interface RunOptions {
  /** Names of tensors to fetch; default: all of `describe().tensors`. */
  fetch?: readonly string[];
}

/**
 * The one runner interface. OrtRunner (src/runners/ort-runner.ts) and TrtRunner (native addon)
 * implement it. `run` streams named tensors: a consumer that drops each tensor after use keeps
 * memory bounded by what the backend itself holds for one call.
 */
export interface Runner {
  describe(): RunnerDescription;
  run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): AsyncIterable<Tensor>;
  close(): Promise<void>;
}
