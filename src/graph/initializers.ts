import type { TensorProto } from 'onnx-buf';
import { dtypeFromOnnx } from '../tensor/dtype.js';
import { elementReader, numel, tensorFromBytes, type Tensor } from '../tensor/tensor.js';

/** An initializer as a Tensor (raw_data or the typed repeated fields). */
export function initializerTensor(t: TensorProto): Tensor {
  const dtype = dtypeFromOnnx(t.dataType);
  if (!dtype) throw new TypeError(`initializer ${t.name}: unsupported ONNX data type ${t.dataType}`);
  const shape = t.dims.map(Number);
  if (t.rawData.byteLength > 0) return tensorFromBytes(t.name, dtype, shape, t.rawData);
  const n = numel(shape);
  switch (dtype) {
    case 'float32': return { name: t.name, dtype, shape, data: Float32Array.from(t.floatData) };
    case 'float64': return { name: t.name, dtype, shape, data: Float64Array.from(t.doubleData) };
    case 'int64': return { name: t.name, dtype, shape, data: BigInt64Array.from(t.int64Data) };
    case 'uint64': return { name: t.name, dtype, shape, data: BigUint64Array.from(t.uint64Data) };
    case 'int32': return { name: t.name, dtype, shape, data: Int32Array.from(t.int32Data) };
    // ONNX stores int8/uint8/int16/uint16/bool/float16 in int32_data, one element per entry.
    case 'int8': return { name: t.name, dtype, shape, data: Int8Array.from(t.int32Data) };
    case 'uint8': case 'bool': return { name: t.name, dtype, shape, data: Uint8Array.from(t.int32Data) };
    case 'int16': return { name: t.name, dtype, shape, data: Int16Array.from(t.int32Data) };
    case 'uint16': case 'float16': case 'bfloat16': return { name: t.name, dtype, shape, data: Uint16Array.from(t.int32Data) };
    case 'uint32': return { name: t.name, dtype, shape, data: Uint32Array.from(t.uint64Data.map(Number)) };
  }
  throw new TypeError(`initializer ${t.name}: ${n} elements of ${dtype} not decodable`);
}

/** Values of a numeric initializer as float64 (scales, zero points, small constants). */
export function initializerValues(t: TensorProto): Float64Array {
  const tensor = initializerTensor(t);
  const read = elementReader(tensor);
  const out = new Float64Array(tensor.data.length);
  for (let i = 0; i < out.length; i++) out[i] = read(i);
  return out;
}
