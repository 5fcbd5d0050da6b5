import type { LogicalTensor } from '../graph/qdq.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * An engine layer that fuses a QuantizeLinear (Conv + Q in a TensorRT INT8 engine) returns the
 * quantized tensor itself. Its value as the next layer reads it is DequantizeLinear's
 * (q − zero point) × scale, from the pair's own Q/DQ parameters; per-tensor scales only. Returns
 * undefined when `t` is not an int8/uint8 tensor standing for a per-tensor dequantized value.
 * The product is computed in double and stored in float32, which rounds it exactly as float32
 * arithmetic does (a float32 scale times an integer below 2^9 is exact in double).
 */
export function dequantizeReturned(t: Tensor, test: LogicalTensor): Tensor | undefined {
  if ((t.dtype !== 'int8' && t.dtype !== 'uint8') || test.kind !== 'dequantized' || test.scale?.length !== 1) return undefined;
  if (test.zeroPoint !== undefined && test.zeroPoint.length !== 1) return undefined;
  const scale = test.scale[0]!;
  const zp = test.zeroPoint?.[0] ?? 0;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = ((t.data[i] as number) - zp) * scale;
  return { name: t.name, dtype: 'float32', shape: t.shape, data: out };
}
