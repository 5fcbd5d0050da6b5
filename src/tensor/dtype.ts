/**
 * Element types trt-diff moves around, with their ONNX TensorProto codes and byte widths.
 * One table, so that graph, runners and dumps agree on names.
 */
export type DType =
  | 'float32' | 'float16' | 'float64' | 'bfloat16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool';

export type TypedArray =
  | Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

interface DTypeInfo { onnx: number; bytes: number; float: boolean }

const TABLE: Record<DType, DTypeInfo> = {
  float32: { onnx: 1, bytes: 4, float: true },
  uint8: { onnx: 2, bytes: 1, float: false },
  int8: { onnx: 3, bytes: 1, float: false },
  uint16: { onnx: 4, bytes: 2, float: false },
  int16: { onnx: 5, bytes: 2, float: false },
  int32: { onnx: 6, bytes: 4, float: false },
  int64: { onnx: 7, bytes: 8, float: false },
  bool: { onnx: 9, bytes: 1, float: false },
  float16: { onnx: 10, bytes: 2, float: true },
  float64: { onnx: 11, bytes: 8, float: true },
  uint32: { onnx: 12, bytes: 4, float: false },
  uint64: { onnx: 13, bytes: 8, float: false },
  bfloat16: { onnx: 16, bytes: 2, float: true },
};

const BY_ONNX = new Map<number, DType>(
  (Object.entries(TABLE) as [DType, DTypeInfo][]).map(([k, v]) => [v.onnx, k]),
);

export function isDType(s: string): s is DType {
  return Object.hasOwn(TABLE, s);
}

export function dtypeBytes(d: DType): number {
  return TABLE[d].bytes;
}

/** Floating point (float32/16/64, bfloat16): the one test, for DTypes and for type names read from graphs ('unknown' included). */
export function isFloatDType(d: string): boolean {
  return isDType(d) && TABLE[d].float;
}

export function onnxElemType(d: DType): number {
  return TABLE[d].onnx;
}

/** ONNX TensorProto.DataType code → DType, or undefined for types trt-diff does not carry (string, complex, fp8...). */
export function dtypeFromOnnx(code: number): DType | undefined {
  return BY_ONNX.get(code);
}

/** Typed-array view over raw little-endian bytes (copying only when the bytes are misaligned). */
export function viewBytes(d: DType, bytes: Uint8Array): TypedArray {
  const width = TABLE[d].bytes;
  if (bytes.byteLength % width !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${d} elements`);
  }
  // new Uint8Array(view) copies; Buffer#slice (protobuf-es hands out Buffer subarrays) would not.
  const aligned = bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes);
  const { buffer, byteOffset } = aligned;
  const n = bytes.byteLength / width;
  switch (d) {
    case 'float32': return new Float32Array(buffer, byteOffset, n);
    case 'float64': return new Float64Array(buffer, byteOffset, n);
    case 'float16': case 'bfloat16': case 'uint16': return new Uint16Array(buffer, byteOffset, n);
    case 'int8': return new Int8Array(buffer, byteOffset, n);
    case 'uint8': case 'bool': return new Uint8Array(buffer, byteOffset, n);
    case 'int16': return new Int16Array(buffer, byteOffset, n);
    case 'int32': return new Int32Array(buffer, byteOffset, n);
    case 'uint32': return new Uint32Array(buffer, byteOffset, n);
    case 'int64': return new BigInt64Array(buffer, byteOffset, n);
    case 'uint64': return new BigUint64Array(buffer, byteOffset, n);
  }
}
