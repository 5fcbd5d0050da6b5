import { roundHalfEven } from '../tensor/round.js';

/**
 * Symmetric per-output-channel int8 weights, as TensorRT builds them: scale_c = max|w_c| / 127 and
 * q = clamp(round(w / scale_c), -127, 127) with round-half-to-even (the rounding of ONNX
 * QuantizeLinear and of TensorRT). The range is symmetric [-127, 127]: -128 is never used.
 */
export interface PerChannelWeights {
  q: Int8Array;
  scales: Float32Array;
  axis: number;
}

export function quantizeWeightsPerChannel(w: ArrayLike<number>, dims: readonly number[], axis: number): PerChannelWeights {
  if (axis < 0 || axis >= dims.length) throw new RangeError(`axis ${axis} out of range for rank ${dims.length}`);
  const channels = dims[axis]!;
  let inner = 1;
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d]!;
  const channelOf = (i: number) => Math.floor(i / inner) % channels;

  const amax = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]!);
    const c = channelOf(i);
    if (a > amax[c]!) amax[c] = a;
  }
  // An all-zero channel quantizes to zeros at any scale; 1 keeps DequantizeLinear well defined.
  const scales = Float32Array.from(amax, (a) => (a > 0 ? a / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const v = roundHalfEven(w[i]! / scales[channelOf(i)]!);
    q[i] = v > 127 ? 127 : v < -127 ? -127 : v;
  }
  return { q, scales, axis };
}

/**
 * Output-channel axis of the weight input (input 1) of a weighted op.
 * Conv: [M, C/g, k...] → 0. ConvTranspose: [C, M/g, k...] → 1. Gemm: B is [K, N] → 1, or [N, K]
 * with transB → 0. MatMul: B is [..., K, N] → the last axis.
 */
export function weightAxis(opType: string, rank: number, transB: boolean): number {
  switch (opType) {
    case 'Conv': return 0;
    case 'ConvTranspose': return 1;
    case 'Gemm': return transB ? 0 : 1;
    case 'MatMul': return rank - 1;
    default: throw new Error(`no weight axis for ${opType}`);
  }
}
