import type { TensorProto } from 'onnx-buf';
import type { OnnxModel } from '../graph/onnx-model.js';
import { dtypeBytes, dtypeFromOnnx } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';

/**
 * What `--max-memory` bounds: everything a comparison holds of the models while it runs, i.e. the
 * weights of the ONNX Runtime sessions that are open plus one FP32 and one INT8 fetch group of
 * activations (the FP32 group is held while the INT8 group of the same tensors comes back). Not
 * bounded by it: the fixed cost of the process (Node, ONNX Runtime, the model files as read), which
 * bench/README.md §8 measures.
 */
export interface MemoryPlan {
  /** Budget for one fetch group (one model run's activations). */
  groupBytes: number;
  /** Group sessions each model may keep open between samples (older ones are closed, reopened when needed). */
  maxSessions: number;
  /** The least this comparison can run in: one session per model and the largest tensor of each side. */
  floorBytes: number;
  /** The budget in force: the one asked for, or the floor when that was less. */
  budgetBytes: number;
}

/** Bytes an initializer's values take once loaded (inline or external). */
function initializerBytes(t: TensorProto): number {
  const dtype = dtypeFromOnnx(t.dataType);
  const n = numel(t.dims);
  return dtype ? n * dtypeBytes(dtype) : t.rawData.byteLength;
}

/** Bytes of a model's weights: what one ONNX Runtime session of it holds as initializers. */
export function weightBytes(model: OnnxModel): number {
  let sum = 0;
  for (const t of model.proto.graph?.initializer ?? []) sum += initializerBytes(t);
  return sum;
}

/**
 * Fetch groups are never planned smaller than this: each group is one more session to open (whose
 * start-up touches about the model's weights again) and one more model run per sample, so groups
 * of a few KB cost far more memory and time than they save (bench/README.md §8).
 */
export const MIN_GROUP_BYTES = 16 * 2 ** 20;

/**
 * Splits `budget` between open sessions and fetch groups. One FP32 and one INT8 session plus two
 * groups of the largest tensor (at least MIN_GROUP_BYTES) is the floor; a budget under it runs at
 * the floor (the caller warns).
 * Up to a quarter of what is left keeps more group sessions open (saves reopening a session per
 * group and sample); the rest sizes the groups, two at a time.
 */
export function planMemory(budget: number, weights: { fp32: number; int8: number }, largestTensor: number): MemoryPlan {
  const pair = weights.fp32 + weights.int8;
  const minGroup = Math.max(largestTensor, MIN_GROUP_BYTES);
  const floorBytes = pair + 2 * minGroup;
  const budgetBytes = Math.max(budget, floorBytes);
  const spare = budgetBytes - floorBytes;
  const extra = pair === 0 ? Infinity : Math.floor((spare / 4) / pair);
  const maxSessions = 1 + Math.min(extra, 1 << 20);
  const groupBytes = Math.max(minGroup, Math.floor((budgetBytes - (pair === 0 ? 0 : pair * maxSessions)) / 2));
  return { groupBytes, maxSessions, floorBytes, budgetBytes };
}
