import { type DType, type TypedArray, viewBytes } from './dtype.js';

/** The lingua franca between inputs, runners, comparison and dumps. Shapes are concrete. */
export interface Tensor {
  name: string;
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** Element count of a shape: the one shape product (ONNX proto dims are bigints). */
export function numel(shape: readonly (number | bigint)[]): number {
  let n = 1;
  for (const d of shape) n *= Number(d);
  return n;
}

/** The tensor's raw bytes (a view, no copy). */
export function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function tensorFromBytes(name: string, dtype: DType, shape: number[], bytes: Uint8Array): Tensor {
  const data = viewBytes(dtype, bytes);
  if (data.length !== numel(shape)) {
    throw new RangeError(`tensor ${name}: ${data.length} elements do not fill shape [${shape.join(',')}]`);
  }
  return { name, dtype, shape, data };
}

/** IEEE half → float (used for float16 tensors; exact). */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** bfloat16 → float (exact). */
function bfloat16ToFloat(h: number): number {
  const buf = new Float32Array(1);
  new Uint32Array(buf.buffer)[0] = h << 16;
  return buf[0]!;
}

/**
 * Element accessor as a JS number, for dtypes whose values are meaningful as numbers.
 * Float32/64 callers should read `data` directly in hot loops; this serves the rest.
 */
export function elementReader(t: Tensor): (i: number) => number {
  const d = t.data;
  switch (t.dtype) {
    case 'float16': return (i) => halfToFloat((d as Uint16Array)[i]!);
    case 'bfloat16': return (i) => bfloat16ToFloat((d as Uint16Array)[i]!);
    case 'int64': case 'uint64': return (i) => Number((d as BigInt64Array)[i]!);
    default: return (i) => (d as Float32Array)[i]!;
  }
}

/** Float32 copy of any numeric tensor (float32 input is returned as is). */
export function toFloat32(t: Tensor): Float32Array {
  if (t.dtype === 'float32') return t.data as Float32Array;
  const out = new Float32Array(t.data.length);
  const read = elementReader(t);
  for (let i = 0; i < out.length; i++) out[i] = read(i);
  return out;
}

export function shapeString(shape: readonly (number | string)[]): string {
  return `[${shape.join(',')}]`;
}
