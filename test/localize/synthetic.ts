import type { ModelProto } from 'onnx-buf';
import { floatTensor, int8Tensor, model, node, valueInfo } from '../helpers/onnx-builder.js';

/**
 * A two-op Q/DQ model small enough to compute by hand:
 *   FP32:  x → Relu "A" → a → Mul "B" (· 2.9) → out
 *   INT8:  x → Q/DQ(s1) → A → a → Q/DQ(s2) → B (· DQ(6 · 0.5) = 3.0) → Q/DQ(s3) → out
 * The INT8 weight (3.0) differs from the FP32 one (2.9) so that tests can tell which weights a
 * float op got. Names follow ONNX Runtime's quantizer (X_QuantizeLinear_Output, ...).
 */
export const S1 = 0.125, S2 = 0.1, S3 = 0.75, W_FP32 = 2.9, W_INT8 = 3.0;
export const N = 8;

export function syntheticModels(): { fp32: ModelProto; int8: ModelProto } {
  const inputs = [valueInfo('x', [1, N])];
  const outputs = [valueInfo('out', [1, N])];
  const fp32 = model({
    nodes: [node('Relu', ['x'], ['a'], {}, 'A'), node('Mul', ['a', 'w'], ['out'], {}, 'B')],
    inputs, outputs, initializers: [floatTensor('w', [], [W_FP32])],
  });
  const qdq = (t: string, s: string, out = `${t}_DequantizeLinear_Output`) => [
    node('QuantizeLinear', [t, s, 'zp'], [`${t}_QuantizeLinear_Output`], {}, `${t}_QuantizeLinear`),
    node('DequantizeLinear', [`${t}_QuantizeLinear_Output`, s, 'zp'], [out], {}, `${t}_DequantizeLinear`),
  ];
  const int8 = model({
    nodes: [
      node('DequantizeLinear', ['w_quantized', 'w_scale', 'zp'], ['w_DequantizeLinear_Output'], {}, 'w_DequantizeLinear'),
      ...qdq('x', 's1'),
      node('Relu', ['x_DequantizeLinear_Output'], ['a'], {}, 'A'),
      ...qdq('a', 's2'),
      node('Mul', ['a_DequantizeLinear_Output', 'w_DequantizeLinear_Output'], ['out_QuantizeLinear_Input'], {}, 'B'),
      ...qdq('out_QuantizeLinear_Input', 's3', 'out'),
    ],
    inputs, outputs,
    initializers: [
      floatTensor('s1', [], [S1]), floatTensor('s2', [], [S2]), floatTensor('s3', [], [S3]), floatTensor('w_scale', [], [0.5]),
      int8Tensor('zp', [], [0]), int8Tensor('w_quantized', [], [6]),
    ],
  });
  return { fp32, int8 };
}

/** ONNX QuantizeLinear→DequantizeLinear in float32: round half to even, saturate to int8. */
export function fakeQuant(v: number, s: number): number {
  const r = Math.fround(v / s);
  const f = Math.floor(r);
  const d = r - f;
  const q = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  return Math.fround(Math.max(-128, Math.min(127, q)) * s);
}

export function sqnrOf(ref: ArrayLike<number>, test: ArrayLike<number>): number {
  let s = 0, e = 0;
  for (let i = 0; i < ref.length; i++) { s += ref[i]! ** 2; e += (ref[i]! - test[i]!) ** 2; }
  return 10 * Math.log10(s / e);
}

export const relu = (v: number) => Math.max(0, v);
