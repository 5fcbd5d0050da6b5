import { UserError } from '../errors.js';
import { readInputFile } from '../io/input-file.js';
import type { DType } from '../tensor/dtype.js';
import { tensorBytes, tensorFromBytes, type Tensor } from '../tensor/tensor.js';

/** NumPy .npy (format 1.0/2.0/3.0), little-endian, C order. */
const DESCR: Record<string, DType> = {
  '<f4': 'float32', '<f8': 'float64', '<f2': 'float16', '|i1': 'int8', '|u1': 'uint8',
  '<i2': 'int16', '<u2': 'uint16', '<i4': 'int32', '<u4': 'uint32', '<i8': 'int64', '<u8': 'uint64', '|b1': 'bool',
};
const DESCR_OF = Object.fromEntries(Object.entries(DESCR).map(([k, v]) => [v, k])) as Record<DType, string>;

export function parseNpy(bytes: Uint8Array, name: string, file = '<buffer>'): Tensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.byteLength < 10 || magic.some((b, i) => bytes[i] !== b)) throw new UserError('not a .npy file (bad magic)', file);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new UserError(`unsupported .npy format version ${major}`, file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.byteLength < start) throw new UserError('truncated .npy header', file);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (start + headerLen > bytes.byteLength) throw new UserError('truncated .npy header', file);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new UserError('malformed .npy header', file);
  const dtype = DESCR[descr === '<b1' ? '|b1' : descr];
  if (!dtype) throw new UserError(`unsupported .npy dtype ${JSON.stringify(descr)} (little-endian numeric only)`, file);
  if (fortran) throw new UserError('Fortran-ordered .npy is not supported; save with np.ascontiguousarray', file);
  const dims = shapeText.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = dims.find((d) => !/^\d{1,15}L?$/.test(d));
  if (bad !== undefined) throw new UserError(`malformed .npy header: shape dimension "${bad.slice(0, 40)}" is not a non-negative integer`, file);
  const shape = dims.map((d) => Number(d.replace(/L$/, '')));
  const body = bytes.slice(start + headerLen);
  try {
    return tensorFromBytes(name, dtype, shape, body);
  } catch (e) {
    throw new UserError(`.npy data does not match its header (${(e as Error).message})`, file);
  }
}

export function readNpy(file: string, name: string): Tensor {
  return parseNpy(readInputFile(file), name, file);
}

export function encodeNpy(t: Tensor): Uint8Array {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OF[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + t.data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(tensorBytes(t), 10 + header.length);
  return out;
}
